// Size limits of RFC 5321 §4.5.3.1, in octets, shared by the grammar, the framer and the session,
// and the longer command lines the extensions allow (each extension's RFC gives its figure).
// Depends on: command.hpp (Verb), extensions.hpp.
#pragma once

#include "smtpd/grammar/command.hpp"
#include "smtpd/grammar/extensions.hpp"

#include <cstddef>

namespace smtpd::grammar {

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including the CRLF.
inline constexpr std::size_t kMaxCommandLine = 512;
/// RFC 4954 §4: the server's buffer for one line of an AUTH exchange ("12288 octets is
/// considered to be a sufficient line length limit"); longer lines fail AUTH with 500.
inline constexpr std::size_t kMaxSaslLine = 12288;
/// RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including the CRLF.
inline constexpr std::size_t kMaxTextLine = 1000;
/// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including the CRLF.
inline constexpr std::size_t kMaxReplyLine = 512;
/// Ours: a reply of more lines than this is refused (an endless reply must not grow forever;
/// the longest real ones, EHLO's, have a few dozen).
inline constexpr std::size_t kMaxReplyLines = 100;
/// RFC 5321 §4.5.3.1.3: a reverse- or forward-path is at most 256 octets including the brackets.
inline constexpr std::size_t kMaxPath = 256;
/// RFC 5321 §4.5.3.1.1: the server must accept local-parts of up to 64 octets.
inline constexpr std::size_t kMaxLocalPart = 64;
/// RFC 5321 §4.5.3.1.2: the server must accept domains of up to 255 octets.
inline constexpr std::size_t kMaxDomain = 255;

/// The longest command line (CRLF included) a verb may have when `advertised` are in effect:
/// 512, plus what each advertised extension adds to MAIL or RCPT (RFC 3461 §5.4: "a command-line
/// large enough for each SMTP command and any combination of ESMTP parameters").
[[nodiscard]] std::size_t max_command_line(Verb verb, Extensions advertised);

/// The longest command line of any verb under `advertised`: the framer's limit.
[[nodiscard]] std::size_t max_command_line(Extensions advertised);

} // namespace smtpd::grammar
