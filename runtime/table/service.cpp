// service_match and service_from_name (service.hpp). The per-service comparisons are to come
// (issue 16); until then every service compares exactly, without case.
// Depends on: service.hpp and the standard library.
#include "table/service.hpp"

#include <algorithm>
#include <cctype>

namespace smtpd::rt::table {

std::optional<Service> service_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kServiceCount; ++i) {
        if (kServiceNames.at(i) == name) {
            return static_cast<Service>(i);
        }
    }
    return std::nullopt;
}

bool service_match(Service /*service*/, std::string_view pattern, std::string_view key) {
    return std::equal(
        pattern.begin(), pattern.end(), key.begin(), key.end(),
        [](unsigned char a, unsigned char b) { return std::tolower(a) == std::tolower(b); });
}

} // namespace smtpd::rt::table
