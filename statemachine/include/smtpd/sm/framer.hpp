// The framer: bytes in, command lines, data chunks and data ends out (DATA, and BDAT chunks
// counted in octets, RFC 3030 §2). Pure: no I/O, no clock.
// Invariant (Beast's parsegrind as a contract): any split of the same byte stream into push()
// calls yields the same sequence of frames, once adjacent DataChunks are merged.
// RFC 5321 §2.3.8 and §4.1.1.4: only CRLF ends a line, and only CRLF "." CRLF ends DATA; a bare
// CR, a bare LF or a NUL never does (the SMTP smuggling class of 2023). §4.5.2: dot-unstuffing.
// §4.5.3.1.4 and §4.5.3.1.6: over-long lines are reported as frames, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
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

/// The last octet of a BDAT chunk was read (or skipped); the framer is back in Command mode.
struct ChunkEndFrame {
    std::uint64_t octets = 0;
    friend bool operator==(ChunkEndFrame const&, ChunkEndFrame const&) = default;
};

using Frame =
    std::variant<LineFrame, LineTooLongFrame, DataChunkFrame, DataEndFrame, ChunkEndFrame>;

/// How the framer reads the bytes it holds. The session decides when to switch (after 354, after
/// a BDAT line, during an AUTH exchange). Data and chunks return to Command by themselves.
enum class FramerMode : unsigned char {
    Command,   ///< CRLF-terminated command lines
    Data,      ///< DATA content up to CRLF.CRLF
    Chunk,     ///< a BDAT chunk: its octets as DataChunkFrames, then a ChunkEndFrame
    SkipChunk, ///< a refused BDAT chunk: its octets dropped, then a ChunkEndFrame
    AuthLine,  ///< lines of an AUTH exchange, up to the longer SASL limit (RFC 4954 §4)
};

/// Splits an SMTP byte stream into frames. Pull-based so that a mode switch decided by the
/// session applies exactly from the next byte on, even when the client pipelined (RFC 2920).
class Framer {
  public:
    /// `max_line` is the command-line limit including CRLF; `max_text_line` the DATA one;
    /// `max_auth_line` the limit of a line in an AUTH exchange.
    explicit Framer(std::size_t max_line, std::size_t max_text_line,
                    std::size_t max_auth_line = kDefaultMaxAuthLine);

    /// RFC 4954 §4: 12,288 octets for the lines of an AUTH exchange.
    static constexpr std::size_t kDefaultMaxAuthLine = 12288;

    /// Appends received bytes.
    void push(std::string_view bytes);
    /// The next complete frame, or nullopt when more bytes are needed.
    [[nodiscard]] std::optional<Frame> next();
    /// Switches mode; takes effect at the next unread byte.
    void set_mode(FramerMode mode);
    /// Reads (or with `skip`, drops) the next `octets` octets as a BDAT chunk.
    void read_chunk(std::uint64_t octets, bool skip);
    /// Drops every buffered byte not yet framed (RFC 3207 §4.2 after STARTTLS).
    void discard_buffered();

    [[nodiscard]] FramerMode mode() const { return mode_; }
    /// Bytes received but not yet returned in a frame (runtime: flush replies when 0, RFC 2920).
    [[nodiscard]] std::size_t buffered() const { return buf_.size() - pos_; }

  private:
    std::optional<Frame> next_command();
    std::optional<Frame> next_data();
    std::optional<Frame> next_chunk();
    [[nodiscard]] std::size_t line_limit() const {
        return mode_ == FramerMode::AuthLine ? max_auth_line_ : max_line_;
    }
    void compact();

    std::string buf_;
    std::size_t pos_ = 0;
    FramerMode mode_ = FramerMode::Command;
    std::size_t max_line_;
    std::size_t max_text_line_;
    std::size_t max_auth_line_;
    std::uint64_t chunk_left_ = 0; ///< Chunk/SkipChunk: octets still to come
    std::uint64_t chunk_size_ = 0; ///< Chunk/SkipChunk: the chunk's declared size
    bool discarding_ = false;      ///< inside an over-long command line, waiting for its CRLF
    bool at_line_start_ = true;    ///< DATA: the next byte starts a text line
    std::size_t line_length_ = 0;  ///< DATA: octets of this text line so far, no stuffed dot
    bool line_too_long_ = false;   ///< DATA: some line of this message was too long
    std::size_t octets_ = 0;       ///< DATA: unstuffed octets so far
};

} // namespace smtpd::sm
