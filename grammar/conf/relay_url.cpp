// parse_relay_url (see relay_url.hpp). Reads left to right: the scheme (to.c's table of schemas,
// with its ports), the label up to the first '@', then the host and the port. An address literal
// goes in brackets, "[192.0.2.1]", "[2001:db8::1]" or "[IPv6:2001:db8::1]" (valid_domainpart()
// takes all three); an IPv4 address may also be written bare. inet_pton(3) checks addresses.
// Depends on: relay_url.hpp, numbers.hpp, <arpa/inet.h>.
#include "relay_url.hpp"

#include "numbers.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>

namespace smtpd::conf {

namespace {

struct Scheme {
    std::string_view prefix;
    RelayUrl::Protocol protocol;
    std::uint16_t port; ///< 0: the URL must give one
    RelayUrl::Tls tls;
};

// In the order of RelayUrl::Protocol, which to_string() indexes by.
constexpr std::array<Scheme, 5> kSchemes{{
    {"smtp://", RelayUrl::Protocol::Smtp, RelayUrl::kSmtpPort, RelayUrl::Tls::Opportunistic},
    {"smtp+tls://", RelayUrl::Protocol::SmtpTls, RelayUrl::kSmtpPort, RelayUrl::Tls::Starttls},
    {"smtp+notls://", RelayUrl::Protocol::SmtpNoTls, RelayUrl::kSmtpPort, RelayUrl::Tls::None},
    {"smtps://", RelayUrl::Protocol::Smtps, RelayUrl::kSmtpsPort, RelayUrl::Tls::Implicit},
    {"lmtp://", RelayUrl::Protocol::Lmtp, 0, RelayUrl::Tls::None},
}};

// OpenSMTPD's label buffer, and sockaddr_un's sun_path less its NUL.
constexpr std::size_t kMaxLabel = 255;
constexpr std::size_t kMaxSocketPath = 107;
constexpr std::size_t kMaxHostName = 253;
constexpr std::size_t kMaxHostLabel = 63;

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(),
                      [](char a, char b) { return lower(a) == lower(b); });
}

bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_host_byte(char c) {
    return is_alnum(c) || c == '-' || c == '_' || c == '.';
}

// inet_pton(3) reads up to a NUL: a NUL inside would hide the bytes after it.
bool is_inet_address(int family, std::string_view text) {
    if (text.find('\0') != std::string_view::npos) {
        return false;
    }
    std::array<unsigned char, 16> buf{};
    std::string const s(text);
    return inet_pton(family, s.c_str(), buf.data()) == 1;
}

bool is_printable(char c) {
    auto const u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
}

std::string hex(char c) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    auto const u = static_cast<unsigned char>(c);
    return {kHex[u >> 4U], kHex[u & 0xFU]};
}

// One byte for a message: "x", or byte 0xNN.
std::string shown(char c) {
    return is_printable(c) ? std::string("\"") + c + "\"" : "byte 0x" + hex(c);
}

// Text for a message, in double quotes, other bytes than printable ASCII as \xNN.
std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (char const c : text) {
        out += is_printable(c) ? std::string(1, c) : "\\x" + hex(c);
    }
    return out + "\"";
}

/// The parse of one URL, front to back; `at_` is the offset reached.
class UrlReader {
  public:
    explicit UrlReader(std::string_view text) : text_(text) {}

    RelayUrlParse run() {
        if (text_.empty()) {
            return fail("empty relay URL");
        }
        if (text_.size() > kMaxRelayUrl) {
            return fail("relay URL longer than " + std::to_string(kMaxRelayUrl) + " bytes");
        }
        if (!scheme() || !label()) {
            return std::move(result_);
        }
        bool const ok = url_.protocol == RelayUrl::Protocol::Lmtp && rest().starts_with('/')
                            ? socket_path()
                            : host() && port();
        if (!ok) {
            return std::move(result_);
        }
        result_.url = std::move(url_);
        return std::move(result_);
    }

  private:
    [[nodiscard]] std::string_view rest() const { return text_.substr(at_); }

    RelayUrlParse fail(std::string why) {
        result_.error = std::move(why);
        result_.offset = at_;
        return result_;
    }
    bool failed(std::string why) {
        fail(std::move(why));
        return false;
    }

    bool scheme() {
        for (auto const& s : kSchemes) {
            if (starts_with_nocase(text_, s.prefix)) {
                url_.protocol = s.protocol;
                url_.port = s.port;
                at_ = s.prefix.size();
                return true;
            }
        }
        if (auto const sep = text_.find("://"); sep != std::string_view::npos) {
            return failed("unknown protocol " + quoted(text_.substr(0, sep)) +
                          ": expected smtp, smtp+tls, smtp+notls, smtps or lmtp");
        }
        url_.port = RelayUrl::kSmtpPort;
        return true;
    }

    bool label() {
        auto const at = rest().find('@');
        if (at == std::string_view::npos) {
            return true;
        }
        std::string_view const label = rest().substr(0, at);
        if (label.empty()) {
            return failed("empty label before \"@\"");
        }
        if (label.size() > kMaxLabel) {
            return failed("label longer than " + std::to_string(kMaxLabel) + " bytes");
        }
        for (std::size_t i = 0; i < label.size(); ++i) {
            auto const c = static_cast<unsigned char>(label[i]);
            if (c <= 0x20 || c >= 0x7f) {
                at_ += i;
                return failed("invalid " + shown(label[i]) + " in the label");
            }
        }
        // to.c: "disallow auth on non-tls scheme".
        if (url_.protocol != RelayUrl::Protocol::SmtpTls &&
            url_.protocol != RelayUrl::Protocol::Smtps) {
            return failed("a label (credentials) needs the smtp+tls:// or smtps:// protocol");
        }
        url_.label = label;
        at_ += at + 1;
        return true;
    }

