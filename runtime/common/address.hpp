// An address as local-part and domain, split at its last '@' ("user" alone has an empty domain).
// The views point into the argument, which must outlive them. Depends on: the standard library.
#pragma once

#include <string_view>
#include <utility>

namespace smtpd::rt {

[[nodiscard]] inline std::pair<std::string_view, std::string_view>
split_address(std::string_view address) {
    auto const at = address.rfind('@');
    if (at == std::string_view::npos) {
        return {address, {}};
    }
    return {address.substr(0, at), address.substr(at + 1)};
}

} // namespace smtpd::rt
