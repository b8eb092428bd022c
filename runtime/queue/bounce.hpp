// Bounces: the RFC 3464 delivery status notification for a queued message, as a complete RFC 5322
// message (multipart/report, RFC 3462) with CRLF line ends, and the RFC 3461 rules that decide
// whether one is sent at all. Pure: no I/O, no clock (dates are parameters).
// Depends on: spool/envelope.hpp, scheduler/policy.hpp (the time type).
// Invariants: every line of the output is CRLF-terminated and at most 998 octets (RFC 5322
// §2.1.1); no byte of an address, a diagnostic or an id can start a header or DSN field, end a
// field group or a MIME part; the boundary occurs nowhere in the parts it separates.
#pragma once

#include "scheduler/policy.hpp"
#include "spool/envelope.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// The original message is returned whole only up to this size; a larger one, like every
/// RET=HDRS or delay notice, returns its header section (RFC 3461 §6.2 allows this).
inline constexpr std::size_t kMaxReturnedMessage = 256 * 1024;
/// A returned header section is cut, at a line end, to this size.
inline constexpr std::size_t kMaxReturnedHeaders = 64 * 1024;
/// Diagnostics keep at most this many lines of this many octets (an SMTP reply line is at most
/// 512 octets, RFC 5321 §4.5.3.1.5).
inline constexpr std::size_t kMaxDiagnosticLines = 20;
inline constexpr std::size_t kMaxDiagnosticLine = 510;
/// RFC 3463 §3.5: the status of a message that outlived the queue ttl.
inline constexpr std::string_view kStatusExpired = "4.4.7";

/// RFC 3464 §2.3.3 Action: failed or delayed.
/// What a notice says of a recipient: failed, delayed, or relayed to a next hop that does not
/// offer DSN although NOTIFY=SUCCESS was asked (RFC 3461 §6.2.3).
enum class DsnKind { Failure, Delay, Relayed };

/// Whether a DSN of `kind` about a recipient with RFC 3461 NOTIFY bits `notify` (kQueuedNotify*,
/// 0 when not given) is sent to `sender` ("" for the null reverse-path).
[[nodiscard]] bool dsn_wanted(std::string_view sender, std::uint8_t notify, DsnKind kind);

/// One recipient the DSN reports on.
struct DsnRecipient {
    std::string address; ///< the envelope recipient (Final-Recipient)
    std::string orcpt;   ///< RFC 3461 ORCPT as queued, addr-type ";" xtext; "" when not given
    DsnKind kind = DsnKind::Failure;
    std::string status;     ///< RFC 3463 code such as "5.1.1"; a malformed one becomes x.0.0
    std::string diagnostic; ///< the remote reply or the local error; any bytes, any lines
    std::string remote_mta; ///< the host that gave the reply; "" for a local error
    std::optional<SysSeconds> last_attempt{}; ///< none: never attempted
};

/// What the DSN is about, apart from the queued message itself.
struct BounceReport {
    std::string reporting_mta; ///< this host's name: Reporting-MTA and From: MAILER-DAEMON@it
    SysSeconds date{};         ///< Date: of the DSN
    std::string message_id;    ///< Message-ID: of the DSN, without the angle brackets
    std::optional<SysSeconds> retry_until{}; ///< Will-Retry-Until of delayed recipients
    std::vector<DsnRecipient> recipients;    ///< at least one
};

/// The DSN message for `envelope`, whose spooled content (CRLF lines) is `original`. It is
/// addressed (To:) to the envelope's sender; the caller sends it with MAIL FROM:<> (RFC 3461
/// §6.1) and only for recipients that pass dsn_wanted.
[[nodiscard]] std::string build_bounce(QueuedEnvelope const& envelope, BounceReport const& report,
                                       std::string_view original);

} // namespace smtpd::rt
