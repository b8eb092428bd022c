// Binding and accepting. smtpd.conf(5): `listen on` takes an address or a name; the port
// defaults to 25. Interface names and host names other than localhost come in a later issue.
#include "io/listener.hpp"

#include "common/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <memory>

namespace smtpd::rt {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::uint16_t kDefaultPort = 25;
constexpr int kMinBacklog = 128;

std::string where(conf::Location const& l) {
    return fmt::format("{}:{}:{}", l.file, l.line, l.column);
}

asio::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor, ServerContext& ctx) {
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            log_warn("listener: accept failed: {}", ec.message());
            continue;
        }
        serve_connection(std::move(socket), ctx);
    }
}

} // namespace

std::vector<tcp::endpoint> listen_endpoints(conf::Listen const& listen, std::string& error) {
    std::uint16_t const port = listen.port.value_or(kDefaultPort);
    if (listen.address == "localhost") {
        return {tcp::endpoint(asio::ip::address_v4::loopback(), port),
                tcp::endpoint(asio::ip::address_v6::loopback(), port)};
    }
    boost::system::error_code ec;
    auto const address = asio::ip::make_address(listen.address, ec);
    if (ec) {
        error = fmt::format("{}: listen on {}: not an IP address or \"localhost\"",
                            where(listen.where), listen.address);
        return {};
    }
    return {tcp::endpoint(address, port)};
}

bool start_listeners(asio::io_context& io, std::vector<conf::Listen> const& listens,
                     ServerContext& context, std::string& error) {
    for (auto const& listen : listens) {
        auto const endpoints = listen_endpoints(listen, error);
        if (endpoints.empty()) {
            return false;
        }
        for (auto const& endpoint : endpoints) {
            auto acceptor = std::make_shared<tcp::acceptor>(io);
            boost::system::error_code ec;
            acceptor->open(endpoint.protocol(), ec);
            if (!ec) {
                acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
            }
            if (!ec && endpoint.address().is_v6()) {
                acceptor->set_option(asio::ip::v6_only(true), ec);
            }
            if (!ec) {
                acceptor->bind(endpoint, ec);
            }
            if (!ec) {
                acceptor->listen(
                    std::max(kMinBacklog, int{asio::socket_base::max_listen_connections}), ec);
            }
            if (ec) {
                error = fmt::format("{}: cannot listen on {} port {}: {}", where(listen.where),
                                    endpoint.address().to_string(), endpoint.port(), ec.message());
                return false;
            }
            log_info("listener: listening on {} port {}", endpoint.address().to_string(),
                     endpoint.port());
            asio::co_spawn(io, accept_loop(acceptor, context), asio::detached);
        }
    }
    return true;
}

} // namespace smtpd::rt
