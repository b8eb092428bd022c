// Small POSIX file helpers shared by the spool, the deliveries and the MTA: an owning file
// descriptor, whole writes, reads in pieces (for_each_piece: the one read loop over a queued
// message), and the fsync rules of durability (a file, then the directory holding its name).
// Depends on: common/result.hpp.
#pragma once

#include "common/result.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace smtpd::rt {

/// An owning file descriptor.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    Fd(Fd const&) = delete;
    Fd& operator=(Fd const&) = delete;
    ~Fd() { reset(); }

    [[nodiscard]] int get() const { return fd_; }
    [[nodiscard]] bool valid() const { return fd_ >= 0; }
    void reset();
    /// Gives the descriptor up to the caller (who closes it), leaving this one empty.
    [[nodiscard]] int release() { return std::exchange(fd_, -1); }

  private:
    int fd_ = -1;
};

/// Opens `path` with open(2) flags and mode; O_CLOEXEC is always added.
[[nodiscard]] Result<Fd> open_file(std::string const& path, int flags, unsigned mode = 0600);
/// Writes all of `bytes`, retrying short writes and EINTR.
[[nodiscard]] Result<void> write_all(int fd, std::string_view bytes);
/// Creates `path` (open flags O_WRONLY|O_CREAT plus `extra_flags`, mode 0600), writes `content`
/// and fsyncs it. The caller syncs the directory when the name must be durable too.
[[nodiscard]] Result<void> write_file_synced(std::string const& path, std::string_view content,
                                             int extra_flags);
/// Writes all of `bytes` at `offset` (pwrite(2)), leaving the file offset as it was.
[[nodiscard]] Result<void> write_all_at(int fd, std::string_view bytes, std::uint64_t offset);
/// Up to `size` octets from `offset` (pread(2)); fewer only at the end of the file.
[[nodiscard]] Result<std::string> read_at(int fd, std::uint64_t offset, std::size_t size);
/// fsync(2) of an open file.
[[nodiscard]] Result<void> sync_fd(int fd);
/// fdatasync(2): the file's data and what reading it back needs, not its times.
[[nodiscard]] Result<void> sync_data(int fd);
/// Opens a directory and fsyncs it, making the names in it durable.
[[nodiscard]] Result<void> sync_dir(std::string const& path);
/// mkdir -p with `mode` for the directories it creates.
[[nodiscard]] Result<void> make_dirs(std::string const& path, unsigned mode);
/// A queued message to read from `start` to its end: the queue hands its spool file over
/// positioned at the content, after the envelope slots (spool/message_file.hpp).
struct MessageContent {
    int fd = -1;
    std::uint64_t start = 0;
};
/// `fd` with its current offset as the content's start (taken before the first read).
[[nodiscard]] Result<MessageContent> content_here(int fd);
/// The octets from `content.start` to the end of the file.
[[nodiscard]] Result<std::uint64_t> content_size(MessageContent content);
/// True for the errors of a full spool or mailbox (ENOSPC, EDQUOT): 452 4.3.1, not 451.
[[nodiscard]] bool is_no_space(std::error_code ec);

/// Reads a whole file.
[[nodiscard]] Result<std::string> read_file(std::string const& path);
/// Reads from `fd` until end of file (EINTR retried); EFBIG once more than `limit` octets come.
[[nodiscard]] Result<std::string> read_to_end(int fd, std::size_t limit = std::string::npos);

/// One read(2) of up to `buffer.size()` octets (EINTR retried): how many came, 0 at the end.
[[nodiscard]] Result<std::size_t> read_piece(int fd, std::span<char> buffer);

/// Reads `fd` to its end in pieces of up to 64 KiB and gives each to `each` (returning a
/// Result<void>). Stops at the first error of `each`, or of read(): a read error is named after
/// `what` ("what: reason") unless `what` is empty.
template <class Each>
[[nodiscard]] Result<void> for_each_piece(int fd, std::string_view what, Each each) {
    std::array<char, std::size_t{64} * 1024> buf{};
    for (;;) {
        auto n = read_piece(fd, buf);
        if (!n) {
            if (what.empty()) {
                return n.error();
            }
            return failure(n.error().code, std::string(what) + ": " + n.error().what());
        }
        if (n.value() == 0) {
            return success();
        }
        if (auto r = each(std::string_view(buf.data(), n.value())); !r) {
            return r;
        }
    }
}

} // namespace smtpd::rt
