// The lookup role's answers for the tables of `action ... relay` options (smtpd.conf(5)): the
// source addresses of `src <table>` (OpenSMTPD's "source" service), the HELO name of a source
// address in `helo-src <table>` ("addrname"), the relay URLs of `host <table>` and the URL of a
// domain in `domain <table>` ("relayhost"). The tables stay here; the MTA gets only what one
// relay request needs (ipc FindRelayTable). Pure but for the turn counter of each list.
// Depends on: ipc/messages.hpp, table/.
#pragma once

#include "ipc/messages.hpp"
#include "table/table.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// `text` as inet_ntop(3) writes it when it is an IPv4 or IPv6 address ("0::1" -> "::1").
[[nodiscard]] std::optional<std::string> canonical_address(std::string_view text);

/// What `service` finds in `table` (nullptr: no such table) for `key`; nullopt when nothing.
/// An empty key lists the entries (a list's values, a mapping's keys; for Source only the valid
/// addresses, canonical), turned left by `turn` places. A key gives its one value: AddrName
/// matches the keys as addresses, RelayHost as domains without case.
[[nodiscard]] std::optional<std::vector<std::string>>
relay_table_values(table::Table* table, ipc::RelayTableService service, std::string_view key,
                   std::size_t turn);

/// The answers of the lookup role, each listing request of a table turning it one place more,
/// so that successive requests start at each entry in turn (round robin, as OpenSMTPD's
/// table_fetch).
class RelayTableAnswers {
  public:
    using Find = std::function<table::Table*(std::string_view name)>;
    explicit RelayTableAnswers(Find find) : find_(std::move(find)) {}

    [[nodiscard]] ipc::RelayTableFound answer(ipc::FindRelayTable const& request);

  private:
    Find find_;
    std::map<std::string, std::size_t, std::less<>> turns_;
};

} // namespace smtpd::rt
