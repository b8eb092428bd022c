// Blocking socket connects with a time limit, for the processes that use no event loop here: the
// LMTP delivery child (deliver/lmtp), the parent's `relay host lmtp` sockets and smtpctl. The
// socket is left blocking, with the same limit on each later read and write (SO_RCVTIMEO /
// SO_SNDTIMEO), so a silent peer is a timeout, not a hang. Failures name the address.
// Depends on: common/fs.hpp, common/result.hpp.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"

#include <chrono>
#include <string>
#include <sys/socket.h>

namespace smtpd::rt {

/// connect(2) of `fd` to `addr` within `timeout`, then `timeout` on each read and write.
[[nodiscard]] Result<void> connect_bounded(int fd, sockaddr const* addr, socklen_t len,
                                           std::chrono::milliseconds timeout);

/// A unix stream socket connected to `path` within `timeout`, as connect_bounded leaves it. The
/// failure's sentence is "connect to <path>: <the error's text>".
[[nodiscard]] Result<Fd> connect_unix(std::string const& path, std::chrono::milliseconds timeout);

} // namespace smtpd::rt
