// reply.hpp on top of the generated ASCII grammar: the limits (line length, line count) are
// checked before the parse, so an over-long or endless reply is refused without parsing it;
// then Reply-line decides, and the captured reply codes and texts make the value.
// Depends on: the generated ascii/rules.hpp, smtpd/grammar/limits.hpp.
#include "smtpd/grammar/reply.hpp"

#include "ascii/rules.hpp"
#include "smtpd/grammar/limits.hpp"

#include <cstdint>
#include <string>

namespace smtpd::grammar {

namespace {

namespace ascii = gen::ascii;
using abnf_x3::Capture;
using Cap = ascii::Cap;

unsigned number(std::string_view digits) {
    unsigned n = 0;
    for (char const c : digits) {
        n = n * 10 + static_cast<unsigned>(c - '0');
    }
    return n;
}

/// RFC 2034 §4: the text starts with the status code and a space (or is only the code).
std::optional<EnhancedCode> enhanced_code(std::string_view text, unsigned reply_code) {
    std::string_view const code = text.substr(0, text.find(' '));
    std::vector<Capture> ignored;
    if (!ascii::parse(ascii::Entry::rfc3463_status_code, code, ignored)) {
        return std::nullopt;
    }
    auto const dot1 = code.find('.');
    auto const dot2 = code.find('.', dot1 + 1);
    EnhancedCode e{number(code.substr(0, dot1)), number(code.substr(dot1 + 1, dot2 - dot1 - 1)),
                   number(code.substr(dot2 + 1))};
    // RFC 3463 §3.1: the class "2", "4" or "5" says success, persistent or permanent failure,
    // as the reply code's first digit does; a code that contradicts the reply is not one.
    if (e.cls != reply_code / 100) {
        return std::nullopt;
    }
    return e;
}

/// RFC 5321 §4.5.3.1.5's line length and our line count, before any parsing.
std::optional<ParseError> check_limits(std::string_view text) {
    std::size_t lines = 0;
    for (std::size_t start = 0; start < text.size();) {
        auto end = text.find("\r\n", start);
        end = end == std::string_view::npos ? text.size() : end + 2;
        if (end - start > kMaxReplyLine) {
            return ParseError{start + kMaxReplyLine, "Reply-line", ErrorKind::LineTooLong};
        }
        if (++lines > kMaxReplyLines) {
            return ParseError{start, "Reply-line", ErrorKind::ReplyTooLong};
        }
        start = end;
    }
    return std::nullopt;
}

/// The Reply from an accepted Reply-line's captures: a Reply-code starts each line.
Parsed<Reply> build_reply(std::string_view text, std::vector<Capture> const& caps) {
    Reply reply;
    for (auto const& c : caps) {
        if (c.is(Cap::rfc5321_reply_code)) {
            unsigned const code = number(c.in(text));
            if (!reply.lines.empty() && code != reply.code) {
                return ParseError{c.begin, "Reply-code", ErrorKind::Syntax};
            }
            reply.code = code;
            reply.lines.emplace_back();
        } else if (c.is(Cap::rfc5321_textstring) && !reply.lines.empty()) {
            reply.lines.back() = std::string(c.in(text));
        }
    }
    if (!reply.lines.empty()) {
        reply.enhanced = enhanced_code(reply.lines.front(), reply.code);
    }
    return reply;
}

} // namespace

bool is_last_reply_line(std::string_view line) {
    return line.size() < 4 || line[3] != '-';
}

Parsed<Reply> parse_reply(std::string_view text) {
    if (auto error = check_limits(text)) {
        return *error;
    }
    std::vector<Capture> caps;
    abnf_x3::Failure failure;
    if (!ascii::parse(ascii::Entry::rfc5321_reply_line, text, caps, &failure)) {
        return ParseError{failure.offset, failure.rule.empty() ? "Reply-line" : failure.rule,
                          ErrorKind::Syntax};
    }
    return build_reply(text, caps);
}

Parsed<EhloLine> parse_ehlo_line(std::string_view text) {
    std::vector<Capture> caps;
    abnf_x3::Failure failure;
    if (!ascii::parse(ascii::Entry::rfc5321_ehlo_line, text, caps, &failure)) {
        return ParseError{failure.offset, failure.rule.empty() ? "ehlo-line" : failure.rule,
                          ErrorKind::Syntax};
    }
    EhloLine line;
    for (auto const& c : caps) {
        if (c.is(Cap::rfc5321_ehlo_keyword)) {
            line.keyword = std::string(c.in(text));
        } else if (c.is(Cap::rfc5321_ehlo_param)) {
            line.params.emplace_back(c.in(text));
        }
    }
    return line;
}

std::string format_reply(Reply const& reply) {
    std::string out;
    std::string const code = std::to_string(reply.code);
    for (std::size_t i = 0; i < reply.lines.size(); ++i) {
        bool const last = i + 1 == reply.lines.size();
        std::string const& text = reply.lines[i];
        out += code + (last ? (text.empty() ? "" : " ") : "-") + text + "\r\n";
    }
    return out;
}

} // namespace smtpd::grammar
