// The credentials the MTA presents to a smarthost (`action ... relay host smtp+tls://label@host
// auth <table>`): the table maps a label to "user:password", as OpenSMTPD's auth tables do
// (table(5)); the password is everything after the first ':'. They stay in the lookup role until
// the MTA asks for the label of the session it opens. Pure. Depends on: recipients.hpp (tables).
#pragma once

#include "lookup/recipients.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace smtpd::rt {

struct RelayCredentials {
    std::string user;
    std::string password;
    friend bool operator==(RelayCredentials const&, RelayCredentials const&) = default;
};

/// The credentials of `label` in the table `table`; none when the table is not loaded, has no
/// such label, or its value has no ':' or an empty user.
[[nodiscard]] std::optional<RelayCredentials>
relay_credentials(Recipients const& recipients, std::string_view table, std::string_view label);

} // namespace smtpd::rt
