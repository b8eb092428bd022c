// Tests of the PROXY protocol v2 header parser (grammar/src/proxy_v2.cpp): headers as haproxy's
// send-proxy-v2 writes them (INET, INET6, LOCAL, with TLVs), every prefix "need more", and each
// refusal.
// Depends on: smtpd/grammar/proxy_v2.hpp, GoogleTest.
#include "smtpd/grammar/proxy_v2.hpp"

#include <gtest/gtest.h>

#include <string>

namespace smtpd::grammar {
namespace {

std::string const kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

std::string header(unsigned char version_command, unsigned char family_transport,
                   std::string const& body) {
    std::string out = kSignature;
    out += static_cast<char>(version_command);
    out += static_cast<char>(family_transport);
    out += static_cast<char>((body.size() >> 8U) & 0xFFU);
    out += static_cast<char>(body.size() & 0xFFU);
    return out + body;
}

// 192.0.2.7:40000 -> 127.0.0.1:2525
std::string const kInet4("\xC0\x00\x02\x07\x7F\x00\x00\x01\x9C\x40\x09\xDD", 12);

TEST(ProxyV2, Inet4ProxyGivesBothEndpointsAndItsLength) {
    std::string const bytes = header(0x21, 0x11, kInet4) + "EHLO x\r\n";
    auto const r = parse_proxy_v2(bytes);
    ASSERT_TRUE(std::holds_alternative<ProxyHeader>(r));
    auto const& h = std::get<ProxyHeader>(r);
    EXPECT_EQ(h.length, 28u);
    EXPECT_FALSE(h.local);
    ASSERT_TRUE(h.source.has_value());
    EXPECT_FALSE(h.source->ipv6);
    EXPECT_EQ(h.source->address[0], 192);
    EXPECT_EQ(h.source->address[3], 7);
    EXPECT_EQ(h.source->port, 40000);
    ASSERT_TRUE(h.destination.has_value());
    EXPECT_EQ(h.destination->address[0], 127);
    EXPECT_EQ(h.destination->port, 2525);
}

TEST(ProxyV2, Inet6AndTlvsAfterTheAddresses) {
    std::string body(36, '\0');
    body[0] = '\x20';
    body[1] = '\x01';
    body[15] = '\x09';
    body[31] = '\x01';
    body[32] = '\x01';
    body[33] = '\x00';
    std::string const tlv("\x04\x00\x02hi", 5);
    auto const r = parse_proxy_v2(header(0x21, 0x21, body + tlv));
    ASSERT_TRUE(std::holds_alternative<ProxyHeader>(r));
    auto const& h = std::get<ProxyHeader>(r);
    EXPECT_EQ(h.length, 16u + 36u + 5u);
    ASSERT_TRUE(h.source.has_value());
    EXPECT_TRUE(h.source->ipv6);
    EXPECT_EQ(h.source->address[0], 0x20);
    EXPECT_EQ(h.source->address[15], 0x09);
    EXPECT_EQ(h.source->port, 256);
}

TEST(ProxyV2, LocalAndUnspecCarryNoAddress) {
    auto const local = parse_proxy_v2(header(0x20, 0x00, ""));
    ASSERT_TRUE(std::holds_alternative<ProxyHeader>(local));
    EXPECT_TRUE(std::get<ProxyHeader>(local).local);
    EXPECT_FALSE(std::get<ProxyHeader>(local).source.has_value());
    auto const unspec = parse_proxy_v2(header(0x21, 0x00, ""));
    ASSERT_TRUE(std::holds_alternative<ProxyHeader>(unspec));
    EXPECT_FALSE(std::get<ProxyHeader>(unspec).source.has_value());
}

TEST(ProxyV2, EveryPrefixOfAHeaderNeedsMore) {
    std::string const bytes = header(0x21, 0x11, kInet4);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
        auto const r = parse_proxy_v2(std::string_view(bytes).substr(0, cut));
        ASSERT_TRUE(std::holds_alternative<ProxyNeedMore>(r)) << cut;
        EXPECT_GT(std::get<ProxyNeedMore>(r).at_least, cut);
    }
}

ProxyError error_of(std::string const& bytes) {
    auto const r = parse_proxy_v2(bytes);
    EXPECT_TRUE(std::holds_alternative<ProxyError>(r));
    return std::holds_alternative<ProxyError>(r) ? std::get<ProxyError>(r)
                                                 : ProxyError::BadSignature;
}

TEST(ProxyV2, RefusalsAtTheFirstOctetThatCannotFit) {
    EXPECT_EQ(error_of("EHLO client.example\r\n"), ProxyError::BadSignature);
    EXPECT_EQ(error_of("E"), ProxyError::BadSignature); // no waiting for 16 octets
    EXPECT_EQ(error_of("PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n"), ProxyError::BadSignature);
    EXPECT_EQ(error_of(header(0x11, 0x11, kInet4)), ProxyError::BadVersion);
    EXPECT_EQ(error_of(header(0x22, 0x11, kInet4)), ProxyError::BadCommand);
    EXPECT_EQ(error_of(header(0x21, 0x31, std::string(216, '\0'))), ProxyError::BadFamily);
    EXPECT_EQ(error_of(header(0x21, 0x12, kInet4)), ProxyError::BadFamily); // DGRAM
    EXPECT_EQ(error_of(header(0x21, 0x11, "\x01\x02\x03\x04")), ProxyError::ShortAddress);
    EXPECT_EQ(describe(ProxyError::BadSignature), "not a PROXY v2 header");
}

} // namespace
} // namespace smtpd::grammar
