// The typed value of a server reply (RFC 5321 §4.2) and its parser, for the client side: the
// reply code, the RFC 3463 enhanced status code when the text carries one (RFC 2034), and the
// text of each line. Malformed, over-long or endless replies are errors, never a partial value
// (the CVE-2020-8794 class: a client must not act on half a reply).
// Depends on: the standard library; parse.hpp.
#pragma once

#include "smtpd/grammar/parse.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::grammar {

/// status-code = class "." subject "." detail   (RFC 3463 §2)
struct EnhancedCode {
    unsigned cls = 0;
    unsigned subject = 0;
    unsigned detail = 0;
    friend bool operator==(EnhancedCode const&, EnhancedCode const&) = default;
};

struct Reply {
    unsigned code = 0;                    ///< 200..559 (Reply-code of RFC 5321 §4.2)
    std::optional<EnhancedCode> enhanced; ///< of the first line, when its class matches the code
    std::vector<std::string> lines;       ///< each line's text, "" when it has none
    friend bool operator==(Reply const&, Reply const&) = default;
};

/// Parses one whole reply, every line ending in CRLF (RFC 5321 §4.2's Reply-line). Errors:
/// LineTooLong for a line over kMaxReplyLine octets, ReplyTooLong for more than kMaxReplyLines
/// lines, Syntax for anything else that is not a Reply-line, and for lines whose codes differ
/// (RFC 5321 §4.2.1: "the reply code on each line MUST be the same"... of a multiline reply).
[[nodiscard]] Parsed<Reply> parse_reply(std::string_view text);

/// True if `line` (one reply line, without its CRLF) ends a reply: no "-" after its code.
[[nodiscard]] bool is_last_reply_line(std::string_view line);

/// One line of an EHLO reply's text: ehlo-keyword *( SP ehlo-param )   (RFC 5321 §4.1.1.1)
struct EhloLine {
    std::string keyword;
    std::vector<std::string> params;
    friend bool operator==(EhloLine const&, EhloLine const&) = default;
};

/// Parses the text of one EHLO reply line (after "250-" / "250 ").
[[nodiscard]] Parsed<EhloLine> parse_ehlo_line(std::string_view text);

/// The reply as sent: every line "<code>-<text>" but the last, "<code> <text>", each with CRLF.
[[nodiscard]] std::string format_reply(Reply const& reply);

} // namespace smtpd::grammar
