// The error codes of the IPC layer (IpcErrc, registered as a std::error_category): what the frame
// decoder refuses, what a channel reports about its peer, and an unknown reply id. Every one of
// them from an internal peer is fatal to the receiving process; the caller decides.
// Depends on: the standard library.
#pragma once

#include <system_error>

namespace smtpd::ipc {

enum class IpcErrc : int {
    FrameTooShort = 1,  ///< the length field is below the header size
    FrameTooLarge,      ///< the length field (or an encoding) exceeds kMaxFrameSize
    LengthMismatch,     ///< the length field is not the size of the frame given to decode
    WrongVersion,       ///< the header's version is not kIpcVersion
    UnknownType,        ///< the header's type is no MsgType
    UnknownFlags,       ///< a flag bit that is not defined is set
    Truncated,          ///< a field runs past the end of the frame
    TrailingBytes,      ///< bytes left after the last field of the message
    BadBool,            ///< a bool byte that is neither 0 nor 1
    BadEnum,            ///< an enum value out of its range
    MissingFd,          ///< a frame flagged with an fd arrived without one
    UnexpectedFd,       ///< an fd arrived that no frame claims, or too many of them
    PeerClosed,         ///< the peer closed the channel (mid-frame or between frames)
    ChannelClosed,      ///< this end is closed, or a write to the peer failed earlier
    UnknownRequestId,   ///< a reply whose request id is not pending
    DuplicateRequestId, ///< a request id registered twice
};

[[nodiscard]] std::error_category const& ipc_category();

[[nodiscard]] inline std::error_code make_error_code(IpcErrc e) {
    return {static_cast<int>(e), ipc_category()};
}

} // namespace smtpd::ipc

template <> struct std::is_error_code_enum<smtpd::ipc::IpcErrc> : std::true_type {};
