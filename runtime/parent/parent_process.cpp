// The parent: start-up, the children's lives, and the privileged services.
#include "parent/parent_process.hpp"

#include "auth/credentials.hpp"
#include "common/connect.hpp"
#include "common/host_name.hpp"
#include "common/log.hpp"
#include "common/privileges.hpp"
#include "io/bind_listeners.hpp"
#include "lookup/forward.hpp"
#include "parent/delivery_workers.hpp"
#include "parent/spool_setup.hpp"
#include "role/role_process.hpp"
#include "role/spawn.hpp"
#include "spool/queue_key.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <sys/wait.h>
#include <vector>

namespace smtpd::rt {

namespace asio = boost::asio;

namespace {

/// How long the children get to finish after SIGTERM before SIGKILL.
constexpr std::chrono::seconds kStopGrace{10};
/// How long the exits of a cascade are gathered before the cause is named.
constexpr std::chrono::milliseconds kCauseWindow{500};
/// How long a lost channel waits for its child's exit to be reaped.
constexpr std::chrono::seconds kLostGrace{2};
/// How long connecting to a relay action's unix socket may take.
constexpr std::chrono::seconds kRelaySocketTimeout{10};

/// The unix socket path of each relay action that has one (`host lmtp` to a path), by name.
using RelaySockets = std::map<std::string, std::string, std::less<>>;

RelaySockets relay_sockets(conf::Config const& config) {
    RelaySockets out;
    for (conf::Action const& a : config.actions) {
        if (a.method == conf::Action::Method::Relay && a.relay.host &&
            a.relay.host->host_kind == conf::RelayUrl::HostKind::UnixSocket) {
            out.emplace(a.name, a.relay.host->host);
        }
    }
    return out;
}

class Parent {
  public:
    // The signal sets exist before any child does, so no child's death goes unseen.
    Parent(asio::io_context& io, Peers& peers, RelaySockets relay_sockets,
           std::optional<std::size_t> mda_max_session)
        : io_(io), peers_(peers), relay_sockets_(std::move(relay_sockets)),
          deliveries_(io, peers, host_name(), mda_max_session),
          signals_(io, SIGCHLD, SIGTERM, SIGINT), hup_(io, SIGHUP), stop_timer_(io),
          cause_timer_(io) {}

    void start(std::map<pid_t, Role> children) {
        children_ = std::move(children);
        reap();
        wait_signal();
        wait_hup();
        peers_.serve(
            io_, [this](Role from, ipc::Received r) { on_message(from, std::move(r)); },
            [this](Role peer, std::error_code error) { lost(peer, error); });
    }

    [[nodiscard]] int status() const { return status_; }

  private:
    void on_message(Role from, ipc::Received received) {
        auto& m = received.message;
        switch (ipc::type_of(m)) {
        case ipc::MsgType::LocalDelivery:
            return local_delivery(from, std::get<ipc::LocalDelivery>(m), std::move(received.fd));
        case ipc::MsgType::CheckCredentials:
            return check_system_password(std::get<ipc::CheckCredentials>(m));
        case ipc::MsgType::ReadForward:
            return read_forward(std::get<ipc::ReadForward>(m));
        case ipc::MsgType::ControlRequest:
            return control(std::get<ipc::ControlRequest>(m));
        case ipc::MsgType::ConnectRelaySocket:
            return connect_relay_socket(from, std::get<ipc::ConnectRelaySocket>(m));
        default:
            unexpected(Role::Parent, from, m);
        }
    }

    /// Only the queue asks for deliveries: a delivery runs as any user, so no other role may.
    void local_delivery(Role from, ipc::LocalDelivery const& m, Fd message) {
        if (from != Role::Queue) {
            unexpected(Role::Parent, from, m);
        }
        deliveries_.start(m, std::move(message));
    }

    void check_system_password(ipc::CheckCredentials const& m) {
        bool const ok = auth::verify_system_password(m.user, m.password);
        peers_.send(Role::Lookup, ipc::CredentialsChecked{m.id, ok ? ipc::AuthVerdict::Accepted
                                                                   : ipc::AuthVerdict::Rejected});
    }

    void read_forward(ipc::ReadForward const& m) {
        auto content = read_forward_as_user(UserInfo{m.user, m.home, m.uid, m.gid});
        peers_.send(Role::Lookup,
                    ipc::ForwardRead{m.id, content.has_value(), content.value_or(std::string())});
    }

