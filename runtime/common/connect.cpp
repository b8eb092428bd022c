// Blocking connects with a time limit: a non-blocking connect(2) waited for with poll(2), then
// the socket made blocking again with SO_RCVTIMEO / SO_SNDTIMEO.
#include "common/connect.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/time.h>
#include <sys/un.h>

namespace smtpd::rt {

namespace {

timeval to_timeval(std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    return tv;
}

Result<void> set_timeouts(int fd, std::chrono::milliseconds t) {
    timeval const tv = to_timeval(t);
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
        return last_error();
    }
    return success();
}

Failure connect_failure(std::string const& path, std::error_code ec) {
    return failure(ec, fmt::format("connect to {}: {}", path, ec.message()));
}

} // namespace

Result<void> connect_bounded(int fd, sockaddr const* addr, socklen_t len,
                             std::chrono::milliseconds timeout) {
    int const flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        return last_error();
    }
    if (::connect(fd, addr, len) != 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) {
            return last_error();
        }
        pollfd p{fd, POLLOUT, 0};
        int const n = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (n <= 0) {
            return n == 0 ? std::make_error_code(std::errc::timed_out) : last_error();
        }
        int err = 0;
        socklen_t err_len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
            return std::error_code(err != 0 ? err : errno, std::generic_category());
        }
    }
    if (::fcntl(fd, F_SETFL, flags) != 0) {
        return last_error();
    }
    return set_timeouts(fd, timeout);
}

Result<Fd> connect_unix(std::string const& path, std::chrono::milliseconds timeout) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        return connect_failure(path, std::make_error_code(std::errc::filename_too_long));
    }
    std::memcpy(static_cast<char*>(addr.sun_path), path.c_str(), path.size() + 1);
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) {
        return connect_failure(path, last_error());
    }
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    auto const* sa = reinterpret_cast<sockaddr const*>(&addr);
    if (auto r = connect_bounded(fd.get(), sa, sizeof addr, timeout); !r) {
        return connect_failure(path, r.error().code);
    }
    return fd;
}

} // namespace smtpd::rt
