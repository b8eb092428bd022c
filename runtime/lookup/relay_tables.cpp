// relay_table_values and RelayTableAnswers (see relay_tables.hpp).
#include "lookup/relay_tables.hpp"

#include "lookup/recipients.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <netinet/in.h>

namespace smtpd::rt {

namespace {

std::vector<std::string> entries(conf::TableData const& table, ipc::RelayTableService service) {
    std::vector<std::string> out;
    auto add = [&](std::string const& entry) {
        if (service != ipc::RelayTableService::Source) {
            out.push_back(entry);
        } else if (auto address = canonical_address(entry)) {
            out.push_back(std::move(*address));
        }
    };
    std::for_each(table.list.begin(), table.list.end(), add);
    for (auto const& [key, value] : table.map) {
        add(key);
    }
    return out;
}

std::optional<std::string> value_of(conf::TableData const& table, ipc::RelayTableService service,
                                    std::string_view key) {
    if (service == ipc::RelayTableService::RelayHost) {
        return table_get(table, key);
    }
    auto const wanted = canonical_address(key);
    if (!wanted) {
        return std::nullopt;
    }
    for (auto const& [k, v] : table.map) {
        if (canonical_address(k) == wanted) {
            return v;
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> canonical_address(std::string_view text) {
    std::string const s(text);
    std::array<unsigned char, sizeof(in6_addr)> binary{};
    std::array<char, INET6_ADDRSTRLEN> out{};
    for (int const family : {AF_INET, AF_INET6}) {
        if (::inet_pton(family, s.c_str(), binary.data()) == 1 &&
            ::inet_ntop(family, binary.data(), out.data(), out.size()) != nullptr) {
            return std::string(out.data());
        }
    }
    return std::nullopt;
}

std::optional<std::vector<std::string>> relay_table_values(conf::TableData const* table,
                                                           ipc::RelayTableService service,
                                                           std::string_view key, std::size_t turn) {
    if (table == nullptr) {
        return std::nullopt;
    }
    if (!key.empty()) {
        auto value = value_of(*table, service, key);
        if (!value) {
            return std::nullopt;
        }
        return std::vector<std::string>{std::move(*value)};
    }
    if (service == ipc::RelayTableService::AddrName) {
        return std::nullopt; // a source address's name: never listed
    }
    std::vector<std::string> all = entries(*table, service);
    if (all.empty()) {
        return std::nullopt;
    }
    std::rotate(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(turn % all.size()),
                all.end());
    return all;
}

ipc::RelayTableFound RelayTableAnswers::answer(ipc::FindRelayTable const& request) {
    std::size_t turn = 0;
    if (request.key.empty()) {
        auto [it, added] = turns_.try_emplace(request.table, 0);
        turn = it->second++;
    }
    auto values = relay_table_values(find_(request.table), request.service, request.key, turn);
    if (!values) {
        return ipc::RelayTableFound{request.id, false, {}};
    }
    return ipc::RelayTableFound{request.id, true, std::move(*values)};
}

} // namespace smtpd::rt
