// FrameReader: a buffer with a read offset; consumed bytes are dropped when they are more than
// half of the buffer, so feeding n bytes costs O(n) overall.
#include "ipc/frame_reader.hpp"

#include "ipc/error.hpp"

#include <cstddef>
#include <iterator>

namespace smtpd::ipc {

void FrameReader::feed(std::span<std::byte const> bytes) {
    if (start_ > 0 && start_ * 2 >= buffer_.size()) {
        buffer_.erase(buffer_.begin(),
                      std::next(buffer_.begin(), static_cast<std::ptrdiff_t>(start_)));
        start_ = 0;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<std::vector<std::byte>>> FrameReader::next() {
    if (error_) {
        return error_;
    }
    std::span<std::byte const> const rest = std::span(buffer_).subspan(start_);
    if (rest.size() < 4) {
        return std::optional<std::vector<std::byte>>{};
    }
    std::uint32_t const length = load_u32(rest);
    if (length < kHeaderSize) {
        error_ = IpcErrc::FrameTooShort;
        return error_;
    }
    if (length > kMaxFrameSize) {
        error_ = IpcErrc::FrameTooLarge;
        return error_;
    }
    if (rest.size() < length) {
        return std::optional<std::vector<std::byte>>{};
    }
    auto const frame = rest.first(length);
    start_ += length;
    return std::optional<std::vector<std::byte>>{
        std::vector<std::byte>(frame.begin(), frame.end())};
}

} // namespace smtpd::ipc
