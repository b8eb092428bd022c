// Binding the listening sockets of the `listen on` lines of smtpd.conf. The parent binds them
// (port 25 needs root) with a backlog of SOMAXCONN (never less than 128) and passes them to the
// dispatcher, whose listener (dispatcher/listener.hpp) accepts. smtpd.conf(5): `listen on` takes
// an address, an interface, "egress" or a host name (io/listen_addresses.hpp); the port defaults
// to 25 (465 for smtps).
// Depends on: grammar/ (conf AST), common/, Boost.Asio.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"
#include "conf/ast.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace smtpd::rt {

/// The endpoints a `listen on` line means now (io/listen_addresses.hpp). A target that names no
/// usable address is a Failure "file:line:col: listen on X: why".
[[nodiscard]] Result<std::vector<boost::asio::ip::tcp::endpoint>>
listen_endpoints(conf::Listen const& listen);

/// `smtpd -n`: every listen target resolved as at start; one message per target that is not.
[[nodiscard]] std::vector<std::string> check_listen_targets(conf::Config const& config);

/// A bound, listening socket of the `listen on` line `listen_index`.
struct BoundSocket {
    std::uint32_t listen_index;
    Fd fd;
};

/// The parent's part: binds and listens on every endpoint of every `listen on` line.
[[nodiscard]] Result<std::vector<BoundSocket>> bind_listeners(conf::Config const& config);

} // namespace smtpd::rt
