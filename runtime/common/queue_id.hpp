// The ids smtpctl(8) names queued mail by, and what `schedule`/`remove` accept. A message id
// (msgid) is the spool's 16 hex digits; an envelope id (evpid: one recipient of one message, as
// in OpenSMTPD) is the msgid followed by 8 hex digits that the queue derives from the
// recipient (queue/queue_control.hpp), so it stays the same while the recipient is queued.
// OpenSMTPD's own forms (8 and 16 hex digits) are longer here: see docs/man/smtpctl.8.
// Pure: no I/O. Depends on: the standard library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smtpd::rt {

/// Hex digits of a message id (common/random_id.hpp) and of the recipient part of an evpid.
inline constexpr std::size_t kMsgidDigits = 16;
inline constexpr std::size_t kRecipientDigits = 8;

/// What a `schedule` or `remove` argument names.
struct QueueTarget {
    enum class Kind : std::uint8_t { All, Message, Envelope };
    Kind kind{};
    std::string msgid;           ///< empty for All
    std::uint32_t recipient = 0; ///< the evpid's recipient part, for Envelope
    friend bool operator==(QueueTarget const&, QueueTarget const&) = default;
};

/// "all", a msgid (16 hex digits) or an evpid (24): none for anything else. Upper-case hex is
/// accepted and read as lower case, as the spool writes it.
[[nodiscard]] std::optional<QueueTarget> parse_queue_target(std::string_view text);

/// The evpid of recipient part `recipient` of `msgid`: msgid then 8 lower-case hex digits.
[[nodiscard]] std::string format_evpid(std::string_view msgid, std::uint32_t recipient);

/// "1 envelope removed", "0 envelope removed", "2 envelopes removed": OpenSMTPD's count line
/// (its plural is for more than one).
[[nodiscard]] std::string count_line(std::size_t count, std::string_view noun,
                                     std::string_view verb);

} // namespace smtpd::rt