    bool socket_path() {
        std::string_view const path = rest();
        if (path.size() > kMaxSocketPath) {
            return failed("unix socket path longer than " + std::to_string(kMaxSocketPath) +
                          " bytes");
        }
        if (auto const nul = path.find('\0'); nul != std::string_view::npos) {
            at_ += nul;
            return failed("NUL byte in the unix socket path");
        }
        url_.host_kind = RelayUrl::HostKind::UnixSocket;
        url_.host = path;
        url_.port = 0;
        at_ = text_.size();
        return true;
    }

    bool host() {
        if (rest().starts_with('[')) {
            return bracketed_host();
        }
        std::string_view const r = rest();
        auto const end = std::find_if_not(r.begin(), r.end(), is_host_byte);
        std::string_view const name = r.substr(0, static_cast<std::size_t>(end - r.begin()));
        if (name.empty()) {
            return failed(r.empty() ? "missing host" : "invalid " + shown(r.front()) + " in host");
        }
        if (is_ipv4_address(name)) {
            url_.host_kind = RelayUrl::HostKind::Ipv4;
        } else if (!is_domain_name(name)) {
            return failed("invalid host name " + quoted(name));
        }
        url_.host = name;
        at_ += name.size();
        return true;
    }

    bool bracketed_host() {
        auto const close = rest().find(']');
        if (close == std::string_view::npos) {
            return failed("missing \"]\" after the address literal");
        }
        std::string_view inside = rest().substr(1, close - 1);
        bool const tagged = starts_with_nocase(inside, "IPv6:");
        if (tagged) {
            inside.remove_prefix(5);
        }
        if (is_ipv6_address(inside)) {
            url_.host_kind = RelayUrl::HostKind::Ipv6;
        } else if (!tagged && is_ipv4_address(inside)) {
            url_.host_kind = RelayUrl::HostKind::Ipv4;
        } else {
            return failed(std::string("invalid ") + (tagged ? "IPv6" : "IP") + " address literal " +
                          quoted(rest().substr(0, close + 1)));
        }
        url_.host = inside;
        at_ += close + 1;
        return true;
    }

    bool port() {
        if (rest().empty()) {
            if (url_.port == 0) {
                return failed("lmtp:// needs a port (or a unix socket path)");
            }
            return true;
        }
        if (!rest().starts_with(':')) {
            return failed("unexpected " + shown(rest().front()) + " after the host");
        }
        ++at_;
        auto const port = parse_number(rest(), 1, UINT16_MAX);
        if (!port) {
            return failed("invalid port " + quoted(rest()) + ": expected 1 to 65535");
        }
        url_.port = static_cast<std::uint16_t>(*port);
        at_ = text_.size();
        return true;
    }

    std::string_view text_;
    std::size_t at_ = 0;
    RelayUrl url_;
    RelayUrlParse result_;
};

} // namespace

bool is_ipv4_address(std::string_view text) {
    return is_inet_address(AF_INET, text);
}

bool is_ipv6_address(std::string_view text) {
    return is_inet_address(AF_INET6, text);
}

// res_hnok(3): letters and digits at the borders of a label; '-' and '_' also inside one.
bool is_host_name(std::string_view name) {
    for (std::size_t i = 0; i < name.size(); ++i) {
        char const c = name[i];
        if (c == '.') {
            continue;
        }
        bool const border =
            i == 0 || name[i - 1] == '.' || i + 1 == name.size() || name[i + 1] == '.';
        if (!is_alnum(c) && (border || (c != '-' && c != '_'))) {
            return false;
        }
    }
    return !name.empty();
}

bool is_domain_name(std::string_view name) {
    if (!is_host_name(name) || name.size() > kMaxHostName) {
        return false;
    }
    std::size_t label = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] != '.') {
            if (++label > kMaxHostLabel) {
                return false;
            }
        } else if (label == 0 || i + 1 == name.size()) {
            return false; // an empty label, or a trailing dot
        } else {
            label = 0;
        }
    }
    return true;
}

RelayUrl::Tls RelayUrl::tls() const {
    return kSchemes.at(static_cast<std::size_t>(protocol)).tls;
}

std::string RelayUrl::to_string() const {
    std::string out(kSchemes.at(static_cast<std::size_t>(protocol)).prefix);
    if (!label.empty()) {
        out += label + "@";
    }
    switch (host_kind) {
    case HostKind::UnixSocket:
        return out + host;
    case HostKind::Ipv6:
        out += "[IPv6:" + host + "]";
        break;
    case HostKind::Name:
    case HostKind::Ipv4:
        out += host;
        break;
    }
    return out + ":" + std::to_string(port);
}

RelayUrlParse parse_relay_url(std::string_view text) {
    return UrlReader(text).run();
}

bool is_helo_name(std::string_view text) {
    if (is_domain_name(text)) {
        return true;
    }
    if (text.size() < 3 || text.front() != '[' || text.back() != ']') {
        return false;
    }
    auto const url = parse_relay_url(text);
    return url.url && url.url->host_kind != RelayUrl::HostKind::Name;
}

} // namespace smtpd::conf