    /// Only the dispatcher's MTA asks, by action name; the path is the configuration's.
    void connect_relay_socket(Role from, ipc::ConnectRelaySocket const& m) {
        if (from != Role::Dispatcher) {
            unexpected(Role::Parent, from, m);
        }
        auto const path = relay_sockets_.find(m.action);
        if (path == relay_sockets_.end()) {
            peers_.send(Role::Dispatcher,
                        ipc::RelaySocketConnected{m.id, "no relay socket for this action"});
            return;
        }
        auto connected = connect_unix(path->second, kRelaySocketTimeout);
        if (!connected) {
            peers_.send(Role::Dispatcher,
                        ipc::RelaySocketConnected{m.id, connected.error().what()});
            return;
        }
        peers_.send(Role::Dispatcher, ipc::RelaySocketConnected{m.id, {}},
                    std::move(connected).value());
    }

    void control(ipc::ControlRequest const& m) {
        bool const stop = m.verb == ipc::ControlVerb::Stop;
        peers_.send(Role::Control, ipc::ControlReply{m.id, stop, {}});
        if (stop) {
            log_info("smtpd: stop requested by smtpctl");
            shutdown(0);
        }
    }

    /// A channel that ends means its child is dying: its exit, reaped soon, says why. A child
    /// that closed its channel and lives on is stopped after a grace period all the same.
    void lost(Role peer, std::error_code error) {
        if (stopping_) {
            return;
        }
        log_debug("smtpd: lost the channel to {}: {}", role_name(peer), error.message());
        auto timer = std::make_shared<asio::steady_timer>(io_, kLostGrace);
        timer->async_wait([this, timer, peer, error](boost::system::error_code ec) {
            if (!ec && !stopping_) {
                log_error("smtpd: lost the channel to {}: {}: stopping", role_name(peer),
                          error.message());
                shutdown(1);
            }
        });
    }

    void wait_signal() {
        signals_.async_wait([this](boost::system::error_code ec, int sig) {
            if (ec) {
                return;
            }
            if (sig == SIGCHLD) {
                reap();
            } else if (!stopping_) {
                log_info("smtpd: exiting on signal {}", sig);
                shutdown(0);
            }
            wait_signal();
        });
    }

    void wait_hup() {
        hup_.async_wait([this](boost::system::error_code ec, int) {
            if (!ec) {
                log_info("smtpd: SIGHUP ignored: configuration reload is not implemented");
                wait_hup();
            }
        });
    }

    /// Reaps every child that has exited. A role that exits brings the others down in a
    /// cascade (each stops and exits 0 when a channel closes), and the kernel may report a
    /// follower before the role that caused it, so the exits of a short window are gathered
    /// and the cause is named first: a role killed by a signal, or exiting with a non-zero
    /// status.
    void reap() {
        int status = 0;
        pid_t pid = 0;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            if (deliveries_.reaped(pid, status)) {
                continue;
            }
            auto it = children_.find(pid);
            if (it == children_.end()) {
                continue;
            }
            Role const role = it->second;
            children_.erase(it);
            if (stopping_) {
                log_debug("smtpd: {} process exited ({})", role_name(role), describe(status));
            } else {
                exited_.emplace_back(role, status);
            }
        }
        if (!exited_.empty() && !cause_pending_) {
            cause_pending_ = true;
            cause_timer_.expires_after(kCauseWindow);
            cause_timer_.async_wait([this](boost::system::error_code) { report_cause(); });
        }
        if (stopping_ && children_.empty()) {
            io_.stop();
        }
    }

    void report_cause() {
        reap();
        // Roles that follow a lost peer exit 0; the cause died of a signal or a failure.
        std::stable_partition(exited_.begin(), exited_.end(), [](auto const& e) {
            return WIFSIGNALED(e.second) || WEXITSTATUS(e.second) != 0;
        });
        for (auto const& [role, how] : exited_) {
            if (stopping_) {
                log_debug("smtpd: {} process exited ({})", role_name(role), describe(how));
            } else {
                log_error("smtpd: {} process exited ({}): stopping", role_name(role),
                          describe(how));
                shutdown(1);
            }
        }
        exited_.clear();
        if (stopping_ && children_.empty()) {
            io_.stop();
        }
    }

