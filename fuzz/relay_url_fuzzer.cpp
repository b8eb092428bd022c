// libFuzzer target for parse_relay_url (grammar/conf/relay_url.hpp). Property: any bytes give a
// URL or an error (never both, never neither, an error in printable ASCII with its offset inside
// the text); a URL keeps the invariants (a port unless it is a unix socket, a label only over
// TLS) and its canonical form parses back to the same URL. abort() otherwise.
// Depends on: grammar/conf/relay_url.hpp.
#include "conf/relay_url.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using smtpd::conf::RelayUrl;

bool invariants_hold(RelayUrl const& url) {
    bool const socket = url.host_kind == RelayUrl::HostKind::UnixSocket;
    bool const tls = url.tls() == RelayUrl::Tls::Starttls || url.tls() == RelayUrl::Tls::Implicit;
    return !url.host.empty() && (socket == (url.port == 0)) &&
           (!socket || url.protocol == RelayUrl::Protocol::Lmtp) && (url.label.empty() || tls);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto const parsed = smtpd::conf::parse_relay_url(text);
    if (parsed.url.has_value() == !parsed.error.empty() || parsed.offset > text.size() ||
        !std::all_of(parsed.error.begin(), parsed.error.end(),
                     [](char c) { return c >= 0x20 && c < 0x7f; })) {
        std::abort();
    }
    if (!parsed.url) {
        return 0;
    }
    if (!invariants_hold(*parsed.url)) {
        std::abort();
    }
    auto const again = smtpd::conf::parse_relay_url(parsed.url->to_string());
    if (!again.url || !(*again.url == *parsed.url)) {
        std::abort();
    }
    return 0;
}
