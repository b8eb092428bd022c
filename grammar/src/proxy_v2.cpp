// parse_proxy_v2 (see proxy_v2.hpp), after haproxy's doc/proxy-protocol.txt §2.2: the fixed
// 16-octet part, then the address block of the family (INET 12 octets, INET6 36), then TLVs up
// to the length, skipped unread.
// Depends on: proxy_v2.hpp.
#include "smtpd/grammar/proxy_v2.hpp"

#include <algorithm>

namespace smtpd::grammar {

namespace {

constexpr std::array<std::uint8_t, 12> kSignature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                     0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::size_t kFixed = 16;
constexpr std::size_t kInetBlock = 12;
constexpr std::size_t kInet6Block = 36;

std::uint8_t octet(std::string_view bytes, std::size_t i) {
    return static_cast<std::uint8_t>(bytes[i]);
}

std::uint16_t be16(std::string_view bytes, std::size_t i) {
    return static_cast<std::uint16_t>((octet(bytes, i) << 8U) | octet(bytes, i + 1));
}

/// The two endpoints of an address block: addresses of `size` octets, then the two ports.
std::pair<ProxyEndpoint, ProxyEndpoint> endpoints(std::string_view block, std::size_t size) {
    ProxyEndpoint src;
    ProxyEndpoint dst;
    src.ipv6 = dst.ipv6 = size == 16;
    for (std::size_t i = 0; i < size; ++i) {
        src.address[i] = octet(block, i);
        dst.address[i] = octet(block, size + i);
    }
    src.port = be16(block, 2 * size);
    dst.port = be16(block, 2 * size + 2);
    return {src, dst};
}

} // namespace

ProxyParse parse_proxy_v2(std::string_view bytes) {
    std::size_t const have = std::min(bytes.size(), kSignature.size());
    for (std::size_t i = 0; i < have; ++i) {
        if (octet(bytes, i) != kSignature[i]) {
            return ProxyError::BadSignature;
        }
    }
    if (bytes.size() < kFixed) {
        return ProxyNeedMore{kFixed};
    }
    std::uint8_t const version_command = octet(bytes, 12);
    if ((version_command >> 4U) != 2) {
        return ProxyError::BadVersion;
    }
    std::uint8_t const command = version_command & 0x0FU;
    if (command > 1) {
        return ProxyError::BadCommand;
    }
    std::uint8_t const family = octet(bytes, 13) >> 4U;
    std::uint8_t const transport = octet(bytes, 13) & 0x0FU;
    std::size_t const length = be16(bytes, 14);
    ProxyHeader header;
    header.length = kFixed + length;
    header.local = command == 0;
    std::size_t block = 0;
    if (family == 1 || family == 2) {
        if (transport != 1 && !header.local) {
            return ProxyError::BadFamily;
        }
        block = family == 1 ? kInetBlock : kInet6Block;
    } else if (family != 0 || (transport != 0 && !header.local)) {
        return ProxyError::BadFamily; // AF_UNIX, or unknown: no address to use for a TCP client
    }
    if (length < block) {
        return ProxyError::ShortAddress;
    }
    if (bytes.size() < header.length) {
        return ProxyNeedMore{header.length};
    }
    if (!header.local && block != 0) {
        auto const [src, dst] =
            endpoints(bytes.substr(kFixed, block), block == kInetBlock ? 4 : 16);
        header.source = src;
        header.destination = dst;
    }
    return header;
}

std::string_view describe(ProxyError error) {
    switch (error) {
    case ProxyError::BadSignature:
        return "not a PROXY v2 header";
    case ProxyError::BadVersion:
        return "PROXY header of a version other than 2";
    case ProxyError::BadCommand:
        return "PROXY v2 header with an unknown command";
    case ProxyError::BadFamily:
        return "PROXY v2 header with an unsupported address family or transport";
    case ProxyError::ShortAddress:
        return "PROXY v2 header too short for its addresses";
    }
    return "bad PROXY v2 header";
}

} // namespace smtpd::grammar
