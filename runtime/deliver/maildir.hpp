// Delivery into a Maildir (the maildir(5) layout: tmp/, new/, cur/). The file is written under
// tmp/ with a unique name, fsynced, renamed into new/, and new/ is fsynced: once this returns
// success the message is durable in the mailbox and the queue may drop its copy (or, when the
// caller takes the sync of new/ on itself, once it has synced new/).
// Depends on: common/.
#pragma once

#include "common/result.hpp"

#include <string>
#include <string_view>

namespace smtpd::rt {

/// What to write: header lines to prepend (LF line ends) and the spooled message file, whose
/// CRLF line ends are converted to LF as mail readers expect of a Maildir.
struct MaildirDelivery {
    std::string maildir; ///< absolute path of the Maildir
    std::string prepend; ///< e.g. "Return-Path: <a@b>\nDelivered-To: c@d\n"
    std::string message_path;
    int message_fd = -1; ///< when valid, read from its start instead of message_path
    /// When set, the file's name is "<unique>.<host>" and a file of that name already in new/
    /// or cur/ means this delivery was made before (a crash came between the rename and the
    /// queue's note of it): nothing is written and the existing path is returned. The queue
    /// derives it from the envelope, so a redelivery of the same recipient is exactly once.
    std::string unique;
    /// With `unique`: false when no earlier attempt can have made the copy (the first attempt of
    /// a message this run of the queue committed), so new/ and cur/ are not searched for it: a
    /// mailbox with many messages in cur/ is not read through at every delivery.
    bool may_exist = true;
    /// When false, new/ is not synced here: the caller syncs it (once for several deliveries)
    /// before it reports any of them delivered.
    bool sync_new = true;
    /// `maildir junk`: a message whose header has a line "X-Spam: yes" or "X-Spam-Flag: yes"
    /// (without case, as OpenSMTPD's mail.maildir -j) goes to the .Junk folder of the Maildir.
    bool junk = false;
};

/// Delivers; returns the path of the new file under new/ (or of the earlier delivery), in the
/// Maildir or, for junk, in its .Junk folder.
[[nodiscard]] Result<std::string> deliver_maildir(MaildirDelivery const& delivery,
                                                  std::string_view hostname);

/// Whether the message header (up to its first empty line) read from `fd`, from its current
/// offset, which is left as it was, holds "X-Spam: yes" or "X-Spam-Flag: yes" (without case).
/// A read error or a header longer than 256 KiB counts as no.
[[nodiscard]] bool header_says_spam(int fd);

/// Converts every CRLF of `crlf_text` to LF, leaving bare CR and bare LF as they are; `pending_cr`
/// carries a CR that ended the previous chunk.
[[nodiscard]] std::string crlf_to_lf(std::string_view crlf_text, bool& pending_cr);

} // namespace smtpd::rt
