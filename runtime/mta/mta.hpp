// The MTA: relays the recipients of one RelayRequest (one relay action, one domain) and answers
// with one result per recipient. It plans the job (relay_job.hpp), asks for the route through the
// function it was given (the dispatcher's IPC to the lookup role, which owns the resolver), then
// tries every address of the route in order (RFC 5321 §5.1), a session each (client_session.hpp),
// until no recipient is left or an address gave some recipient a final answer. Logs in
// OpenSMTPD's words: `mta connecting`, `mta connected`, `mta tls`, `mta cert-check`,
// `mta delivery`, `mta disconnected`.
// Depends on: ipc/messages.hpp, mta/relay_job.hpp, mta/client_session.hpp, tls/client_tls.hpp,
// common/fs.hpp,
// grammar's conf/ast.hpp, Boost.Asio.
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

    /// Relays what `request` asks, the content read from `message`; one result per index, in
    /// the request's order.
    [[nodiscard]] boost::asio::awaitable<ipc::RelayDone> relay(ipc::RelayRequest request,
                                                               Fd message);

    /// The lines `smtpctl show ...` prints for `what`, in OpenSMTPD's layout (mta.c).
    [[nodiscard]] std::vector<std::string> show(MtaShow what) const;

    /// How long a connection may take to be established.
    static constexpr std::chrono::seconds kConnectTimeout{30};
    /// How long a TLS handshake may take (RFC 5321 §4.5.3.2 names none; 5 minutes as a command).
    static constexpr std::chrono::seconds kHandshakeTimeout{300};

  private:
    boost::asio::any_io_executor executor_;
    conf::Config const& config_;
    std::string hostname_;
    MtaServices services_;
    ClientContexts contexts_;
};

} // namespace smtpd::rt::mta
