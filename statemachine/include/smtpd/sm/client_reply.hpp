// The client side's reply assembler: server bytes in, whole replies out (RFC 5321 §4.2), sans
// I/O. Lines end in CRLF and are at most kMaxReplyLine octets (§4.5.3.1.5); a reply has at most
// kMaxReplyLines lines; its lines share one code (§4.2.1). A reply is parsed with
// grammar::parse_reply only once whole, so the client never acts on half a reply, and an
// over-long, endless, malformed or mixed reply is an error, never a partial value (the
// CVE-2020-8794 class). Memory is bounded: one line plus the lines of one reply.
// Depends on: grammar/ (reply.hpp, limits.hpp).
#pragma once

#include "smtpd/grammar/reply.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace smtpd::sm {

/// Why the server's bytes are not a reply. The session ends on any of them.
enum class ClientReplyError : unsigned char {
    LineTooLong,  ///< a line over kMaxReplyLine octets, CRLF included
    TooManyLines, ///< more than kMaxReplyLines lines in one reply
    Malformed,    ///< not Reply-line (RFC 5321 §4.2): a short line, no code, bad text
    MixedCodes,   ///< the lines of one reply carry different codes (RFC 5321 §4.2.1)
};

/// A whole reply, or why there is none.
using ClientReplyResult = std::variant<grammar::Reply, ClientReplyError>;

/// Bytes in, replies out; the result is the same however the bytes are split (Beast's rule).
/// Use: `n = feed(bytes)`, drop `n` bytes, then `take()`; repeat while bytes remain.
class ClientReplyAssembler {
  public:
    /// Consumes bytes up to the end of one reply (or up to an error) and stops there: a ready
    /// result must be taken before more is consumed. After an error, every byte is consumed and
    /// dropped. Returns how many bytes were consumed.
    [[nodiscard]] std::size_t feed(std::string_view bytes);

    /// The reply (or error) completed by feed, once; nullopt while more bytes are needed.
    [[nodiscard]] std::optional<ClientReplyResult> take();

    /// True once an error was found: the stream is no longer trusted.
    [[nodiscard]] bool failed() const { return failed_; }

  private:
    void end_line();
    void fail(ClientReplyError error);

    std::string line_;               ///< the line being read, CRLF included once complete
    std::vector<std::string> lines_; ///< the complete lines of the reply being read
    std::optional<ClientReplyResult> ready_;
    bool failed_ = false;
};

/// Parses every reply in `bytes` at once (tests and tools): the replies, then the first error.
[[nodiscard]] std::vector<ClientReplyResult> assemble_replies(std::string_view bytes);

} // namespace smtpd::sm
