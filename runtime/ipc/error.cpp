// The IPC error category: names for IpcErrc values, for the log.
// Depends on: ipc/error.hpp.
#include "ipc/error.hpp"

#include <string>

namespace smtpd::ipc {

namespace {

class IpcCategory final : public std::error_category {
  public:
    [[nodiscard]] char const* name() const noexcept override { return "smtpd.ipc"; }
    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<IpcErrc>(value)) {
        case IpcErrc::FrameTooShort:
            return "frame length below the header size";
        case IpcErrc::FrameTooLarge:
            return "frame larger than the maximum frame size";
        case IpcErrc::LengthMismatch:
            return "frame length field does not match the frame";
        case IpcErrc::WrongVersion:
            return "frame of another IPC version";
        case IpcErrc::UnknownType:
            return "frame of an unknown message type";
        case IpcErrc::UnknownFlags:
            return "frame with undefined flags";
        case IpcErrc::Truncated:
            return "field runs past the end of the frame";
        case IpcErrc::TrailingBytes:
            return "bytes after the last field";
        case IpcErrc::BadBool:
            return "bool field neither 0 nor 1";
        case IpcErrc::BadEnum:
            return "enum field out of range";
        case IpcErrc::MissingFd:
            return "frame flagged with a file descriptor arrived without one";
        case IpcErrc::UnexpectedFd:
            return "file descriptor that no frame claims";
        case IpcErrc::PeerClosed:
            return "peer closed the channel";
        case IpcErrc::ChannelClosed:
            return "channel closed";
        case IpcErrc::UnknownRequestId:
            return "reply to an unknown request id";
        case IpcErrc::DuplicateRequestId:
            return "request id already pending";
        }
        return "unknown IPC error";
    }
};

} // namespace

std::error_category const& ipc_category() {
    static IpcCategory const category;
    return category;
}

} // namespace smtpd::ipc
