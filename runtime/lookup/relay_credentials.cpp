// relay_credentials (see relay_credentials.hpp).
#include "lookup/relay_credentials.hpp"

namespace smtpd::rt {

std::optional<RelayCredentials> relay_credentials(Recipients const& recipients,
                                                  std::string_view table, std::string_view label) {
    table::Table* data = recipients.table(table);
    if (data == nullptr || label.empty()) {
        return std::nullopt;
    }
    auto const found = data->lookup(table::Service::Credentials, label);
    if (!found || !found.value()) {
        return std::nullopt;
    }
    std::string const value = found.value().value_or(std::string());
    auto const colon = value.find(':');
    if (colon == std::string::npos || colon == 0) {
        return std::nullopt;
    }
    return RelayCredentials{value.substr(0, colon), value.substr(colon + 1)};
}

} // namespace smtpd::rt
