// The one codec of every IPC message: a frame is a 10-byte header (u32 length of the whole frame,
// u16 version, u16 type, u16 flags; little-endian) and the message's fields in the order its
// `fields()` lists them (docs/arch/ipc.md). The decoder trusts nothing: every length is checked
// against what is left, the frame is bounded by kMaxFrameSize, and any defect is an IpcErrc,
// never an exception or undefined behaviour. The encoding is canonical: a decoded frame
// re-encodes to the same bytes (the fuzz property). Depends on: ipc/messages.hpp, ipc/error.hpp,
// common/result.hpp.
#pragma once

#include "common/result.hpp"
#include "ipc/messages.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace smtpd::ipc {

template <class T> using Result = rt::Result<T>;

/// u32 length, u16 version, u16 type, u16 flags.
inline constexpr std::size_t kHeaderSize = 10;
/// The largest frame, header included, either side accepts (a message's envelope fits easily).
inline constexpr std::size_t kMaxFrameSize = std::size_t{1} << 20U;
/// Header flag: one file descriptor travels with this frame (SCM_RIGHTS).
inline constexpr std::uint16_t kFlagFd = 1U << 0U;
inline constexpr std::uint16_t kKnownFlags = kFlagFd;

/// A decoded frame: the message, and whether the sender attached an fd to it.
struct Decoded {
    Message message;
    bool has_fd = false;
};

/// One frame for `message`; FrameTooLarge when it would exceed kMaxFrameSize.
[[nodiscard]] Result<std::vector<std::byte>> encode(Message const& message, bool has_fd = false);

/// Decodes exactly one whole frame (as FrameReader yields them).
[[nodiscard]] Result<Decoded> decode_frame(std::span<std::byte const> frame);

/// decode_frame without the fd flag.
[[nodiscard]] Result<Message> decode(std::span<std::byte const> frame);

/// The little-endian u32 at the start of `bytes` (which must hold 4).
[[nodiscard]] std::uint32_t load_u32(std::span<std::byte const> bytes);

} // namespace smtpd::ipc
