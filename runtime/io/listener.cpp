// Binding and accepting. smtpd.conf(5): `listen on` takes an address or a name; the port
// defaults to 25 (465 for smtps). Interface names and host names other than localhost come in a
// later issue. Each listen line gets its ListenerContext: the session's TLS and AUTH policies from
// its options, its TLS context (tls/), its credentials (auth/).
#include "io/listener.hpp"

#include "common/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace smtpd::rt {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr int kMinBacklog = 128;

std::string where(conf::Location const& l) {
    return fmt::format("{}:{}:{}", l.file, l.line, l.column);
}

asio::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor,
                                  std::shared_ptr<ListenerContext const> listener) {
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
        serve_connection(std::move(socket), listener);
    }
}

/// The session's policies for a listener (smtpd.conf(5) listen options).
sm::SessionParams session_params(conf::Listen const& listen, sm::SessionParams params) {
    using Tls = conf::Listen::TlsMode;
    using Auth = conf::Listen::AuthMode;
    params.tls_offered = listen.tls == Tls::Starttls || listen.tls == Tls::Required;
    params.tls_required = listen.tls == Tls::Required;
    params.implicit_tls = listen.tls == Tls::Smtps;
    params.auth = listen.auth == Auth::Required   ? sm::AuthPolicy::Required
                  : listen.auth == Auth::Optional ? sm::AuthPolicy::Optional
                                                  : sm::AuthPolicy::None;
    params.dsn = !listen.no_dsn;
    return params;
}

/// The credentials table a listener names (`auth <table>`); null for the system's users.
std::shared_ptr<auth::Credentials const>
credentials(conf::Config const& config, conf::Listen const& listen, std::string& error) {
    if (listen.auth == conf::Listen::AuthMode::None || !listen.auth_table) {
        return nullptr;
    }
    auto const table =
        std::find_if(config.tables.begin(), config.tables.end(),
                     [&](conf::Table const& t) { return t.name == *listen.auth_table; });
    if (table == config.tables.end()) { // the configuration check makes this impossible
        error = fmt::format("{}: no table <{}>", where(listen.where), *listen.auth_table);
        return nullptr;
    }
    auto loaded = table->source == conf::Table::Source::File
                      ? auth::Credentials::load(table->path)
                      : auth::Credentials::from_entries(table->map, "table <" + table->name + ">");
    if (!loaded.has_value()) {
        error = fmt::format("{}: {}", where(table->where), loaded.error().message);
        return nullptr;
    }
    return std::make_shared<auth::Credentials const>(std::move(loaded).value());
}

std::shared_ptr<ListenerContext const> listener_context(conf::Config const& config,
                                                        conf::Listen const& listen,
                                                        ServerContext& server, std::string& error) {
    auto ctx = std::make_shared<ListenerContext>(
        ListenerContext{server, session_params(listen, server.session_params), nullptr, nullptr,
                        listen.hostname.value_or(server.hostname)});
    if (listen.tls != conf::Listen::TlsMode::None) {
        auto tls = tls::ServerTls::create(tls::server_tls_config(config, listen));
        if (!tls.has_value()) {
            error = fmt::format("{}: {}", where(listen.where), tls.error().message);
            return nullptr;
        }
        ctx->tls = std::move(tls).value();
    }
    ctx->credentials = credentials(config, listen, error);
    if (!error.empty()) {
        return nullptr;
    }
    return ctx;
}

} // namespace

std::vector<tcp::endpoint> listen_endpoints(conf::Listen const& listen, std::string& error) {
    std::uint16_t const port = listen.port_or_default();
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

bool start_listeners(asio::io_context& io, conf::Config const& config, ServerContext& context,
                     std::string& error) {
    for (auto const& listen : config.listeners) {
        auto const endpoints = listen_endpoints(listen, error);
        if (endpoints.empty()) {
            return false;
        }
        auto const listener = listener_context(config, listen, context, error);
        if (!listener) {
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
            asio::co_spawn(io, accept_loop(acceptor, listener), asio::detached);
        }
    }
    return true;
}

} // namespace smtpd::rt
