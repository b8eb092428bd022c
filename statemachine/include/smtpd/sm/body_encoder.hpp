// The streaming body encoder a client driver writes a message through, chunk by chunk as it
// reads the spool: bare CR or LF become CRLF and the content ends in CRLF (no server may see an
// end of data inside the body: the SMTP smuggling class, CVE-2023-51764); under DATA a "." is
// doubled at the start of a line and ".\r\n" ends the body (RFC 5321 §4.5.2); under BDAT each
// chunk is framed "BDAT <n>" and the last "BDAT <n> LAST" (RFC 3030 §2), BDAT 0 LAST when empty.
// The output is the same however the content is split: a CR at the end of one chunk and the LF
// starting the next are one line end. dot_stuff() (client.hpp) is its whole-string oracle. Depends
// on: client.hpp.
#pragma once

#include "smtpd/sm/client.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace smtpd::sm {

class BodyEncoder {
  public:
    explicit BodyEncoder(BodyFraming framing) : framing_(framing) {}

    /// The bytes to write for the next piece of the content. Under BDAT: the previous piece as
    /// one framed chunk (this one is held back for LAST), or nothing.
    [[nodiscard]] std::string encode(std::string_view content);
    /// The bytes that end the body: the last line's CRLF if missing, then ".\r\n" or the
    /// "BDAT <n> LAST" chunk. Call once, after the last encode.
    [[nodiscard]] std::string finish();
    /// BDAT commands produced so far (ClientConnection::body_written's argument); 0 under DATA.
    [[nodiscard]] std::size_t bdat_commands() const { return commands_; }

  private:
    void normalize(std::string_view content, std::string& out);
    std::string frame(std::string body, bool last);

    BodyFraming framing_;
    bool line_start_ = true; ///< the next octet starts a line
    bool after_cr_ = false;  ///< the last octet was a CR (written as CRLF): skip an LF next
    std::string held_;       ///< BDAT: the last encoded piece, not yet framed
    std::size_t commands_ = 0;
};

} // namespace smtpd::sm
