// Resolving the tables of a relay action's options into a planned job (relay_job.hpp), by asking
// the lookup role, which keeps the tables (ipc FindRelayTable, lookup/relay_tables.hpp):
// `host <table>` and `domain <table>` give the smarthost, `src <table>` the addresses to bind,
// `helo-src <table>` the HELO name of each of them. Runs after plan_relay, before credentials and
// route. Depends on: mta/relay_job.hpp, ipc/messages.hpp, common/result.hpp, Boost.Asio.
#pragma once

#include "common/result.hpp"
#include "conf/ast.hpp"
#include "ipc/messages.hpp"
#include "mta/relay_job.hpp"

#include <utility> // before Asio (Boost 1.74 under -std=c++20)

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace smtpd::rt::mta {

/// Asks the lookup role for an entry (or, key "", the entries) of a relay option's table.
using RelayTableFinder = std::function<boost::asio::awaitable<Result<ipc::RelayTableFound>>(
    ipc::RelayTableService service, std::string table, std::string key)>;

/// `job` with the answers of its tables, and job.tables cleared:
///  - `host <table>`: the table's next URL in turn (round robin over requests) is the smarthost;
///  - `domain <table>`: the URL of the recipients' domain is the smarthost; a domain the table
///    does not name goes to its MX hosts as without the option;
///  - `src <table>`: the table's addresses, the next in turn first, are the sources;
///  - `helo-src <table>`: each source with a name in the table gives that name in HELO; the
///    others the `helo` name or ours. Without `src` there is no source address to look up.
/// Fails (for a temporary failure) when the lookup role cannot be asked, a host or src table
/// gives nothing, or a URL is unusable (with_smarthost).
[[nodiscard]] boost::asio::awaitable<Result<RelayJob>>
resolve_relay_tables(RelayJob job, conf::Relay const& relay, RelayTableFinder const& find);

} // namespace smtpd::rt::mta
