// The framer's scanning rules. See framer.hpp for the contract.
// A command line ends only at CRLF; DATA ends only at CRLF "." CRLF, where the leading CRLF is
// the end of the previous text line (or the 354 reply, for an empty message).
#include "smtpd/sm/framer.hpp"

#include <algorithm>
#include <utility>

namespace smtpd::sm {

namespace {

constexpr std::string_view kCrlf = "\r\n";

} // namespace

Framer::Framer(std::size_t max_line, std::size_t max_text_line, std::size_t max_auth_line)
    : max_line_(max_line), max_text_line_(max_text_line), max_auth_line_(max_auth_line) {}

void Framer::push(std::string_view bytes) {
    compact();
    buf_.append(bytes);
}

void Framer::set_mode(FramerMode mode) {
    mode_ = mode;
    if (mode == FramerMode::Data) {
        at_line_start_ = true;
        line_length_ = 0;
        line_too_long_ = false;
        octets_ = 0;
    }
}

void Framer::read_chunk(std::uint64_t octets, bool skip) {
    mode_ = skip ? FramerMode::SkipChunk : FramerMode::Chunk;
    chunk_left_ = octets;
    chunk_size_ = octets;
}

void Framer::discard_buffered() {
    buf_.clear();
    pos_ = 0;
}

void Framer::compact() {
    if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
}

std::optional<Frame> Framer::next() {
    switch (mode_) {
    case FramerMode::Data:
        return next_data();
    case FramerMode::Chunk:
    case FramerMode::SkipChunk:
        return next_chunk();
    case FramerMode::Command:
    case FramerMode::AuthLine:
        break;
    }
    return next_command();
}

// RFC 3030 §2: the chunk is exactly chunk-size octets after the BDAT line's CRLF, whatever they
// are; no dot-stuffing, no line structure. A refused chunk is still read, and dropped (§2: "MUST
// accept and discard the associated message data before sending the appropriate 5XX or 4XX").
std::optional<Frame> Framer::next_chunk() {
    if (chunk_left_ == 0) {
        mode_ = FramerMode::Command;
        return ChunkEndFrame{chunk_size_};
    }
    std::size_t const available = buf_.size() - pos_;
    if (available == 0) {
        return std::nullopt;
    }
    auto const take = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, available));
    std::size_t const at = pos_;
    pos_ += take;
    chunk_left_ -= take;
    if (mode_ == FramerMode::SkipChunk) {
        return next_chunk();
    }
    return DataChunkFrame{buf_.substr(at, take)};
}

// RFC 5321 §4.5.3.1.4: the maximum total length of a command line including the <CRLF> is 512
// octets (more when extensions say so: the caller passes the limit).
std::optional<Frame> Framer::next_command() {
    std::string_view const view(buf_.data() + pos_, buf_.size() - pos_);
    auto const end = view.find(kCrlf);
    if (end == std::string_view::npos) {
        // Without a CRLF we can still know the line is too long: keep at most one byte (a
        // possible CR) and remember that the line is being discarded.
        if (discarding_ || view.size() >= line_limit()) {
            discarding_ = true;
            bool const keep_cr = !view.empty() && view.back() == '\r';
            pos_ = buf_.size() - (keep_cr ? 1 : 0);
        }
        return std::nullopt;
    }
    pos_ += end + kCrlf.size();
    if (discarding_ || end + kCrlf.size() > line_limit()) {
        discarding_ = false;
        return LineTooLongFrame{};
    }
    return LineFrame{std::string(view.substr(0, end))};
}

// RFC 5321 §4.5.2: a line starting with "." has it removed; the line "." alone ends the data.
// RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF, "not counting the
// leading dot duplicated for transparency"; longer lines are passed through unchanged and flagged
// on the DataEndFrame for the session to refuse.
std::optional<Frame> Framer::next_data() {
    std::string_view view(buf_.data() + pos_, buf_.size() - pos_);
    if (view.empty()) {
        return std::nullopt;
    }
    std::size_t skipped = 0; // a stuffed dot, consumed but not part of the content
    if (at_line_start_ && view.front() == '.') {
        if (view.size() < 3) {
            if (view == "." || view == ".\r") {
                return std::nullopt; // cannot tell ".\r\n" from ".x" yet
            }
        } else if (view.substr(0, 3) == ".\r\n") {
            pos_ += 3;
            DataEndFrame end{line_too_long_, octets_};
            mode_ = FramerMode::Command;
            return end;
        }
        skipped = 1;
        view.remove_prefix(1);
        line_length_ = 0; // the stuffed dot is not part of the text line
        at_line_start_ = false;
    }
    std::size_t take = 0;
    auto const crlf = view.find(kCrlf);
    if (crlf != std::string_view::npos) {
        take = crlf + kCrlf.size();
        at_line_start_ = true;
    } else {
        // Hold back a final CR: it may be the first half of a CRLF.
        take = (view.back() == '\r') ? view.size() - 1 : view.size();
        at_line_start_ = false;
    }
    if (take == 0) {
        pos_ += skipped;
        return skipped ? next_data() : std::nullopt;
    }
    line_length_ += take;
    if (line_length_ > max_text_line_) {
        line_too_long_ = true;
    }
    if (at_line_start_) {
        line_length_ = 0;
    }
    octets_ += take;
    pos_ += skipped + take;
    return DataChunkFrame{std::string(view.substr(0, take))};
}

} // namespace smtpd::sm
