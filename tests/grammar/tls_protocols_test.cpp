// parse_tls_protocols against the cases of libtls's own regression test (regress/lib/libtls/
// config/configtest.c of LibreSSL 3.8+), plus blanks, case and the empty set.
// Depends on: grammar/conf/tls_protocols.hpp, GoogleTest.
#include "conf/tls_protocols.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace smtpd::conf {
namespace {

struct Case {
    std::string_view text;
    std::optional<std::uint32_t> set;
};

TEST(TlsProtocols, ReadsListsAsLibtlsDoes) {
    constexpr std::uint32_t kV10 = kTlsV1_0;
    constexpr std::uint32_t kV11 = kTlsV1_1;
    constexpr std::uint32_t kV12 = kTlsV1_2;
    constexpr std::uint32_t kV13 = kTlsV1_3;
    Case const cases[] = {
        {"default", kV12 | kV13},
        {"secure", kV12 | kV13},
        {"all", kV12 | kV13},
        {"legacy", kV12 | kV13},
        {"tlsv1", kV10 | kV11 | kV12 | kV13},
        {"tlsv1.2", kV12},
        {"tlsv1.3", kV13},
        {"", std::nullopt},
        {"tlsv1.0:tlsv1.1:tlsv1.2:tlsv1.3", kV10 | kV11 | kV12 | kV13},
        {"tlsv1.0,tlsv1.1,tlsv1.2,tlsv1.3", kV10 | kV11 | kV12 | kV13},
        {"tlsv1.1,tlsv1.2,tlsv1.0", kV10 | kV11 | kV12},
        {"tlsv1.1,tlsv1.2,!tlsv1.1", kV12},
        {"unknown", std::nullopt},
        {"all,!unknown", std::nullopt},
        {"sslv3,tlsv1.0,tlsv1.1,tlsv1.2", std::nullopt},
        {"all,!tlsv1.0", kV12 | kV13},
        {"!tlsv1.0", kV12 | kV13},
        {"!tlsv1.0,!tlsv1.1,!tlsv1.3", kV12},
        {"!tlsv1.0,!tlsv1.1,tlsv1.2,!tlsv1.3", kV12},
        {"TLSv1.3", kV13},
        {"tlsv1.2, \ttlsv1.3", kV12 | kV13},
        {"!all", 0U},
        {"tlsv1.2,", std::nullopt},
        {"tlsv1.2 ", std::nullopt},
    };
    for (Case const& c : cases) {
        EXPECT_EQ(parse_tls_protocols(c.text), c.set) << '"' << c.text << '"';
    }
}

} // namespace
} // namespace smtpd::conf
