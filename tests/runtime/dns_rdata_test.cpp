// The wire-format decoding of MX, A and AAAA record data (runtime/dns/rdata): names with their
// bounds (label 63, name 255, no pointers, nothing after the root label), case folding, the null
// MX, and skipped malformed records.
#include "dns/dns_error.hpp"
#include "dns/rdata.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtpd::rt::dns {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes wire_name(std::string const& dotted) {
    Bytes out;
    std::size_t start = 0;
    while (start < dotted.size()) {
        auto end = dotted.find('.', start);
        if (end == std::string::npos) {
            end = dotted.size();
        }
        out.push_back(static_cast<std::uint8_t>(end - start));
        out.insert(out.end(), dotted.begin() + static_cast<long>(start),
                   dotted.begin() + static_cast<long>(end));
        start = end + 1;
    }
    out.push_back(0);
    return out;
}

Bytes mx(std::uint16_t preference, std::string const& exchange) {
    Bytes out{static_cast<std::uint8_t>(preference >> 8U), static_cast<std::uint8_t>(preference)};
    Bytes const name = wire_name(exchange);
    out.insert(out.end(), name.begin(), name.end());
    return out;
}

TEST(DnsRdata, DecodesMxPreferenceAndLowerCaseExchange) {
    auto const record = decode_mx(mx(0x0102, "MX1.Example.ORG"));
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->preference, 0x0102);
    EXPECT_EQ(record->exchange, "mx1.example.org");
}

TEST(DnsRdata, RootExchangeIsTheNullMx) {
    auto const record = decode_mx(Bytes{0, 0, 0});
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->exchange, "");
}

TEST(DnsRdata, RefusesMalformedNames) {
    EXPECT_FALSE(decode_mx(Bytes{0, 10}).has_value());               // no name
    EXPECT_FALSE(decode_mx(Bytes{0, 10, 3, 'a', 'b'}).has_value());  // label past the end
    EXPECT_FALSE(decode_mx(Bytes{0, 10, 1, 'a'}).has_value());       // no root label
    EXPECT_FALSE(decode_mx(Bytes{0, 10, 0xC0, 0x0C}).has_value());   // compression pointer
    EXPECT_FALSE(decode_mx(Bytes{0, 10, 1, 'a', 0, 7}).has_value()); // bytes after the name
    EXPECT_FALSE(decode_mx(Bytes{0, 10, 1, '.', 0}).has_value());    // a dot inside a label
    EXPECT_FALSE(decode_mx(Bytes{0, 10, 1, 0, 0}).has_value());      // NUL inside a label
    EXPECT_FALSE(decode_name(wire_name(std::string(64, 'a'))).has_value());
    EXPECT_TRUE(decode_name(wire_name(std::string(63, 'a'))).has_value());
}

TEST(DnsRdata, NameOf255OctetsIsTheLongest) {
    // 4 labels of 62 octets: 4 * 63 + 1 = 253 octets; one more label of 1 octet: 255.
    std::string const label(62, 'x');
    std::string const name = label + "." + label + "." + label + "." + label;
    EXPECT_EQ(wire_name(name).size(), 253U);
    EXPECT_TRUE(decode_name(wire_name(name)).has_value());
    EXPECT_EQ(wire_name(name + ".a").size(), 255U);
    EXPECT_TRUE(decode_name(wire_name(name + ".a")).has_value());
    EXPECT_FALSE(decode_name(wire_name(name + ".ab")).has_value());
}

TEST(DnsRdata, AnswerSkipsMalformedRecordsButNotAllOfThem) {
    Bytes const good = mx(10, "mx.example");
    Bytes const bad{0, 10, 5, 'x'};
    std::vector<Rdata> const mixed{Rdata(bad), Rdata(good)};
    auto const answer = decode_mx_answer(mixed);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer.value(), (std::vector<MxRecord>{{10, "mx.example"}}));
    std::vector<Rdata> const only_bad{Rdata(bad)};
    auto const broken = decode_mx_answer(only_bad);
    ASSERT_FALSE(broken.has_value());
    EXPECT_EQ(broken.error().code, make_error_code(DnsErrc::BadAnswer));
    EXPECT_FALSE(is_permanent(broken.error().code));
    auto const none = decode_mx_answer({});
    ASSERT_TRUE(none.has_value());
    EXPECT_TRUE(none.value().empty());
}

TEST(DnsRdata, DecodesAAndAaaa) {
    auto const v4 = decode_address(Bytes{192, 0, 2, 1});
    ASSERT_TRUE(v4.has_value());
    EXPECT_EQ(v4->to_string(), "192.0.2.1");
    Bytes v6(16, 0);
    v6[0] = 0x20;
    v6[1] = 0x01;
    v6[2] = 0x0d;
    v6[3] = 0xb8;
    v6[15] = 1;
    auto const six = decode_address(v6);
    ASSERT_TRUE(six.has_value());
    EXPECT_EQ(six->to_string(), "2001:db8::1");
    EXPECT_FALSE(decode_address(Bytes{1, 2, 3}).has_value());
    EXPECT_FALSE(decode_address(Bytes(17, 0)).has_value());
}

} // namespace
} // namespace smtpd::rt::dns
