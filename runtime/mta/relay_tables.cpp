// resolve_relay_tables (see relay_tables.hpp). Each awaitable is built in one statement and
// awaited in the next (g++ 12, ipc/request.hpp).
#include "mta/relay_tables.hpp"

#include <fmt/format.h>
#include <system_error>

namespace smtpd::rt::mta {

namespace asio = boost::asio;
using Service = ipc::RelayTableService;

namespace {

Failure nothing_in(std::string_view what, std::string const& table) {
    return failure(std::make_error_code(std::errc::no_such_device_or_address),
                   fmt::format("no {} in table {}", what, table));
}

} // namespace

asio::awaitable<Result<RelayJob>> resolve_relay_tables(RelayJob job, conf::Relay const& relay,
                                                       RelayTableFinder const& find) {
    RelayTables const tables = std::move(job.tables);
    job.tables = {};
    if (tables.host || tables.domain) {
        bool const by_domain = !tables.host;
        std::string const& table = by_domain ? *tables.domain : *tables.host;
        auto asking = find(Service::RelayHost, table, by_domain ? job.target.name : "");
        auto found = co_await std::move(asking);
        if (!found) {
            co_return found.error();
        }
        if (found.value().found && !found.value().values.empty()) {
            auto with = with_smarthost(std::move(job), relay, found.value().values.front());
            if (!with) {
                co_return failure(with.error().code,
                                  fmt::format("table {}: {}", table, with.error().what()));
            }
            job = std::move(with).value();
        } else if (!by_domain) {
            co_return nothing_in("relay URL", table);
        }
    }
    if (tables.source) {
        auto asking = find(Service::Source, *tables.source, "");
        auto found = co_await std::move(asking);
        if (!found) {
            co_return found.error();
        }
        if (!found.value().found || found.value().values.empty()) {
            co_return nothing_in("source address", *tables.source);
        }
        for (std::string& address : found.value().values) {
            job.sources.push_back(SourceAddress{std::move(address), {}});
        }
    }
    if (tables.helo_src) {
        for (SourceAddress& source : job.sources) {
            auto asking = find(Service::AddrName, *tables.helo_src, source.address);
            auto found = co_await std::move(asking);
            if (!found) {
                co_return found.error();
            }
            // The name goes on the wire after EHLO: a table line that is not a name (blanks,
            // CR, LF: a command of its own) is not used.
            if (found.value().found && !found.value().values.empty() &&
                conf::is_helo_name(found.value().values.front())) {
                source.helo = std::move(found.value().values.front());
            }
        }
    }
    co_return job;
}

} // namespace smtpd::rt::mta