    static std::string describe(int status) {
        if (WIFSIGNALED(status)) {
            return "signal " + std::to_string(WTERMSIG(status));
        }
        return "status " + std::to_string(WEXITSTATUS(status));
    }

    void shutdown(int status) {
        if (stopping_) {
            return;
        }
        stopping_ = true;
        status_ = status;
        deliveries_.stop();
        for (auto const& [pid, role] : children_) {
            ::kill(pid, SIGTERM);
        }
        if (children_.empty()) {
            io_.stop();
            return;
        }
        stop_timer_.expires_after(kStopGrace);
        stop_timer_.async_wait([this](boost::system::error_code ec) {
            if (ec) {
                return;
            }
            for (auto const& [pid, role] : children_) {
                log_warn("smtpd: {} did not stop: killing it", role_name(role));
                ::kill(pid, SIGKILL);
            }
        });
    }

    asio::io_context& io_;
    Peers& peers_;
    RelaySockets relay_sockets_;
    std::map<pid_t, Role> children_;
    DeliveryWorkers deliveries_;
    asio::signal_set signals_;
    asio::signal_set hup_;
    asio::steady_timer stop_timer_;
    std::vector<std::pair<Role, int>> exited_; ///< exits not reported yet
    asio::steady_timer cause_timer_;
    bool cause_pending_ = false;
    bool stopping_ = false;
    int status_ = 0;
};

/// Starts every child role; the parent keeps its ends of its own links and drops the rest.
/// A queue encryption key read at start (not in the configuration) reaches the queue role as
/// its standard input, which it reads as the parent did (spool/queue_key.hpp).
Result<std::map<pid_t, Role>> spawn_children(LinkEnds& links, Peers& peers, asio::io_context& io,
                                             std::vector<std::string> const& args,
                                             conf::QueueCoding const& queue) {
    auto exe = self_executable();
    if (!exe) {
        return exe.error();
    }
    std::map<pid_t, Role> children;
    for (RoleInfo const& role : kChildRoles) {
        Fd key;
        if (role.role == Role::Queue && queue.encryption &&
            queue.key_source != conf::QueueCoding::KeySource::Config) {
            auto pipe = key_pipe(queue.key);
            if (!pipe) {
                return pipe.error();
            }
            key = std::move(pipe).value();
        }
        auto pid = spawn_role(role, links, exe.value(), args, key.get());
        if (!pid) {
            return pid.error();
        }
        children.emplace(pid.value(), role.role);
    }
    for (std::size_t i = 0; i < kPeers.size(); ++i) {
        if (kPeers[i].a == Role::Parent) {
            auto channel = ipc::Channel::from_fd(io.get_executor(), std::move(links[i][0]));
            if (!channel) {
                return failure(channel.error().code, "channel: " + channel.error().what());
            }
            peers.add(kPeers[i].b, std::move(channel).value());
        }
    }
    links.clear();
    return children;
}

} // namespace

int run_parent(DaemonOptions const& options, conf::Config const& config,
               std::vector<std::string> const& args) {
    if (auto ready = prepare_directories(options); !ready) {
        log_error("smtpd: {}", ready.error().what());
        return 1;
    }
    auto sockets = bind_listeners(config);
    if (!sockets) {
        log_error("smtpd: {}", sockets.error().what());
        return 1;
    }
    asio::io_context io;
    Peers peers(Role::Parent);
    auto links = make_links();
    if (!links) {
        log_error("smtpd: {}", links.error().what());
        return 1;
    }
    Parent parent(io, peers, relay_sockets(config), config.limits.mda_max_session);
    auto children = spawn_children(links.value(), peers, io, args, config.queue);
    if (!children) {
        log_error("smtpd: {}", children.error().what());
        return 1;
    }
    // The listeners go to the dispatcher once every role has greeted, so that the first 220
    // means the whole daemon is up (the control socket included).
    peers.when_greeted([&peers, &sockets] {
        for (auto& socket : sockets.value()) {
            peers.send(Role::Dispatcher, ipc::ListenerSocket{socket.listen_index},
                       std::move(socket.fd));
        }
    });
    parent.start(std::move(children).value());
    peers.greet();
    io.run();
    return parent.status();
}

} // namespace smtpd::rt
