// Size limits of RFC 5321 §4.5.3.1, in octets, shared by the grammar, the framer and the session.
// Depends on: nothing.
#pragma once

#include <cstddef>

namespace smtpd::grammar {

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including the CRLF.
inline constexpr std::size_t kMaxCommandLine = 512;
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

} // namespace smtpd::grammar
