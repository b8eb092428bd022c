// FrameReader: cuts a SOCK_STREAM byte stream into whole IPC frames (Beast's "done / need more /
// error" contract). It reads only the u32 length of each header; decode_frame checks the rest.
// A length below the header size or above kMaxFrameSize is refused as soon as its 4 bytes are
// in, so a hostile length never makes the reader wait for, or buffer, more than one maximal
// frame beyond what the caller fed. After an error the reader stays failed.
// Depends on: ipc/codec.hpp, ipc/error.hpp.
#pragma once

#include "ipc/codec.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

namespace smtpd::ipc {

class FrameReader {
  public:
    /// Appends bytes read from the stream.
    void feed(std::span<std::byte const> bytes);

    /// The next whole frame (header included), std::nullopt when more bytes are needed, or
    /// FrameTooShort / FrameTooLarge from its length field.
    [[nodiscard]] Result<std::optional<std::vector<std::byte>>> next();

    /// Bytes fed and not yet returned as a frame.
    [[nodiscard]] std::size_t buffered() const { return buffer_.size() - start_; }

  private:
    std::vector<std::byte> buffer_;
    std::size_t start_ = 0; ///< the first byte not yet returned
    std::error_code error_;
};

} // namespace smtpd::ipc
