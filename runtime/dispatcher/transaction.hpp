// The dispatcher's record of the transaction a connection is receiving: the message file the
// queue opened, the envelope the session gave with OpenMessage, and each accepted recipient with
// the destinations the lookup role resolved it to at RCPT time, in RCPT order, so that the
// queued envelope pairs the session's i-th recipient with the record's i-th (no re-join by
// address). One per connection, reset when the transaction ends (commit, abort, RSET).
// Depends on: statemachine/ (Envelope), spool/envelope.hpp, common/fs.hpp, queued_options.hpp.
#pragma once

#include "common/fs.hpp"
#include "smtpd/sm/action.hpp"
#include "spool/envelope.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace smtpd::rt {

/// The content of a message being received, written to the file the queue opened for it.
/// A write error is kept and makes the commit fail.
struct MessageFile {
    std::string msgid;
    Fd fd;
    std::error_code error;
    std::size_t size = 0;   ///< octets of content (the Received header not counted)
    bool eight_bit = false; ///< the content holds an octet over 127

    /// Writes content received from the client (write() is for what we add).
    void write_content(std::string_view bytes) {
        for (char const c : bytes) {
            eight_bit = eight_bit || static_cast<unsigned char>(c) > 0x7FU;
        }
        size += bytes.size();
        write(bytes);
    }

    /// Buffered: the content arrives a line at a time, and a write(2) per line cost more than
    /// the rest of the reception. The connection flushes before each read and before the
    /// queue commits the file.
    void write(std::string_view bytes) {
        if (error) {
            return;
        }
        pending.append(bytes);
        if (pending.size() >= kWriteBatch) {
            flush();
        }
    }

    void flush() {
        if (!error && !pending.empty()) {
            if (auto r = write_all(fd.get(), pending); !r) {
                error = r.error().code;
            }
        }
        pending.clear();
    }

    static constexpr std::size_t kWriteBatch = std::size_t{16} * 1024;
    std::string pending; ///< written, not yet handed to the file
};

struct Transaction {
    /// Where each accepted recipient goes (aliases and ~/.forward may give several).
    std::vector<std::vector<QueuedRecipient>> destinations;
    std::optional<sm::Envelope> envelope; ///< set by OpenMessage
    std::optional<MessageFile> message;   ///< the queue's file, once opened
    bool no_space = false;                ///< the queue could not open a file: the spool is full
};

/// The envelope to queue: `base` (id, time, client) with the envelope's sender, options and
/// recipients, each recipient carrying its RCPT's NOTIFY and ORCPT onto every destination it
/// resolved to; none when the record and the envelope disagree on the recipients (a bug).
/// Content with 8-bit octets is queued as BODY=8BITMIME whatever MAIL said, so that the relay
/// never hands it to a next hop without 8BITMIME (RFC 6152 §3; the client refuses with 5.6.3).
[[nodiscard]] std::optional<QueuedEnvelope> queued_envelope(Transaction const& tx,
                                                            QueuedEnvelope base);

} // namespace smtpd::rt
