// BodyEncoder (body_encoder.hpp): one pass over each piece with two bits of state carried
// across pieces (at a line start; after a CR), so the output does not depend on the split;
// under BDAT one encoded piece is held back so that the last one carries LAST.
// RFC 5321 §4.5.2 (transparency), RFC 3030 §2 (BDAT). Depends on: body_encoder.hpp, grammar/.
#include "smtpd/sm/body_encoder.hpp"

#include "smtpd/grammar/command.hpp"

#include <utility>

namespace smtpd::sm {

void BodyEncoder::normalize(std::string_view content, std::string& out) {
    bool const dots = framing_ == BodyFraming::Dot;
    for (char const c : content) {
        if (std::exchange(after_cr_, false) && c == '\n') {
            continue; // the LF of a CRLF whose CR was written as CRLF
        }
        if (c == '\r' || c == '\n') {
            out += "\r\n";
            line_start_ = true;
            after_cr_ = c == '\r';
            continue;
        }
        if (dots && line_start_ && c == '.') {
            out += '.';
        }
        out += c;
        line_start_ = false;
    }
}

std::string BodyEncoder::frame(std::string body, bool last) {
    if (framing_ == BodyFraming::Dot) {
        return body;
    }
    grammar::Command c;
    c.verb = grammar::Verb::Bdat;
    c.chunk_size = body.size();
    c.last = last;
    ++commands_;
    return grammar::format_command(c) + "\r\n" + body;
}

std::string BodyEncoder::encode(std::string_view content) {
    std::string out;
    out.reserve(content.size() + content.size() / 64 + 2);
    normalize(content, out);
    if (framing_ == BodyFraming::Dot || out.empty()) {
        return out;
    }
    // BDAT: the piece is held back until the next one comes, so the last piece goes with LAST
    // and a message read in one piece is one BDAT command.
    std::swap(out, held_);
    return out.empty() ? out : frame(std::move(out), false);
}

std::string BodyEncoder::finish() {
    std::string tail = line_start_ ? std::string() : std::string("\r\n");
    line_start_ = true;
    after_cr_ = false;
    if (framing_ == BodyFraming::Dot) {
        return tail + ".\r\n";
    }
    return frame(std::exchange(held_, std::string()) + tail, true);
}

} // namespace smtpd::sm
