// Accepting. Each listen line gets its ListenerContext: the session's TLS and AUTH policies from
// its options, its TLS context (tls/), its credentials (auth/), its hostnames table and the
// Received: options mask-src and received-auth.
#include "dispatcher/listener.hpp"

#include "common/fs.hpp"
#include "common/log.hpp"
#include "conf/table_file.hpp"
#include "tls/tls_config.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <fcntl.h>
#include <memory>
#include <sys/socket.h>
#include <unistd.h>

namespace smtpd::rt {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

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

/// The key -> value entries of a mapping table (hostnames <t>). Kept apart, in one function, until
/// the table backends of runtime/table/ serve the dispatcher.
Result<std::vector<std::pair<std::string, std::string>>> mapping_table(conf::Config const& config,
                                                                       std::string const& name) {
    auto const table = std::find_if(config.tables.begin(), config.tables.end(),
                                    [&](conf::Table const& t) { return t.name == name; });
    if (table == config.tables.end()) { // the configuration check makes this impossible
        return failure(std::make_error_code(std::errc::invalid_argument),
                       fmt::format("no table <{}>", name));
    }
    if (table->source == conf::Table::Source::Inline) {
        return table->map;
    }
    auto text = read_file(table->path);
    if (!text) {
        return failure(text.error().code,
                       fmt::format("{}: {}", where(table->where), text.error().what()));
    }
    conf::TableResult parsed = conf::parse_table_file(text.value(), table->path);
    if (!parsed.table) {
        return failure(std::make_error_code(std::errc::invalid_argument),
                       parsed.error ? parsed.error->to_string() : table->path);
    }
    return std::move(parsed.table->map);
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

Result<std::shared_ptr<ListenerContext const>>
listener_context(conf::Config const& config, std::uint32_t index, ServerContext& server) {
    conf::Listen const& listen = config.listeners.at(index);
    auto ctx = std::make_shared<ListenerContext>(
        ListenerContext{server, index, session_params(listen, server.session_params), nullptr,
                        listen.hostname.value_or(server.hostname)});
    ctx->mask_src = listen.mask_src;
    ctx->received_auth = listen.received_auth;
    ctx->proxy_v2 = listen.proxy_v2;
    if (listen.hostnames_table) {
        auto names = mapping_table(config, *listen.hostnames_table);
        if (!names) {
            return failure(names.error().code,
                           fmt::format("{}: {}", where(listen.where), names.error().what()));
        }
        ctx->hostnames = std::move(names).value();
    }
    ctx->tag = listen.tag.value_or("");
    if (listen.tls != conf::Listen::TlsMode::None) {
        auto tls = tls::ServerTls::create(tls::server_tls_config(config, listen));
        if (!tls.has_value()) {
            return failure(tls.error().code,
                           fmt::format("{}: {}", where(listen.where), tls.error().what()));
        }
        ctx->tls = std::move(tls).value();
    }
    return std::shared_ptr<ListenerContext const>(std::move(ctx));
}

} // namespace

Result<std::vector<std::shared_ptr<ListenerContext const>>>
listener_contexts(conf::Config const& config, ServerContext& server) {
    std::vector<std::shared_ptr<ListenerContext const>> contexts;
    for (std::uint32_t index = 0; index < config.listeners.size(); ++index) {
        auto ctx = listener_context(config, index, server);
        if (!ctx) {
            return std::move(ctx).error();
        }
        contexts.push_back(std::move(ctx).value());
    }
    return contexts;
}

bool serve_listener(asio::io_context& io, std::shared_ptr<ListenerContext const> listener,
                    Fd socket) {
    auto acceptor = std::make_shared<tcp::acceptor>(io);
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        return false;
    }
    auto const protocol = address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
    int const raw = ::fcntl(socket.get(), F_DUPFD_CLOEXEC, 0);
    boost::system::error_code ec;
    acceptor->assign(protocol, raw, ec);
    if (ec) {
        ::close(raw);
        return false;
    }
    asio::co_spawn(io, accept_loop(acceptor, std::move(listener)), asio::detached);
    return true;
}

} // namespace smtpd::rt
