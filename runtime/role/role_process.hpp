// What every role process shares: its channels to the peers kPeers gives it, the Hello each
// channel opens with (both ends send one; the receiver checks the version and that the peer is
// the role the topology says), the receive loops that hand each message to the role's handler,
// and the fatal exit. A child that loses a channel or receives a malformed or unexpected frame
// from an internal peer logs why and exits; the parent sees it and takes the daemon down.
// Depends on: role/topology.hpp, ipc/, common/, Boost.Asio.
#pragma once

#include "common/result.hpp"
#include "ipc/channel.hpp"
#include "ipc/messages.hpp"
#include "ipc/pending.hpp"
#include "role/topology.hpp"

// <utility> before Asio: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <system_error>

namespace smtpd::rt {

/// A role's channels, by peer.
class Peers {
  public:
    explicit Peers(Role self) : self_(self) {}

    /// Adopts the channel ends a child inherited at the descriptors peers_of(self) names.
    [[nodiscard]] static Result<Peers> inherit(boost::asio::any_io_executor const& executor,
                                               Role self);

    void add(Role peer, ipc::Channel channel) {
        channel.set_trace_names(role_name(self_), role_name(peer));
        channels_.emplace(peer, std::move(channel));
    }
    /// The channel to `peer`; a role asking for a peer it has no link to is a bug (fatal).
    [[nodiscard]] ipc::Channel& to(Role peer);
    [[nodiscard]] Role self() const { return self_; }

    /// Sends to `peer`. A peer that is gone (it closed its end: a stop or its failure, which
    /// the parent reports) is the serve() `lost` case, as when the receive loop sees it; any
    /// other failed send is fatal.
    void send(Role peer, ipc::Message const& message, Fd fd = {});

    /// Sends Hello on every channel.
    void greet();

    using Handler = std::function<void(Role from, ipc::Received received)>;
    using Lost = std::function<void(Role peer, std::error_code error)>;
    /// Starts one receive loop per channel on `io`. The first frame must be Hello; the others go
    /// to `handler`. A channel error calls `lost` (by default: stop `io`, as SIGTERM does, when
    /// the peer closed the channel; fatal otherwise).
    void serve(boost::asio::io_context& io, Handler handler, Lost lost = {});
    /// Calls `ready` once every channel's Hello has arrived (set before serve()): each peer has
    /// then done what it does before greeting, such as control opening its socket.
    void when_greeted(std::function<void()> ready) { greeted_ = std::move(ready); }

    void close_all();

  private:
    Role self_;
    std::map<Role, ipc::Channel> channels_;
    std::shared_ptr<Lost> lost_; ///< set by serve()
    std::function<void()> greeted_;
};

struct DaemonOptions;

/// The account a child role runs as and the directory it is jailed in (kChildRoles), dropped
/// to when started as root; nothing otherwise.
[[nodiscard]] Result<void> enter_jail(Role role, DaemonOptions const& options);

/// Logs `what` and exits the process at once with status 1.
[[noreturn]] void fatal(std::string_view what);

/// fatal() for a message a role does not take from that peer.
[[noreturn]] void unexpected(Role self, Role from, ipc::Message const& message);

/// Hands the reply `id` to the request that awaits it in `pending`. A reply that no request
/// awaits is an internal peer's protocol fault: fatal, naming `self` and the reply's type.
template <class T>
void complete_request(ipc::Pending<T>& pending, ipc::RequestId id, T reply, Role self,
                      std::string_view what) {
    if (auto r = pending.complete(id, std::move(reply)); !r) {
        fatal(fmt::format("{}: {} for an unknown request {}", role_name(self), what, id));
    }
}

/// complete_request for a reply message, which carries its own id.
template <class T> void complete_reply(ipc::Pending<T>& pending, T reply, Role self) {
    ipc::RequestId const id = reply.id;
    complete_request(pending, id, std::move(reply), self, ipc::type_name(T::kType));
}

/// SIGTERM and SIGINT call `stop`; SIGHUP and SIGPIPE are ignored.
void on_stop_signals(boost::asio::io_context& io, std::function<void(int)> stop);

// The start of every child role (run_lookup, run_queue, ...): its channels, what it prepares
// while it still has privileges, the drop, its role object, then start_serving and io.run().

/// The channels a child role inherited from the parent; fatal when they are not there.
[[nodiscard]] Peers inherit_peers(boost::asio::io_context& io, Role self);

/// enter_jail, fatal when it fails.
void enter_jail_or_exit(Role role, DaemonOptions const& options);

/// Hello on every channel, every message to `role.on_message(from, received)`, and SIGTERM or
/// SIGINT (like a lost peer) stopping `io`; the caller then runs `io`.
template <class RoleObject>
void start_serving(boost::asio::io_context& io, Peers& peers, RoleObject& role) {
    peers.greet();
    peers.serve(io, [&role](Role from, ipc::Received r) { role.on_message(from, std::move(r)); });
    on_stop_signals(io, [&io](int) { io.stop(); });
}

} // namespace smtpd::rt
