// Wire-format decoding of MX, A and AAAA record data (see rdata.hpp).
// Depends on: rdata.hpp, dns_error.hpp.
#include "dns/rdata.hpp"

#include "dns/dns_error.hpp"

#include <array>
#include <cstddef>

namespace smtpd::rt::dns {

namespace {

// RFC 1035 §2.3.4: a label is at most 63 octets, a name at most 255.
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxName = 255;

bool host_octet(std::uint8_t c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

char lower(std::uint8_t c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

} // namespace

std::optional<std::string> decode_name(Rdata wire) {
    if (wire.empty() || wire.size() > kMaxName) {
        return std::nullopt;
    }
    std::string name;
    std::size_t at = 0;
    while (true) {
        if (at >= wire.size()) {
            return std::nullopt; // no terminating root label
        }
        std::size_t const length = wire[at];
        ++at;
        if (length == 0) {
            break;
        }
        // A length above 63 is a compression pointer (0xC0) or reserved: not in uncompressed rdata.
        if (length > kMaxLabel || wire.size() - at < length) {
            return std::nullopt;
        }
        if (!name.empty()) {
            name += '.';
        }
        for (std::size_t i = 0; i < length; ++i) {
            if (!host_octet(wire[at + i])) {
                return std::nullopt;
            }
            name += lower(wire[at + i]);
        }
        at += length;
    }
    if (at != wire.size()) {
        return std::nullopt; // bytes after the name
    }
    return name;
}

std::optional<MxRecord> decode_mx(Rdata rdata) {
    if (rdata.size() < 3) {
        return std::nullopt;
    }
    auto exchange = decode_name(rdata.subspan(2));
    if (!exchange) {
        return std::nullopt;
    }
    auto const preference = static_cast<std::uint16_t>((rdata[0] << 8U) | rdata[1]);
    return MxRecord{preference, std::move(*exchange)};
}

Result<std::vector<MxRecord>> decode_mx_answer(std::span<Rdata const> rdatas) {
    std::vector<MxRecord> records;
    for (Rdata const rdata : rdatas) {
        if (auto record = decode_mx(rdata)) {
            records.push_back(std::move(*record));
        }
    }
    if (records.empty() && !rdatas.empty()) {
        return failure(DnsErrc::BadAnswer,
                       "none of the " + std::to_string(rdatas.size()) + " MX records decodes");
    }
    return records;
}

std::optional<boost::asio::ip::address> decode_address(Rdata rdata) {
    if (rdata.size() == 4) {
        std::array<unsigned char, 4> bytes{};
        std::copy(rdata.begin(), rdata.end(), bytes.begin());
        return boost::asio::ip::address_v4(bytes);
    }
    if (rdata.size() == 16) {
        std::array<unsigned char, 16> bytes{};
        std::copy(rdata.begin(), rdata.end(), bytes.begin());
        return boost::asio::ip::address_v6(bytes);
    }
    return std::nullopt;
}

} // namespace smtpd::rt::dns
