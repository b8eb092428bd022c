// The control role: the socket, one coroutine per smtpctl client, the credential check of each
// request (control/verbs.hpp: who may send which verb, against the client's SO_PEERCRED uid) and
// the routing of requests to the role that answers.
#include "control/control_process.hpp"

#include "common/log.hpp"
#include "control/verbs.hpp"
#include "ipc/request.hpp"
#include "role/role_process.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>

namespace smtpd::rt {

namespace asio = boost::asio;
using Protocol = asio::local::stream_protocol;

namespace {

constexpr unsigned kSocketMode = 0666;
/// A request's arguments, as smtpctl sends them, are few and short.
constexpr std::size_t kMaxArgs = 16;
constexpr std::size_t kMaxArgLength = 1024;

/// The effective uid of the client at the other end of `socket` (SO_PEERCRED: the credentials
/// it had when it connected), or none when the kernel does not say.
std::optional<uid_t> peer_uid(Protocol::socket& socket) {
    ucred cred{};
    socklen_t length = sizeof cred;
    if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 ||
        length != sizeof cred) {
        log_warn("control: SO_PEERCRED: {}", last_error().message());
        return std::nullopt;
    }
    return cred.uid;
}

std::string uid_text(std::optional<uid_t> uid) {
    return uid ? std::to_string(*uid) : std::string("unknown");
}

bool valid_args(std::vector<std::string> const& args) {
    if (args.size() > kMaxArgs) {
        return false;
    }
    return std::all_of(args.begin(), args.end(),
                       [](std::string const& a) { return a.size() <= kMaxArgLength; });
}

class Control {
  public:
    Control(asio::io_context& io, Peers& peers, uid_t daemon_uid)
        : peers_(peers), replies_(io.get_executor()), daemon_uid_(daemon_uid) {}

    void on_message(Role from, ipc::Received received) {
        auto& m = received.message;
        if (ipc::type_of(m) != ipc::MsgType::ControlReply) {
            unexpected(Role::Control, from, m);
        }
        complete_reply(replies_, std::get<ipc::ControlReply>(std::move(m)), Role::Control);
    }

    asio::awaitable<void> accept_loop(Protocol::acceptor& acceptor) {
        for (;;) {
            boost::system::error_code ec;
            Protocol::socket socket =
                co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted) {
                co_return;
            }
            if (!ec) {
                asio::co_spawn(acceptor.get_executor(), serve_client(std::move(socket)),
                               asio::detached);
            }
        }
    }

  private:
    asio::awaitable<void> serve_client(Protocol::socket socket) {
        std::optional<uid_t> const uid = peer_uid(socket);
        log_debug("control: client uid {} connected", uid_text(uid));
        ipc::Channel client(std::move(socket));
        for (;;) {
            auto received = co_await client.receive();
            if (!received) {
                if (received.error().code != ipc::IpcErrc::PeerClosed) {
                    log_warn("control: client rejected: {}", received.error().what());
                }
                break;
            }
            auto* request = std::get_if<ipc::ControlRequest>(&received.value().message);
            if (request == nullptr || received.value().fd.valid() || !valid_args(request->args)) {
                log_warn("control: client rejected: not a valid request");
                break;
            }
            auto answering = answer_request(client, std::move(*request), uid);
            auto answer = co_await std::move(answering);
            if (answer && !client.send(*answer)) {
                break;
            }
        }
        client.close();
    }

    /// The reply for the client, or none when control already gave it (Answer::Control).
    asio::awaitable<std::optional<ipc::ControlReply>>
    answer_request(ipc::Channel& client, ipc::ControlRequest request, std::optional<uid_t> uid) {
        ipc::RequestId const client_id = request.id;
        VerbRule const& rule = verb_rule(request.verb);
        if (!may_send(rule, uid, daemon_uid_)) {
            log_warn("control: uid {} may not {}: permission denied", uid_text(uid), rule.name);
            co_return ipc::ControlReply{client_id, false, {"permission denied"}};
        }
        log_debug("control: uid {}: {}", uid_text(uid), rule.name);
        bool const answered = rule.answer == Answer::Control;
        if (answered) {
            // Written before the request leaves: Channel::send writes at once when it can.
            (void)client.send(ipc::ControlReply{client_id, true, {}});
        }
        auto asking = ipc::ask(peers_.to(rule.answers), replies_, std::move(request));
        auto reply = co_await std::move(asking);
        if (answered) {
            co_return std::nullopt;
        }
        ipc::ControlReply answer =
            reply ? std::move(reply).value() : ipc::ControlReply{0, false, {"internal error"}};
        answer.id = client_id;
        co_return answer;
    }

    Peers& peers_;
    ipc::Pending<ipc::ControlReply> replies_;
    uid_t daemon_uid_; ///< the daemon's effective uid before its privilege drop
};

Result<Protocol::acceptor> open_socket(asio::io_context& io, std::string const& path) {
    ::unlink(path.c_str());
    Protocol::acceptor acceptor(io);
    boost::system::error_code ec;
    acceptor.open(Protocol(), ec);
    if (!ec) {
        acceptor.bind(Protocol::endpoint(path), ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (!ec && ::chmod(path.c_str(), kSocketMode) != 0) {
        ec.assign(errno, boost::system::generic_category());
    }
    if (ec) {
        return failure(std::error_code(ec.value(), std::generic_category()),
                       "control socket " + path + ": " + ec.message());
    }
    return acceptor;
}

} // namespace

int run_control(DaemonOptions const& options, conf::Config const& /*config*/) {
    asio::io_context io;
    Peers peers = inherit_peers(io, Role::Control);
    // Captured before the drop: a daemon started by a normal user admits that user too.
    uid_t const daemon_uid = ::geteuid();
    auto acceptor = open_socket(io, options.socket);
    if (!acceptor) {
        fatal(acceptor.error().what());
    }
    enter_jail_or_exit(Role::Control, options);
    Control control(io, peers, daemon_uid);
    start_serving(io, peers, control);
    asio::co_spawn(io, control.accept_loop(acceptor.value()), asio::detached);
    io.run();
    return 0;
}

} // namespace smtpd::rt
