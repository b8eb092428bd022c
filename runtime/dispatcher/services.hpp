// What the dispatcher's sessions ask of the other roles, as coroutines over IPC: recipient
// lookups, credential checks, the relay's routes and tables (lookup), message files and commits
// (queue), and the unix sockets of `host lmtp` relays (parent). It also hands the listening
// sockets the parent sends to whoever starts the listeners, the queue's relay requests to the
// MTA, and control's requests (smtpctl show hosts, ...) to their answer, which it sends back to
// control. Local deliveries do not pass here: the queue asks the parent directly. Depends on:
// ipc/, role/role_process.hpp, Boost.Asio.
#pragma once

#include "common/fs.hpp"
#include "ipc/messages.hpp"
#include "ipc/pending.hpp"
#include "role/role_process.hpp"

// <utility> before Asio: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace smtpd::rt {

/// A new message file in the queue's incoming directory, open for writing.
struct CreatedMessage {
    std::string msgid;
    Fd fd;
    std::string error; ///< why there is none, when fd is invalid
    bool no_space = false;
};

/// A relay action's unix socket, connected by the parent (RelaySocketConnected).
struct RelaySocket {
    Fd fd;
    std::string error; ///< why there is none, when fd is invalid
};

class DispatcherServices {
  public:
    using ListenerHandler = std::function<void(std::uint32_t listen_index, Fd socket)>;
    /// A relay request from the queue, with the message file; answered with send_relay_done.
    using RelayHandler = std::function<void(ipc::RelayRequest request, Fd message)>;
    /// A request from the control role; its reply goes back to control.
    using ControlHandler = std::function<ipc::ControlReply(ipc::ControlRequest const& request)>;

    DispatcherServices(Peers& peers, boost::asio::any_io_executor const& executor);

    [[nodiscard]] boost::asio::awaitable<Result<ipc::RecipientResolved>>
    resolve(std::string local, std::string domain, bool client_local, ipc::RcptSession session);
    [[nodiscard]] boost::asio::awaitable<Result<ipc::CredentialsChecked>>
    check_credentials(std::uint32_t listen_index, std::string user, std::string password);
    /// Where mail for `domain` goes (RFC 5321 §5.1): the addresses to try in order, or why
    /// none (permanent or not). `backup_mx`: `relay backup mx NAME`'s name, or "" for none;
    /// `host_only`: `domain` is a smarthost, whose own addresses are wanted (no MX).
    [[nodiscard]] boost::asio::awaitable<Result<ipc::RouteResolved>>
    resolve_route(std::string domain, std::string backup_mx, bool host_only);
    /// The `auth` table's credentials for a smarthost label (found false: none).
    [[nodiscard]] boost::asio::awaitable<Result<ipc::RelayCredentialsFound>>
    find_relay_credentials(std::string table, std::string label);
    /// A relay option's table (ipc FindRelayTable): every entry, or the value of `key`.
    [[nodiscard]] boost::asio::awaitable<Result<ipc::RelayTableFound>>
    find_relay_table(ipc::RelayTableService service, std::string table, std::string key);
    /// The unix socket of relay action `action` (`host lmtp` to a path), connected by the parent:
    /// this role's chroot hides the path.
    [[nodiscard]] boost::asio::awaitable<Result<RelaySocket>>
    connect_relay_socket(std::string action);
    [[nodiscard]] boost::asio::awaitable<Result<CreatedMessage>> create_message();
    [[nodiscard]] boost::asio::awaitable<Result<ipc::MessageCommitted>>
    commit(std::string msgid, std::string envelope);
    void abort(std::string msgid);

    void on_listener(ListenerHandler handler) { on_listener_ = std::move(handler); }
    void on_relay(RelayHandler handler) { on_relay_ = std::move(handler); }
    void on_control(ControlHandler handler) { on_control_ = std::move(handler); }
    /// The results of a relay request, to the queue.
    void send_relay_done(ipc::RelayDone const& done);

    /// The dispatcher's receive handler.
    void on_message(Role from, ipc::Received received);

  private:
    void created(ipc::MessageCreated const& m, Fd fd);

    Peers& peers_;
    boost::asio::any_io_executor executor_;
    ipc::Pending<ipc::RecipientResolved> resolved_;
    ipc::Pending<ipc::CredentialsChecked> checked_;
    ipc::Pending<ipc::RouteResolved> routes_;
    ipc::Pending<ipc::RelayCredentialsFound> relay_credentials_;
    ipc::Pending<ipc::RelayTableFound> relay_tables_;
    ipc::Pending<CreatedMessage> created_;
    ipc::Pending<ipc::MessageCommitted> committed_;
    ipc::Pending<RelaySocket> relay_sockets_;
    ListenerHandler on_listener_;
    RelayHandler on_relay_;
    ControlHandler on_control_;
};

} // namespace smtpd::rt
