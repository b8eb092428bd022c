// The framer: bytes in, command lines, data chunks and data ends out. Pure: no I/O, no clock.
// Invariant (Beast's parsegrind as a contract): any split of the same byte stream into push()
// calls yields the same sequence of frames, once adjacent DataChunks are merged.
// RFC 5321 §2.3.8 and §4.1.1.4: only CRLF ends a line, and only CRLF "." CRLF ends DATA; a bare
// CR, a bare LF or a NUL never does (the SMTP smuggling class of 2023). §4.5.2: dot-unstuffing.
// §4.5.3.1.4 and §4.5.3.1.6: over-long lines are reported as frames, never a crash.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace smtpd::sm {

/// A command line, without its CRLF.
struct LineFrame {
    std::string text;
    friend bool operator==(LineFrame const&, LineFrame const&) = default;
};

/// A command line longer than the limit; its bytes were discarded up to and including the CRLF.
struct LineTooLongFrame {
    friend bool operator==(LineTooLongFrame const&, LineTooLongFrame const&) = default;
};

/// Message content in DATA, dot-unstuffed, with its CRLFs. A line may span several chunks.
struct DataChunkFrame {
    std::string bytes;
    friend bool operator==(DataChunkFrame const&, DataChunkFrame const&) = default;
};

/// The CRLF "." CRLF that ends DATA. `line_too_long` is set when some text line of the message
/// exceeded the text-line limit; `octets` counts the unstuffed content.
struct DataEndFrame {
    bool line_too_long = false;
    std::size_t octets = 0;
    friend bool operator==(DataEndFrame const&, DataEndFrame const&) = default;
};

using Frame = std::variant<LineFrame, LineTooLongFrame, DataChunkFrame, DataEndFrame>;

/// How the framer reads the bytes it holds. The session decides when to switch (after 354).
enum class FramerMode : unsigned char { Command, Data };

/// Splits an SMTP byte stream into frames. Pull-based so that a mode switch decided by the
/// session applies exactly from the next byte on, even when the client pipelined (RFC 2920).
class Framer {
  public:
    /// `max_line` is the command-line limit including CRLF; `max_text_line` the DATA one.
    explicit Framer(std::size_t max_line, std::size_t max_text_line);

    /// Appends received bytes.
    void push(std::string_view bytes);
    /// The next complete frame, or nullopt when more bytes are needed.
    [[nodiscard]] std::optional<Frame> next();
    /// Switches mode; takes effect at the next unread byte.
    void set_mode(FramerMode mode);
    /// Drops every buffered byte not yet framed (RFC 3207 §4.2 after STARTTLS).
    void discard_buffered();

    [[nodiscard]] FramerMode mode() const { return mode_; }
    /// Bytes received but not yet returned in a frame (runtime: flush replies when 0, RFC 2920).
    [[nodiscard]] std::size_t buffered() const { return buf_.size() - pos_; }

  private:
    std::optional<Frame> next_command();
    std::optional<Frame> next_data();
    void compact();

    std::string buf_;
    std::size_t pos_ = 0;
    FramerMode mode_ = FramerMode::Command;
    std::size_t max_line_;
    std::size_t max_text_line_;
    bool discarding_ = false;     ///< inside an over-long command line, waiting for its CRLF
    bool at_line_start_ = true;   ///< DATA: the next byte starts a text line
    std::size_t line_length_ = 0; ///< DATA: octets of the current text line so far (with the dot)
    bool line_too_long_ = false;  ///< DATA: some line of this message was too long
    std::size_t octets_ = 0;      ///< DATA: unstuffed octets so far
};

} // namespace smtpd::sm
