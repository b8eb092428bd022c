// service_match and service_from_name (service.hpp), after OpenSMTPD's table.c: the key (from the
// session) is lowercased first, as table_lookup() does, then compared with the table's entry by
// the service's function: hostname_match (Domain), table_netaddr_match (Netaddr),
// table_mailaddr_match (Mailaddr), table_regex_match (Regex); every other service compares
// exactly. Pure: no I/O, no globals (the sub-address delimiter is a parameter).
// Depends on: service.hpp, POSIX <regex.h> and <arpa/inet.h> (inet_pton), the standard library.
#include "table/service.hpp"

#include <arpa/inet.h>
#include <regex.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <string>

namespace smtpd::rt::table {

namespace {

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool equal_nocase(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return lower(x) == lower(y); });
}

// util.c hostname_match: a run of '*' skips the host name up to the first character equal to the
// one after the stars, so "*.example.org" matches "a.example.org" but neither "example.org" nor
// "a.b.example.org"; a trailing '*' matches the rest.
bool hostname_match(std::string_view host, std::string_view pattern) {
    std::size_t h = 0;
    std::size_t p = 0;
    while (p < pattern.size() && h < host.size()) {
        if (pattern[p] == '*') {
            while (p < pattern.size() && pattern[p] == '*') {
                ++p;
            }
            char const want = p < pattern.size() ? lower(pattern[p]) : '\0';
            while (h < host.size() && lower(host[h]) != want) {
                ++h;
            }
            continue;
        }
        if (lower(pattern[p]) != lower(host[h])) {
            return false;
        }
        ++p;
        ++h;
    }
    return h == host.size() && p == pattern.size();
}

struct MailAddr {
    std::string_view user;
    std::string_view domain;
};

// to.c text_to_mailaddr: split at the last '@'; "@dom" has no user, "user" no domain.
MailAddr split_mailaddr(std::string_view text) {
    auto const at = text.rfind('@');
    if (at == std::string_view::npos) {
        return {text, {}};
    }
    return {text.substr(0, at), text.substr(at + 1)};
}

// util.c mailaddr_match: an empty entry ("@") matches all; the entry's domain with
// hostname_match; its user without case, the session's sub-address tag stripped unless the
// entry has one itself.
bool mailaddr_match(std::string_view key, std::string_view pattern, char delim) {
    MailAddr const m1 = split_mailaddr(key);
    MailAddr const m2 = split_mailaddr(pattern);
    if (m2.user.empty() && m2.domain.empty()) {
        return true;
    }
    if (!m2.domain.empty() && !hostname_match(m1.domain, m2.domain)) {
        return false;
    }
    if (!m2.user.empty()) {
        std::string_view user = m1.user;
        if (m2.user.find(delim) == std::string_view::npos) {
            user = user.substr(0, user.find(delim));
        }
        return equal_nocase(user, m2.user);
    }
    return true;
}

struct NetAddr {
    int family = 0;
    std::array<unsigned char, 16> bytes{};
    int bits = 0;
};

bool starts_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && equal_nocase(s.substr(0, prefix.size()), prefix);
}

// An IPv4 network as BIND's inet_net_pton(3) reads it in decimal: one to four octets, then
// "/bits"; without bits, the width of the address's class, widened to the octets written (so a
// whole address is /32).
bool parse_inet4_net(std::string_view s, NetAddr& out) {
    int bits = -1;
    auto const slash = s.find('/');
    if (slash != std::string_view::npos) {
        auto const num = s.substr(slash + 1);
        auto const [end, ec] = std::from_chars(num.data(), num.data() + num.size(), bits);
        if (num.empty() || ec != std::errc{} || end != num.data() + num.size() || bits > 32) {
            return false;
        }
        s = s.substr(0, slash);
    }
    int octets = 0;
    while (true) {
        unsigned value = 256;
        auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
        if (ec != std::errc{} || value > 255 || octets == 4) {
            return false;
        }
        out.bytes.at(static_cast<std::size_t>(octets++)) = static_cast<unsigned char>(value);
        s.remove_prefix(static_cast<std::size_t>(end - s.data()));
        if (s.empty()) {
            break;
        }
        if (s.front() != '.') {
            return false;
        }
        s.remove_prefix(1);
    }
    if (bits == -1) {
        unsigned char const first = out.bytes[0];
        bits = first >= 240 ? 32 : first >= 224 ? 4 : first >= 192 ? 24 : first >= 128 ? 16 : 8;
        bits = std::max(bits, octets * 8);
    }
    out.family = AF_INET;
    out.bits = bits;
    return true;
}

