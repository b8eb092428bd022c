// The format specifier table.
#include "lookup/format_values.hpp"

#include "common/address.hpp"

namespace smtpd::rt {

namespace {

/// "name", "name.user" and "name.domain" of an address.
std::optional<std::string> address_value(std::string_view wanted, std::string_view name,
                                         std::string_view address) {
    if (!wanted.starts_with(name)) {
        return std::nullopt;
    }
    std::string_view const rest = wanted.substr(name.size());
    auto const [user, domain] = split_address(address);
    if (rest.empty()) {
        return std::string(address);
    }
    if (rest == ".user") {
        return std::string(user);
    }
    if (rest == ".domain") {
        return std::string(domain);
    }
    return std::nullopt;
}

} // namespace

conf::FormatLookup format_lookup(FormatValues const& values) {
    return [&values](std::string_view name) -> std::optional<std::string> {
        if (name == "user.username") {
            return values.username;
        }
        if (name == "user.directory") {
            return values.directory;
        }
        if (values.sender) {
            if (auto v = address_value(name, "sender", *values.sender)) {
                return v;
            }
        }
        if (auto v = address_value(name, "rcpt", values.rcpt)) {
            return v;
        }
        return address_value(name, "dest", values.dest);
    };
}

} // namespace smtpd::rt
