// The dispatcher's IPC: requests with their Pending replies, the listening sockets, and the
// requests of the queue and control handed on.
#include "dispatcher/services.hpp"

#include "common/log.hpp"
#include "ipc/request.hpp"

namespace smtpd::rt {

namespace asio = boost::asio;

DispatcherServices::DispatcherServices(Peers& peers, asio::any_io_executor const& executor)
    : peers_(peers), executor_(executor), resolved_(executor), checked_(executor),
      routes_(executor), relay_credentials_(executor), relay_tables_(executor), created_(executor),
      committed_(executor), relay_sockets_(executor) {}

asio::awaitable<Result<ipc::RecipientResolved>>
DispatcherServices::resolve(std::string local, std::string domain, bool client_local,
                            ipc::RcptSession session) {
    ipc::LookupRecipient request{0, std::move(local), std::move(domain), client_local,
                                 std::move(session)};
    auto asking = ipc::ask(peers_.to(Role::Lookup), resolved_, std::move(request));
    co_return co_await std::move(asking);
}

asio::awaitable<Result<ipc::CredentialsChecked>>
DispatcherServices::check_credentials(std::uint32_t listen_index, std::string user,
                                      std::string password) {
    ipc::CheckCredentials request{0, std::to_string(listen_index), std::move(user),
                                  std::move(password)};
    auto asking = ipc::ask(peers_.to(Role::Lookup), checked_, std::move(request));
    co_return co_await std::move(asking);
}

asio::awaitable<Result<ipc::RouteResolved>>
DispatcherServices::resolve_route(std::string domain, std::string backup_mx, bool host_only) {
    ipc::ResolveRoute request{0, std::move(domain), std::move(backup_mx), host_only};
    auto asking = ipc::ask(peers_.to(Role::Lookup), routes_, std::move(request));
    co_return co_await std::move(asking);
}

asio::awaitable<Result<ipc::RelayCredentialsFound>>
DispatcherServices::find_relay_credentials(std::string table, std::string label) {
    ipc::FindRelayCredentials request{0, std::move(table), std::move(label)};
    auto asking = ipc::ask(peers_.to(Role::Lookup), relay_credentials_, std::move(request));
    co_return co_await std::move(asking);
}

asio::awaitable<Result<ipc::RelayTableFound>>
DispatcherServices::find_relay_table(ipc::RelayTableService service, std::string table,
                                     std::string key) {
    ipc::FindRelayTable request{0, service, std::move(table), std::move(key)};
    auto asking = ipc::ask(peers_.to(Role::Lookup), relay_tables_, std::move(request));
    co_return co_await std::move(asking);
}

asio::awaitable<Result<RelaySocket>> DispatcherServices::connect_relay_socket(std::string action) {
    auto asking = ipc::ask(peers_.to(Role::Parent), relay_sockets_,
                           ipc::ConnectRelaySocket{0, std::move(action)});
    co_return co_await std::move(asking);
}

asio::awaitable<Result<CreatedMessage>> DispatcherServices::create_message() {
    auto asking = ipc::ask(peers_.to(Role::Queue), created_, ipc::MessageCreate{});
    co_return co_await std::move(asking);
}

asio::awaitable<Result<ipc::MessageCommitted>> DispatcherServices::commit(std::string msgid,
                                                                          std::string envelope) {
    ipc::MessageCommit request{0, std::move(msgid), std::move(envelope)};
    auto asking = ipc::ask(peers_.to(Role::Queue), committed_, std::move(request));
    co_return co_await std::move(asking);
}

void DispatcherServices::abort(std::string msgid) {
    peers_.send(Role::Queue, ipc::MessageAbort{std::move(msgid)});
}

void DispatcherServices::send_relay_done(ipc::RelayDone const& done) {
    peers_.send(Role::Queue, done);
}

void DispatcherServices::created(ipc::MessageCreated const& m, Fd fd) {
    if (m.error.empty() && !fd.valid()) {
        fatal("dispatcher: MessageCreated without its file");
    }
    complete_request(created_, m.id, CreatedMessage{m.msgid, std::move(fd), m.error, m.no_space},
                     Role::Dispatcher, "MessageCreated");
}

void DispatcherServices::on_message(Role from, ipc::Received received) {
    auto& m = received.message;
    switch (ipc::type_of(m)) {
    case ipc::MsgType::RecipientResolved:
        return complete_reply(resolved_, std::get<ipc::RecipientResolved>(std::move(m)),
                              Role::Dispatcher);
    case ipc::MsgType::CredentialsChecked:
        return complete_reply(checked_, std::get<ipc::CredentialsChecked>(std::move(m)),
                              Role::Dispatcher);
    case ipc::MsgType::RouteResolved:
        return complete_reply(routes_, std::get<ipc::RouteResolved>(std::move(m)),
                              Role::Dispatcher);
    case ipc::MsgType::RelayCredentialsFound:
        return complete_reply(relay_credentials_,
                              std::get<ipc::RelayCredentialsFound>(std::move(m)), Role::Dispatcher);
    case ipc::MsgType::RelayTableFound:
        return complete_reply(relay_tables_, std::get<ipc::RelayTableFound>(std::move(m)),
                              Role::Dispatcher);
    case ipc::MsgType::MessageCreated:
        return created(std::get<ipc::MessageCreated>(m), std::move(received.fd));
    case ipc::MsgType::RelaySocketConnected: {
        auto const& r = std::get<ipc::RelaySocketConnected>(m);
        return complete_request(relay_sockets_, r.id, RelaySocket{std::move(received.fd), r.error},
                                Role::Dispatcher, "RelaySocketConnected");
    }
    case ipc::MsgType::MessageCommitted:
        return complete_reply(committed_, std::get<ipc::MessageCommitted>(std::move(m)),
                              Role::Dispatcher);
    case ipc::MsgType::ListenerSocket:
        return on_listener_(std::get<ipc::ListenerSocket>(m).listen_index, std::move(received.fd));
    case ipc::MsgType::RelayRequest:
        if (from != Role::Queue || !on_relay_) {
            return unexpected(Role::Dispatcher, from, m);
        }
        return on_relay_(std::get<ipc::RelayRequest>(std::move(m)), std::move(received.fd));
    case ipc::MsgType::ControlRequest:
        if (from != Role::Control || !on_control_) {
            return unexpected(Role::Dispatcher, from, m);
        }
        return peers_.send(Role::Control, on_control_(std::get<ipc::ControlRequest>(m)));
    default:
        unexpected(Role::Dispatcher, from, m);
    }
}

} // namespace smtpd::rt
