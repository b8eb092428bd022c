// Tests of the numbers of smtpd.conf (grammar/conf/numbers.hpp): counts, ports, and sizes read
// the way OpenBSD's scan_scaled(3) reads them.
// Depends on: grammar/conf/numbers.hpp, GoogleTest.
#include "conf/numbers.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

namespace smtpd::conf {
namespace {

TEST(ConfNumbers, NumberWithinBounds) {
    EXPECT_EQ(parse_number("7", 1, 10), 7u);
    EXPECT_EQ(parse_number("0", 1, 10), std::nullopt);
    EXPECT_EQ(parse_number("11", 1, 10), std::nullopt);
    EXPECT_EQ(parse_number("", 0, 10), std::nullopt);
    EXPECT_EQ(parse_number("+1", 0, 10), std::nullopt);
}

TEST(ConfNumbers, PortNumbersAndServiceNames) {
    EXPECT_EQ(parse_port("25"), 25);
    EXPECT_EQ(parse_port("65535"), 65535);
    EXPECT_EQ(parse_port("smtps"), 465);
    EXPECT_EQ(parse_port("submission"), 587);
    EXPECT_EQ(parse_port("65536"), std::nullopt);
    EXPECT_EQ(parse_port("imap"), std::nullopt);
}

TEST(ConfNumbers, SizeWithoutUnitIsBytes) {
    EXPECT_EQ(parse_size("0"), 0u);
    EXPECT_EQ(parse_size("36700160"), 36700160u);
    EXPECT_EQ(parse_size("9223372036854775807"), 9223372036854775807u);
    EXPECT_EQ(parse_size("9223372036854775808"), std::nullopt);
    EXPECT_EQ(parse_size("1.9"), 1u); // scan_scaled drops the fraction without a unit
}

TEST(ConfNumbers, SizeUnitsArePowersOf1024InEitherCase) {
    EXPECT_EQ(parse_size("10B"), 10u);
    EXPECT_EQ(parse_size("1k"), 1024u);
    EXPECT_EQ(parse_size("35M"), 35u * 1024 * 1024);
    EXPECT_EQ(parse_size("2g"), std::uint64_t{2} << 30);
    EXPECT_EQ(parse_size("1T"), std::uint64_t{1} << 40);
    EXPECT_EQ(parse_size("1p"), std::uint64_t{1} << 50);
    EXPECT_EQ(parse_size("7E"), std::uint64_t{7} << 60);
    EXPECT_EQ(parse_size("8E"), std::nullopt);
}

TEST(ConfNumbers, SizeFractionsAreScaledAndTruncated) {
    EXPECT_EQ(parse_size("1.5K"), 1536u);
    EXPECT_EQ(parse_size("0.5M"), 524288u);
    EXPECT_EQ(parse_size("0.001K"), 1u);  // 1.024 bytes
    EXPECT_EQ(parse_size("0.0001K"), 0u); // 0.1024 bytes
    // Fraction digits past the 18th are ignored, as scan_scaled ignores extra ones.
    EXPECT_EQ(parse_size("1.1234567890123456789012345E"), 1295257491548890608u);
    EXPECT_EQ(parse_size("7.99999999999999999999E"), 9223372036854775806u);
    EXPECT_EQ(parse_size("8.0E"), std::nullopt);
}

TEST(ConfNumbers, SizeRefusesWhatScanScaledWouldNotReadWhole) {
    for (char const* bad : {"", "M", ".5M", "5.M", "1..2", "-1", "+1", " 1", "1 ", "1MB", "1X",
                            "1.2.3", "0x10", "1e3"}) {
        EXPECT_EQ(parse_size(bad), std::nullopt) << bad;
    }
}

} // namespace
} // namespace smtpd::conf
