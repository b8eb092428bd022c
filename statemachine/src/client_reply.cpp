// ClientReplyAssembler (client_reply.hpp): splits server bytes into CRLF lines, checks the limits
// as each byte arrives (so an endless line or reply is refused at its limit, not at its end, and
// a bare LF or CR at once rather than at the time-out), and hands a whole reply to
// grammar::parse_reply. RFC 5321 §2.3.8, §4.2, §4.2.1, §4.5.3.1.5.
// Invariants: line_ < kMaxReplyLine octets unless it ends in CRLF; lines_ < kMaxReplyLines.
// Depends on: grammar/ (reply.hpp, limits.hpp).
#include "smtpd/sm/client_reply.hpp"

#include "smtpd/grammar/limits.hpp"

#include <utility>

namespace smtpd::sm {

namespace {

bool ends_in_crlf(std::string const& line) {
    return line.size() >= 2 && line[line.size() - 2] == '\r' && line.back() == '\n';
}

/// RFC 5321 §2.3.8, §4.2: a reply line ends in CRLF, and neither CR nor LF occurs elsewhere in
/// it. A LF without its CR, or a CR followed by anything but LF, can never become a reply line.
bool bare_line_end(std::string const& line) {
    std::size_t const n = line.size();
    return (line.back() == '\n' && (n < 2 || line[n - 2] != '\r')) ||
           (n >= 2 && line[n - 2] == '\r' && line.back() != '\n');
}

ClientReplyError error_of(grammar::ParseError const& error) {
    switch (error.kind) {
    case grammar::ErrorKind::LineTooLong:
        return ClientReplyError::LineTooLong;
    case grammar::ErrorKind::ReplyTooLong:
        return ClientReplyError::TooManyLines;
    default:
        // Mixed codes were refused line by line (end_line), before the parse.
        return ClientReplyError::Malformed;
    }
}

ClientReplyResult parse(std::vector<std::string> const& lines) {
    std::string text;
    for (auto const& l : lines) {
        text += l;
    }
    auto parsed = grammar::parse_reply(text);
    if (!parsed) {
        return error_of(parsed.error());
    }
    return std::move(parsed).value();
}

} // namespace

void ClientReplyAssembler::fail(ClientReplyError error) {
    failed_ = true;
    ready_ = error;
    line_.clear();
    lines_.clear();
}

void ClientReplyAssembler::end_line() {
    // "250 " with no text: RFC 5321 §4.2 wants text after the space, but Postfix's smtp-sink
    // ends its EHLO reply so and Postfix's client takes it; read it as "250" (robustness).
    if (line_.size() == 6 && line_[3] == ' ') {
        line_.erase(3, 1);
    }
    std::string_view const text(line_.data(), line_.size() - 2);
    // RFC 5321 §4.2.1: every line of a multiline reply carries the same code; refused as soon
    // as a line differs, so a reply of mixed codes cannot run on to the line limit.
    if (!lines_.empty() && text.size() >= 3 && lines_.front().size() >= 5 &&
        text.substr(0, 3) != std::string_view(lines_.front()).substr(0, 3)) {
        fail(ClientReplyError::MixedCodes);
        return;
    }
    bool const last = grammar::is_last_reply_line(text);
    lines_.push_back(std::move(line_));
    line_.clear();
    if (last) {
        ready_ = parse(lines_);
        lines_.clear();
        if (std::holds_alternative<ClientReplyError>(*ready_)) {
            failed_ = true;
        }
    } else if (lines_.size() >= grammar::kMaxReplyLines) {
        fail(ClientReplyError::TooManyLines); // the next line would be one too many
    }
}

std::size_t ClientReplyAssembler::feed(std::string_view bytes) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (failed_) {
            return bytes.size();
        }
        if (ready_) {
            return i;
        }
        line_.push_back(bytes[i]);
        if (ends_in_crlf(line_)) {
            end_line();
        } else if (bare_line_end(line_)) {
            fail(ClientReplyError::Malformed);
        } else if (line_.size() >= grammar::kMaxReplyLine) {
            // RFC 5321 §4.5.3.1.5: 512 octets including the CRLF; this line has no CRLF yet.
            fail(ClientReplyError::LineTooLong);
        }
    }
    return bytes.size();
}

std::optional<ClientReplyResult> ClientReplyAssembler::take() {
    return std::exchange(ready_, std::nullopt);
}

std::vector<ClientReplyResult> assemble_replies(std::string_view bytes) {
    ClientReplyAssembler assembler;
    std::vector<ClientReplyResult> out;
    while (!bytes.empty() && !assembler.failed()) {
        bytes.remove_prefix(assembler.feed(bytes));
        if (auto r = assembler.take()) {
            out.push_back(std::move(*r));
        }
    }
    if (auto r = assembler.take()) {
        out.push_back(std::move(*r));
    }
    return out;
}

} // namespace smtpd::sm
