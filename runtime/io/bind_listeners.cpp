// Binding. The addresses of each target come from io/listen_addresses.hpp. Each endpoint is
// bound with SO_REUSEADDR, IPv6 sockets IPv6-only (so "localhost" can bind both families on one
// port).
#include "io/bind_listeners.hpp"

#include "io/listen_addresses.hpp"

#include "common/log.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace smtpd::rt {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr int kMinBacklog = 128;

std::string where(conf::Location const& l) {
    return fmt::format("{}:{}:{}", l.file, l.line, l.column);
}

Result<Fd> bind_endpoint(tcp::endpoint const& endpoint) {
    asio::io_context io;
    tcp::acceptor acceptor(io);
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec && endpoint.address().is_v6()) {
        acceptor.set_option(asio::ip::v6_only(true), ec);
    }
    if (!ec) {
        acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor.listen(std::max(kMinBacklog, int{asio::socket_base::max_listen_connections}), ec);
    }
    if (ec) {
        return failure(std::error_code(ec.value(), std::generic_category()),
                       fmt::format("cannot listen on {} port {}: {}",
                                   endpoint.address().to_string(), endpoint.port(), ec.message()));
    }
    return Fd(acceptor.release());
}

} // namespace

Result<std::vector<tcp::endpoint>> listen_endpoints(conf::Listen const& listen) {
    auto addresses = listen_addresses(listen.address, listen.family);
    if (!addresses) {
        return failure(addresses.error().code,
                       fmt::format("{}: listen on {}: {}", where(listen.where), listen.address,
                                   addresses.error().what()));
    }
    std::vector<tcp::endpoint> endpoints;
    for (auto const& address : addresses.value()) {
        endpoints.emplace_back(address, listen.port_or_default());
    }
    return endpoints;
}

std::vector<std::string> check_listen_targets(conf::Config const& config) {
    std::vector<std::string> errors;
    for (conf::Listen const& listen : config.listeners) {
        if (auto endpoints = listen_endpoints(listen); !endpoints) {
            errors.push_back(endpoints.error().what());
        }
    }
    return errors;
}

Result<std::vector<BoundSocket>> bind_listeners(conf::Config const& config) {
    std::vector<BoundSocket> bound;
    for (std::uint32_t index = 0; index < config.listeners.size(); ++index) {
        conf::Listen const& listen = config.listeners[index];
        auto endpoints = listen_endpoints(listen);
        if (!endpoints) {
            return std::move(endpoints).error();
        }
        for (auto const& endpoint : endpoints.value()) {
            auto fd = bind_endpoint(endpoint);
            if (!fd) {
                return failure(fd.error().code,
                               fmt::format("{}: {}", where(listen.where), fd.error().what()));
            }
            log_info("listener: listening on {} port {}", endpoint.address().to_string(),
                     endpoint.port());
            bound.push_back({index, std::move(fd).value()});
        }
    }
    return bound;
}

} // namespace smtpd::rt
