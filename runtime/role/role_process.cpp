// Channels, Hello checks, receive loops and signals of a role process.
#include "role/role_process.hpp"

#include "common/log.hpp"
#include "common/privileges.hpp"
#include "ipc/error.hpp"
#include "role/daemon_options.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <memory>
#include <unistd.h>

namespace smtpd::rt {

namespace asio = boost::asio;

namespace {

/// The errors of a channel whose peer has closed its end or exited: on a receive, or on a send
/// (then or later on a receive, as the write's error).
bool peer_gone(std::error_code error) {
    return error == ipc::IpcErrc::PeerClosed || error == ipc::IpcErrc::ChannelClosed ||
           error == std::errc::broken_pipe || error == std::errc::connection_reset;
}

/// The first frame of a channel: Hello from the expected peer, at our version.
bool valid_hello(ipc::Message const& m, Role peer) {
    auto const* hello = std::get_if<ipc::Hello>(&m);
    return hello != nullptr && hello->version == ipc::kIpcVersion && hello->role == peer;
}

/// Counts the channels still to greet; calls `ready` when the last one has.
struct Greetings {
    std::size_t awaited;
    std::function<void()> ready;

    void one_more() {
        if (--awaited == 0 && ready) {
            ready();
        }
    }
};

asio::awaitable<void> receive_loop(ipc::Channel& channel, Role self, Role peer,
                                   Peers::Handler const& handler, Peers::Lost const& lost,
                                   Greetings& greetings) {
    bool greeted = false;
    for (;;) {
        auto received = co_await channel.receive();
        if (!received) {
            lost(peer, received.error().code);
            co_return;
        }
        if (!greeted) {
            if (!valid_hello(received.value().message, peer)) {
                fatal(fmt::format("{}: channel from {} does not open with Hello version {}",
                                  role_name(self), role_name(peer), ipc::kIpcVersion));
            }
            greeted = true;
            greetings.one_more();
            continue;
        }
        handler(peer, std::move(received).value());
    }
}

} // namespace

Result<Peers> Peers::inherit(asio::any_io_executor const& executor, Role self) {
    Peers peers(self);
    for (PeerEnd const& end : peers_of(self)) {
        auto channel = ipc::Channel::from_fd(executor, Fd(end.child_fd));
        if (!channel) {
            return failure(channel.error().code,
                           fmt::format("{}: channel to {} (fd {}): {}", role_name(self),
                                       role_name(end.peer), end.child_fd, channel.error().what()));
        }
        peers.add(end.peer, std::move(channel).value());
    }
    return peers;
}

ipc::Channel& Peers::to(Role peer) {
    auto it = channels_.find(peer);
    if (it == channels_.end()) {
        fatal(fmt::format("{}: no channel to {}", role_name(self_), role_name(peer)));
    }
    return it->second;
}

void Peers::send(Role peer, ipc::Message const& message, Fd fd) {
    if (auto r = to(peer).send(message, std::move(fd)); !r) {
        if (lost_ && peer_gone(r.error().code)) {
            (*lost_)(peer, r.error().code);
            return;
        }
        fatal(fmt::format("{}: cannot send {} to {}: {}", role_name(self_), ipc::type_name(message),
                          role_name(peer), r.error().what()));
    }
}

void Peers::greet() {
    for (auto& [peer, channel] : channels_) {
        send(peer, ipc::Hello{ipc::kIpcVersion, self_});
    }
}

void Peers::serve(asio::io_context& io, Handler handler, Lost lost) {
    if (!lost) {
        // A peer's channel ends when that peer exits, on a stop or in a failure the parent
        // reports with the exit status; this process follows it, quietly, and as it would on
        // SIGTERM: its event loop stops and the role finishes its writes and exits 0.
        // Anything else (a malformed frame, a socket error) is a fault of its own.
        lost = [self = self_, &io](Role peer, std::error_code error) {
            std::string const what = fmt::format("{}: lost the channel to {}: {}", role_name(self),
                                                 role_name(peer), error.message());
            if (!peer_gone(error)) {
                fatal(what);
            }
            log_debug("{}: stopping", what);
            io.stop();
        };
    }
    auto shared_handler = std::make_shared<Handler>(std::move(handler));
    auto shared_lost = std::make_shared<Lost>(std::move(lost));
    lost_ = shared_lost;
    auto greetings = std::make_shared<Greetings>(Greetings{channels_.size(), greeted_});
    for (auto& [peer, channel] : channels_) {
        asio::co_spawn(
            io,
            [&channel, self = self_, peer = peer, shared_handler, shared_lost,
             greetings]() -> asio::awaitable<void> {
                co_await receive_loop(channel, self, peer, *shared_handler, *shared_lost,
                                      *greetings);
            },
            asio::detached);
    }
}

void Peers::close_all() {
    for (auto& [peer, channel] : channels_) {
        channel.close();
    }
}

Result<void> enter_jail(Role role, DaemonOptions const& options) {
    RoleInfo const* info = role_info(role);
    if (info == nullptr || !running_as_root()) {
        return success();
    }
    std::string const user = info->account == Account::Smtpq ? SMTPQ_USER : SMTPD_USER;
    auto account = find_account(user);
    if (!account) {
        return account.error();
    }
    std::string const jail = info->jail == Jail::Spool   ? options.spool
                             : info->jail == Jail::Empty ? std::string(SMTPD_CHROOT)
                                                         : std::string();
    auto dropped = drop_privileges(account.value(), jail);
    if (!dropped) {
        return failure(dropped.error().code,
                       fmt::format("{}: {}", role_name(role), dropped.error().what()));
    }
    return success();
}

void fatal(std::string_view what) {
    log_error("fatal: {}", what);
    ::_exit(1);
}

void unexpected(Role self, Role from, ipc::Message const& message) {
    fatal(fmt::format("{}: unexpected {} from {}", role_name(self), ipc::type_name(message),
                      role_name(from)));
}

Peers inherit_peers(asio::io_context& io, Role self) {
    auto peers = Peers::inherit(io.get_executor(), self);
    if (!peers) {
        fatal(peers.error().what());
    }
    return std::move(peers).value();
}

void enter_jail_or_exit(Role role, DaemonOptions const& options) {
    if (auto dropped = enter_jail(role, options); !dropped) {
        fatal(dropped.error().what());
    }
}

void on_stop_signals(asio::io_context& io, std::function<void(int)> stop) {
    std::signal(SIGPIPE, SIG_IGN); // NOLINT(cert-err33-c): a failure leaves the default
    std::signal(SIGHUP, SIG_IGN);  // NOLINT(cert-err33-c)
    auto signals = std::make_shared<asio::signal_set>(io, SIGTERM, SIGINT);
    signals->async_wait([signals, stop = std::move(stop)](boost::system::error_code ec, int sig) {
        if (!ec) {
            stop(sig);
        }
    });
}

} // namespace smtpd::rt
