// relay_table_values and RelayTableAnswers (see relay_tables.hpp).
#include "lookup/relay_tables.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <netinet/in.h>

namespace smtpd::rt {

namespace {

std::vector<std::string> entries(std::vector<table::Entry> const& all,
                                 ipc::RelayTableService service) {
    std::vector<std::string> out;
    for (auto const& entry : all) {
        if (service != ipc::RelayTableService::Source) {
            out.push_back(entry.key);
        } else if (auto address = canonical_address(entry.key)) {
            out.push_back(std::move(*address));
        }
    }
    return out;
}

std::optional<std::string> value_of(table::Table& table, ipc::RelayTableService service,
                                    std::string_view key) {
    if (service == ipc::RelayTableService::RelayHost) {
        auto found = table.lookup(table::Service::Relayhost, key);
        return found ? std::move(found).value() : std::nullopt;
    }
    auto const wanted = canonical_address(key);
    if (!wanted) {
        return std::nullopt;
    }
    auto all = table.entries();
    if (!all) { // a backend that cannot list its entries: ask it the address as written
        auto found = table.lookup(table::Service::Addrname, *wanted);
        return found ? std::move(found).value() : std::nullopt;
    }
    for (auto const& entry : all.value()) {
        if (entry.value && canonical_address(entry.key) == wanted) {
            return entry.value;
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

std::optional<std::vector<std::string>> relay_table_values(table::Table* table,
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
    auto listed = table->entries();
    if (!listed) {
        return std::nullopt;
    }
    std::vector<std::string> all = entries(listed.value(), service);
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
