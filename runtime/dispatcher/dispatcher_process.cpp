// The dispatcher role: listener contexts made before the privilege drop, sockets adopted as the
// parent sends them, sessions served until a stop signal; and the MTA, which relays what the
// queue hands it and lists its tables to smtpctl (dispatcher/mta_control.hpp).
#include "dispatcher/dispatcher_process.hpp"

#include "common/host_name.hpp"
#include "common/log.hpp"
#include "dispatcher/listener.hpp"
#include "dispatcher/mta_control.hpp"
#include "dispatcher/services.hpp"
#include "mta/mta.hpp"
#include "role/role_process.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <ctime>

namespace smtpd::rt {

namespace asio = boost::asio;

namespace {

sm::SessionParams session_limits(conf::Config const& config) {
    sm::SessionParams params;
    params.max_recipients = config.smtp_limits.max_rcpt.value_or(params.max_recipients);
    params.max_messages = config.smtp_limits.max_mails.value_or(params.max_messages);
    params.max_message_size =
        config.smtp_limits.max_message_size.value_or(conf::SmtpLimits::kDefaultMaxMessageSize);
    return params;
}

/// What must be read before the chroot: the zone for Received dates. (The TLS contexts, with
/// their files and the trust store, are made before it too.)
void prepare_for_jail() {
    ::tzset();
}

/// The unix socket of relay action `action`, connected by the parent (RelaySocketConnected), as
/// the MTA takes it: the socket, or the parent's reason as a refused connection.
asio::awaitable<Result<Fd>> relay_socket(DispatcherServices& services, std::string action) {
    auto connecting = services.connect_relay_socket(std::move(action));
    auto socket = co_await std::move(connecting);
    if (!socket) {
        co_return socket.error();
    }
    if (!socket.value().fd.valid()) {
        co_return failure(std::make_error_code(std::errc::connection_refused),
                          socket.value().error);
    }
    co_return std::move(socket.value().fd);
}

} // namespace

int run_dispatcher(DaemonOptions const& options, conf::Config const& config) {
    asio::io_context io;
    Peers peers = inherit_peers(io, Role::Dispatcher);
    DispatcherServices services(peers, io.get_executor());
    ServerContext server{host_name(), services, session_limits(config)};
    auto made = listener_contexts(config, server);
    if (!made) {
        fatal(made.error().what());
    }
    auto contexts = std::move(made).value();
    auto client_contexts = mta::make_client_contexts(config);
    if (!client_contexts) {
        fatal(client_contexts.error().what());
    }
    prepare_for_jail();
    enter_jail_or_exit(Role::Dispatcher, options);
    services.on_listener([&io, &contexts](std::uint32_t index, Fd socket) {
        if (index >= contexts.size() || !socket.valid() ||
            !serve_listener(io, contexts[index], std::move(socket))) {
            fatal("dispatcher: unusable listener socket from the parent");
        }
    });
    mta::MtaServices mta_services{
        [&services](mta::RouteQuery query) {
            return services.resolve_route(std::move(query.name), std::move(query.backup_mx),
                                          query.host_only);
        },
        [&services](std::string table, std::string label) {
            return services.find_relay_credentials(std::move(table), std::move(label));
        },
        [&services](ipc::RelayTableService service, std::string table, std::string key) {
            return services.find_relay_table(service, std::move(table), std::move(key));
        },
        [&services](std::string action) { return relay_socket(services, std::move(action)); }};
    mta::Mta mta(io.get_executor(), config, server.hostname, std::move(mta_services),
                 std::move(client_contexts).value());
    services.on_relay([&io, &mta, &services](ipc::RelayRequest request, Fd message) {
        auto work = [](mta::Mta& m, DispatcherServices& s, ipc::RelayRequest r,
                       Fd fd) -> asio::awaitable<void> {
            auto relaying = m.relay(std::move(r), std::move(fd));
            ipc::RelayDone const done = co_await std::move(relaying);
            s.send_relay_done(done);
        };
        asio::co_spawn(io, work(mta, services, std::move(request), std::move(message)),
                       asio::detached);
    });
    services.on_control(
        [&mta](ipc::ControlRequest const& request) { return answer_control(mta, request); });
    start_serving(io, peers, services);
    log_info("dispatcher: ready to accept mail as {}", server.hostname);
    io.run();
    return 0;
}

} // namespace smtpd::rt
