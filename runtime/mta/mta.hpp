// The MTA: relays the recipients of one RelayRequest (one relay action, one domain) and answers
// with one result per recipient. It plans the job (relay_job.hpp), asks for the route through the
// function it was given (the dispatcher's IPC to the lookup role, which owns the resolver), then
// tries the addresses of the route in order (RFC 5321 §5.1; attempt.hpp), those `mta limit
// inet4|inet6` allows and the penalized ones last, until no recipient is left or an address gave
// some recipient a final answer. Sessions outlive requests: they are parked between messages and
// bounded by `mta limit` (session_pool.hpp); what it knows of hosts and routes is shown by
// `smtpctl show hosts|relays|routes|hoststats` (mta_stats.hpp).
// Depends on: ipc/messages.hpp, mta/relay_job.hpp, mta/attempt.hpp, tls/client_tls.hpp,
// common/fs.hpp, grammar's conf/ast.hpp, Boost.Asio.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"
#include "conf/ast.hpp"
#include "ipc/messages.hpp"
#include "mta/relay_tables.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace smtpd::rt::mta {

struct RelayJob;

class SessionPool;
class MtaStats;

/// A route to look up: a domain's MX hosts, or (host_only) a smarthost's addresses.
struct RouteQuery {
    std::string name;
    std::string backup_mx;
    bool host_only = false;
};
/// What the MTA asks of the other roles (the dispatcher's IPC to the lookup role): routes, and a
/// smarthost label's credentials from an `auth` table, the tables of the relay options.
struct MtaServices {
    std::function<boost::asio::awaitable<Result<ipc::RouteResolved>>(RouteQuery query)> route;
    std::function<boost::asio::awaitable<Result<ipc::RelayCredentialsFound>>(std::string table,
                                                                             std::string label)>
        credentials;
    RelayTableFinder table; ///< relay option tables (mta/relay_tables.hpp; issue 14)
    /// The unix socket of a relay action (`host lmtp` to a path), connected for this role.
    std::function<boost::asio::awaitable<Result<Fd>>(std::string action)> unix_socket;
};

/// The client TLS context of each relay action, by action name.
using ClientContexts =
    std::map<std::string, std::shared_ptr<boost::asio::ssl::context>, std::less<>>;

/// The contexts of every relay action of `config` (tls/client_tls.hpp: its pki, ca, protocols and
/// ciphers; the system's trust store without a ca). Made before the chroot, which hides the
/// files; an error names the file or the setting.
[[nodiscard]] Result<ClientContexts> make_client_contexts(conf::Config const& config);

/// What `smtpctl show hosts|relays|routes|hoststats` lists.
enum class MtaShow : unsigned char { Hosts, Relays, Routes, HostStats };

class Mta {
  public:
    /// `config` must outlive the Mta. `hostname` is our name (HELO, backup MX).
    Mta(boost::asio::any_io_executor executor, conf::Config const& config, std::string hostname,
        MtaServices services, ClientContexts contexts);
    Mta(Mta const&) = delete;
    Mta& operator=(Mta const&) = delete;
    ~Mta();

    /// Relays what `request` asks, the content read from `message`; one result per index, in
    /// the request's order.
    [[nodiscard]] boost::asio::awaitable<ipc::RelayDone> relay(ipc::RelayRequest request,
                                                               Fd message);

    /// The lines `smtpctl show ...` prints for `what`, in OpenSMTPD's layout (mta.c).
    [[nodiscard]] std::vector<std::string> show(MtaShow what) const;

  private:
    /// The addresses to try: the route the lookup role finds, or a `host lmtp` socket's path.
    [[nodiscard]] boost::asio::awaitable<Result<ipc::RouteResolved>> route_of(RelayJob& job);

    boost::asio::any_io_executor executor_;
    conf::Config const& config_;
    std::string hostname_;
    MtaServices services_;
    ClientContexts contexts_;
    std::unique_ptr<SessionPool> pool_;
    std::shared_ptr<MtaStats> stats_;
};

} // namespace smtpd::rt::mta
