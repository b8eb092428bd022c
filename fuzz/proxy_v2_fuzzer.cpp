// libFuzzer target for the PROXY protocol v2 header parser (grammar/src/proxy_v2.cpp).
// Properties: a complete header never claims more octets than it was given, nor fewer than 16;
// "need more" always asks for more than it was given; every prefix of a complete header is
// "need more" (never an error, never complete), so the result does not depend on how the proxy's
// bytes were split; and appending bytes after a complete header changes nothing.
// Depends on: smtpd/grammar/proxy_v2.hpp.
#include "smtpd/grammar/proxy_v2.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace smtpd::grammar;

bool same(ProxyHeader const& a, ProxyHeader const& b) {
    return a.length == b.length && a.local == b.local && a.source == b.source &&
           a.destination == b.destination;
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view const bytes(reinterpret_cast<char const*>(data), size);
    ProxyParse const result = parse_proxy_v2(bytes);
    if (auto const* more = std::get_if<ProxyNeedMore>(&result)) {
        if (more->at_least <= size) {
            std::abort();
        }
        return 0;
    }
    auto const* header = std::get_if<ProxyHeader>(&result);
    if (header == nullptr) {
        (void)describe(std::get<ProxyError>(result));
        return 0;
    }
    if (header->length > size || header->length < 16) {
        std::abort();
    }
    for (std::size_t cut = 0; cut < header->length; ++cut) {
        if (!std::holds_alternative<ProxyNeedMore>(parse_proxy_v2(bytes.substr(0, cut)))) {
            std::abort();
        }
    }
    std::string longer(bytes.substr(0, header->length));
    longer += "EHLO x\r\n";
    auto const again = parse_proxy_v2(longer);
    if (!std::holds_alternative<ProxyHeader>(again) ||
        !same(std::get<ProxyHeader>(again), *header)) {
        std::abort();
    }
    return 0;
}
