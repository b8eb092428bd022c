// The values of smtpd.conf(5)'s format specifiers for one recipient: the one table behind both
// the Maildir paths the lookup role expands and the mda commands a delivery child expands.
// Depends on: grammar/ (conf/format.hpp), common/address.hpp.
#pragma once

#include "conf/format.hpp"

#include <optional>
#include <string>

namespace smtpd::rt {

struct FormatValues {
    std::optional<std::string> sender; ///< none where it is not known yet (lookup time)
    std::string rcpt;                  ///< the recipient as accepted
    std::string dest;                  ///< the address the expansion reached
    std::string username;
    std::string directory;
};

/// A lookup for conf::expand_format / expand_command over `values`, which must outlive it:
/// sender, rcpt, dest (each also .user and .domain), user.username, user.directory.
[[nodiscard]] conf::FormatLookup format_lookup(FormatValues const& values);

} // namespace smtpd::rt
