// The PLAIN SASL message (RFC 4616 §2): message = [authzid] UTF8NUL authcid UTF8NUL passwd.
// We authenticate as authcid only: an authzid other than empty or authcid itself (acting for
// another user) is refused, as OpenSMTPD does. Depends on: the standard library only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace smtpd::sm {

struct PlainMessage {
    std::string user;
    std::string password;
};

/// The user and password of a PLAIN message, or nullopt when it is malformed.
[[nodiscard]] inline std::optional<PlainMessage> parse_plain(std::string_view message) {
    auto const first = message.find('\0');
    if (first == std::string_view::npos) {
        return std::nullopt;
    }
    auto const second = message.find('\0', first + 1);
    if (second == std::string_view::npos ||
        message.find('\0', second + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view const authzid = message.substr(0, first);
    std::string_view const authcid = message.substr(first + 1, second - first - 1);
    std::string_view const passwd = message.substr(second + 1);
    // RFC 4616 §2: authcid = 1*SAFE, passwd = 1*SAFE.
    if (authcid.empty() || passwd.empty() || (!authzid.empty() && authzid != authcid)) {
        return std::nullopt;
    }
    return PlainMessage{std::string(authcid), std::string(passwd)};
}

} // namespace smtpd::sm