// to.c text_to_netaddr: an IPv4 network as inet_net_pton(3) reads it ("10/8", "192.168.1.0/24",
// a bare address is /32), else an IPv6 address with an optional "/bits" (128 without), bare or
// in brackets, either optionally prefixed "IPv6:".
bool parse_netaddr(std::string_view s, NetAddr& out) {
    if (starts_nocase(s, "IPv6:")) {
        s.remove_prefix(5);
    }
    if (parse_inet4_net(s, out)) {
        return true;
    }
    out = NetAddr{};
    if (!s.empty() && s.front() == '[') {
        s.remove_prefix(1);
        if (starts_nocase(s, "IPv6:")) {
            s.remove_prefix(5);
        }
        if (s.empty() || s.back() != ']') {
            return false;
        }
        s.remove_suffix(1);
    }
    int bits = 128;
    auto const slash = s.find('/');
    if (slash != std::string_view::npos) {
        auto const num = s.substr(slash + 1);
        auto const [end, ec] = std::from_chars(num.data(), num.data() + num.size(), bits);
        if (ec != std::errc{} || end != num.data() + num.size() || num.empty() || bits < 0 ||
            bits > 128) {
            return false;
        }
        s = s.substr(0, slash);
    }
    std::string const addr(s);
    if (inet_pton(AF_INET6, addr.c_str(), out.bytes.data()) != 1) {
        return false;
    }
    out.family = AF_INET6;
    out.bits = bits;
    return true;
}

// table.c table_netaddr_match: equal texts match; else both must parse, be of one family, and
// agree on the entry's prefix length.
bool netaddr_match(std::string_view key, std::string_view pattern) {
    if (equal_nocase(key, pattern)) {
        return true;
    }
    NetAddr n1;
    NetAddr n2;
    if (!parse_netaddr(key, n1) || !parse_netaddr(pattern, n2) || n1.family != n2.family) {
        return false;
    }
    int const width = n1.family == AF_INET ? 4 : 16;
    int remaining = std::min(n2.bits, width * 8);
    for (int i = 0; i < width && remaining > 0; ++i, remaining -= 8) {
        auto const mask = static_cast<unsigned char>(remaining >= 8 ? 0xff : 0xff00 >> remaining);
        auto const idx = static_cast<std::size_t>(i);
        if ((n1.bytes.at(idx) & mask) != (n2.bytes.at(idx) & mask)) {
            return false;
        }
    }
    return true;
}

// table.c table_regex_match: POSIX extended, no sub-matches, "(?i)" in front for no case; a
// pattern that does not compile matches nothing.
bool regex_match(std::string_view key, std::string_view pattern) {
    int flags = REG_EXTENDED | REG_NOSUB;
    if (pattern.substr(0, 4) == "(?i)") {
        flags |= REG_ICASE;
        pattern.remove_prefix(4);
    }
    std::string const pat(pattern);
    std::string const subject(key);
    regex_t re{};
    if (regcomp(&re, pat.c_str(), flags) != 0) {
        return false;
    }
    bool const hit = regexec(&re, subject.c_str(), 0, nullptr, 0) == 0;
    regfree(&re);
    return hit;
}

} // namespace

std::optional<Service> service_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kServiceCount; ++i) {
        if (kServiceNames.at(i) == name) {
            return static_cast<Service>(i);
        }
    }
    return std::nullopt;
}

bool service_match(Service service, std::string_view pattern, std::string_view key,
                   char subaddress_delim) {
    std::string lowered(key);
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);
    switch (service) {
    case Service::Domain:
        return hostname_match(lowered, pattern);
    case Service::Netaddr:
        return netaddr_match(lowered, pattern);
    case Service::Mailaddr:
        return mailaddr_match(lowered, pattern, subaddress_delim);
    case Service::Regex:
        return regex_match(lowered, pattern);
    default:
        return equal_nocase(pattern, lowered);
    }
}

} // namespace smtpd::rt::table
