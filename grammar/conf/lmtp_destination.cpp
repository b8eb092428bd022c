// parse_lmtp_destination (see lmtp_destination.hpp). An IPv6 address goes in brackets, as in a
// relay URL, so that its colons are not read as the port's; inet_pton(3) checks it.
// Depends on: lmtp_destination.hpp, numbers.hpp, <arpa/inet.h>.
#include "lmtp_destination.hpp"

#include "numbers.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>

namespace smtpd::conf {

namespace {

bool is_host_byte(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '.' || c == '_';
}

LmtpParse fail(std::string why) {
    return LmtpParse{std::nullopt, std::move(why)};
}

} // namespace

LmtpParse parse_lmtp_destination(std::string_view text) {
    if (text.empty()) {
        return fail("empty destination");
    }
    if (text.front() == '/') {
        if (text.find('\0') != std::string_view::npos) {
            return fail("NUL byte in the socket path");
        }
        return LmtpParse{LmtpDestination{true, std::string(text), 0}, {}};
    }
    auto const colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return fail("expected host:port, [address]:port or an absolute socket path");
    }
    std::string_view host = text.substr(0, colon);
    auto const port = parse_port(text.substr(colon + 1));
    if (!port) {
        return fail("invalid port \"" + std::string(text.substr(colon + 1)) + "\"");
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
        std::array<unsigned char, 16> addr{};
        if (std::string const h(host); inet_pton(AF_INET6, h.c_str(), addr.data()) != 1) {
            return fail("invalid IPv6 address");
        }
    } else if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_byte)) {
        return fail("invalid host name");
    }
    return LmtpParse{LmtpDestination{false, std::string(host), *port}, {}};
}

} // namespace smtpd::conf
