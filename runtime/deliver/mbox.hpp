// Delivery by appending to an mbox file (/var/mail/<user>), in the mboxo format that OpenSMTPD's
// mail.local writes: a "From <sender> <asctime date>" line, the message with LF line ends, every
// "From " at the start of a line quoted as ">From ", and a blank line after it. Locking as the
// mail readers of Debian expect: a dotlock <mbox>.lock (O_EXCL, stale after a while, as
// liblockfile does) and then an fcntl write lock on the mailbox. Runs in the delivery child, as
// the recipient, with blocking I/O. Invariant: on failure the mailbox is truncated back to its
// old size, so no partial message remains. Depends on: common/, deliver/outcome.hpp.
#pragma once

#include "deliver/outcome.hpp"

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>

namespace smtpd::rt {

/// What to append where. The spooled message has CRLF line ends; the mbox gets LF.
struct MboxDelivery {
    std::string mbox;    ///< absolute path of the mailbox file, created mode 0600 if missing
    std::string sender;  ///< the envelope sender "a@b"; empty for <> (MAILER-DAEMON)
    std::string prepend; ///< header lines with LF ends, e.g. "Return-Path: <a@b>\n"
    std::string message_path;
    std::time_t when = 0; ///< the date of the From line; 0 means now
    int message_fd = -1;  ///< when valid, the message is read from it (deliver/message_source.hpp)
};

/// How long to wait for the locks, and when a dotlock left behind counts as stale.
struct MboxLocking {
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
    std::chrono::seconds stale{std::chrono::minutes(5)}; ///< liblockfile's default age
    std::chrono::milliseconds retry{100};                ///< pause between two attempts
};

/// Appends the message. Lock timeouts and I/O errors (ENOSPC, EIO, EDQUOT) are TempFail; a
/// mailbox that is a symlink, a directory, a device or has several links is PermFail.
[[nodiscard]] DeliveryOutcome deliver_mbox(MboxDelivery const& delivery,
                                           MboxLocking const& locking = {});

/// "From <sender or MAILER-DAEMON> Thu Nov 24 18:22:48 1986\n" in local time, like ctime(3).
[[nodiscard]] std::string mbox_from_line(std::string_view sender, std::time_t when);

/// mboxo quoting of LF text given in chunks: ">" before every "From " that starts a line.
class MboxQuoter {
  public:
    /// The quoted text of the next chunk; a possible "From " split across chunks is held back.
    [[nodiscard]] std::string feed(std::string_view text);
    /// What was held back at the end of the last chunk.
    [[nodiscard]] std::string finish();

  private:
    std::string held_;       ///< the start of a line that is a prefix of "From "
    bool line_start_ = true; ///< the next byte starts a line
};

} // namespace smtpd::rt
