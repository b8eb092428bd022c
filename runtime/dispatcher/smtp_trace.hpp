// What `smtpd -T smtp` logs of a session: each command line received and each reply line sent,
// made safe for a log line (controls and '\' as \xNN) and without secrets: the initial response
// of an AUTH command and every client line of an AUTH exchange are masked (RFC 4954 §4 carries
// credentials there, base64 being no protection). Depends on: the standard library.
#pragma once

#include <string>
#include <string_view>

namespace smtpd::rt {

/// What replaces a secret in the trace.
inline constexpr std::string_view kTraceMask = "********";

/// `text` with every octet below 0x20, 0x7F and '\' written as \xNN; other octets (UTF-8
/// included) as they are.
[[nodiscard]] std::string trace_visible(std::string_view text);

/// A received command line (no CRLF) for the trace. `in_auth_exchange`: the line answers a 334
/// challenge, and is masked whole.
[[nodiscard]] std::string traced_command(std::string_view line, bool in_auth_exchange);

} // namespace smtpd::rt
