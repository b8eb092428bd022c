// Where a delivery reads the queued message from: the descriptor the queue passed (a delivery
// child cannot open the spool, which belongs to the queue's user), or, in tests and tools, a
// path. Either way the caller gets its own descriptor positioned at the start of the message,
// and reads it in pieces with for_each_piece (the one read loop of the delivery methods).
// Depends on: common/fs.hpp, common/result.hpp.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"

#include <array>
#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>
#include <unistd.h>

namespace smtpd::rt {

/// A new descriptor reading the message from its start: a duplicate of `fd` when it is valid
/// (>= 0), else `path` opened read-only.
[[nodiscard]] Result<Fd> open_message(std::string const& path, int fd);

/// The whole message, from `fd` or `path` as above.
[[nodiscard]] Result<std::string> read_message(std::string const& path, int fd);

/// Reads `fd` to its end in pieces of up to 64 KiB and gives each to `each` (returning a
/// Result<void>). Stops at the first error of `each`, or of read() (EINTR is retried): a read
/// error is named after `what` ("what: reason") unless `what` is empty.
template <class Each>
[[nodiscard]] Result<void> for_each_piece(int fd, std::string_view what, Each each) {
    std::array<char, std::size_t{64} * 1024> buf{};
    for (;;) {
        ssize_t const n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            auto const ec = last_error();
            if (what.empty()) {
                return ec;
            }
            return failure(ec, std::string(what) + ": " + ec.message());
        }
        if (n == 0) {
            return success();
        }
        if (auto r = each(std::string_view(buf.data(), static_cast<std::size_t>(n))); !r) {
            return r;
        }
    }
}

} // namespace smtpd::rt
