// Examples from the RFC text for the extension rules of the ascii grammar (grammar/gen/ascii.spec),
// positive and negative, each checked against both the generated parser and the oracle: one row
// per rule and example, so a wrong transcription of the RFC shows here by name.
// Depends on: the generated ascii grammar, grammar/oracle/, GoogleTest.
#include "ascii/rules.hpp"
#include "oracle/oracle.hpp"
#include "oracle/spec.hpp"

#include <gtest/gtest.h>

#include <string_view>

namespace smtpd::grammar {
namespace {

namespace ascii = gen::ascii;

struct Example {
    std::string_view text;
    ascii::Entry entry;
    bool valid;
};

// clang-format off
constexpr Example kExamples[] = {
    // RFC 1870 §4: size-value ::= 1*20DIGIT
    {"0", ascii::Entry::rfc1870_size_value, true},
    {"12345678901234567890", ascii::Entry::rfc1870_size_value, true},
    {"123456789012345678901", ascii::Entry::rfc1870_size_value, false},
    {"", ascii::Entry::rfc1870_size_value, false},
    {"1e6", ascii::Entry::rfc1870_size_value, false},
    // RFC 6152 §2: BODY=7BIT / BODY=8BITMIME; RFC 3030 §3 adds BINARYMIME
    {"8BITMIME", ascii::Entry::rfc6152_body_value, true},
    {"7bit", ascii::Entry::rfc6152_body_value, true},
    {"BINARYMIME", ascii::Entry::rfc6152_body_value, false},
    {"BINARYMIME", ascii::Entry::rfc3030_body_value, true},
    // RFC 3461 §4.1: NOTIFY="NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )
    {"NEVER", ascii::Entry::rfc3461_notify_esmtp_value, true},
    {"SUCCESS,FAILURE", ascii::Entry::rfc3461_notify_esmtp_value, true},
    {"FAILURE,DELAY,SUCCESS", ascii::Entry::rfc3461_notify_esmtp_value, true},
    {"NEVER,SUCCESS", ascii::Entry::rfc3461_notify_esmtp_value, false},
    {"SUCCESS,", ascii::Entry::rfc3461_notify_esmtp_value, false},
    // RFC 3461 §4.3: RET=FULL / RET=HDRS
    {"HDRS", ascii::Entry::rfc3461_ret_value, true},
    {"BODY", ascii::Entry::rfc3461_ret_value, false},
    // RFC 3461 §4: xtext, "+" and two upper case hex digits for the excluded characters
    {"QQQ+2B+3DZZZ", ascii::Entry::rfc3461_xtext, true},
    {"", ascii::Entry::rfc3461_xtext, true},
    {"a+2b", ascii::Entry::rfc3461_xtext, false},
    {"a=b", ascii::Entry::rfc3461_xtext, false},
    {"a b", ascii::Entry::rfc3461_xtext, false},
    // RFC 3461 §4.2: ORCPT=rfc822;user@host
    {"rfc822;Bob@Example.COM", ascii::Entry::rfc3461_original_recipient_address, true},
    {"rfc822:bob", ascii::Entry::rfc3461_original_recipient_address, false},
    // RFC 4954 §5, §8: AUTH=<mailbox as xtext>, "<>"; its hexchar takes any HEXDIG
    {"e+3Dmc2@example.com", ascii::Entry::rfc4954_xtext, true},
    {"<>", ascii::Entry::rfc4954_xtext, true},
    {"a+2b", ascii::Entry::rfc4954_xtext, true},
    {"a=b", ascii::Entry::rfc4954_xtext, false},
    // RFC 4954 §4: initial-response = base64 / "="; "*" cancels
    {"=", ascii::Entry::rfc4954_initial_response, true},
    {"AGZyZWQAdGVzdA==", ascii::Entry::rfc4954_initial_response, true},
    {"dGVzdA=", ascii::Entry::rfc4954_initial_response, false},
    {"abc", ascii::Entry::rfc4954_initial_response, false},
    {"*", ascii::Entry::rfc4954_cancel_response, true},
    {"**", ascii::Entry::rfc4954_cancel_response, false},
    // RFC 4954 §4, §7 examples: the AUTH line (sasl-mech of RFC 4422 §3.1) and later lines
    {"AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n", ascii::Entry::rfc4954_auth_line, true},
    {"AUTH PLAIN\r\n", ascii::Entry::rfc4954_auth_line, true},
    {"AUTH DIGEST-MD5\r\n", ascii::Entry::rfc4954_auth_line, true},
    {"AUTH PLAIN =\r\n", ascii::Entry::rfc4954_auth_line, true},
    {"AUTH plain\r\n", ascii::Entry::rfc4954_auth_line, false},
    {"AUTH ABCDEFGHIJKLMNOPQRSTU\r\n", ascii::Entry::rfc4954_auth_line, false},
    {"AUTH PLAIN dGVzdA\r\n", ascii::Entry::rfc4954_auth_line, false},
    {"dGVzdAB0ZXN0ADEyMzQ=\r\n", ascii::Entry::rfc4954_auth_response_line, true},
    {"\r\n", ascii::Entry::rfc4954_auth_response_line, true},
    {"*\r\n", ascii::Entry::rfc4954_auth_response_line, true},
    {"* \r\n", ascii::Entry::rfc4954_auth_response_line, false},
    // RFC 3207 §4: "STARTTLS" with no parameters
    {"STARTTLS\r\n", ascii::Entry::rfc3207_starttls, true},
    {"StartTLS\r\n", ascii::Entry::rfc3207_starttls, true},
    {"STARTTLS \r\n", ascii::Entry::rfc3207_starttls, false},
    // RFC 3030 §2: BDAT chunk-size [ SP end-marker ] CRLF
    {"BDAT 1000 LAST\r\n", ascii::Entry::rfc3030_bdat_cmd, true},
    {"BDAT 0\r\n", ascii::Entry::rfc3030_bdat_cmd, true},
    {"bdat 86 last\r\n", ascii::Entry::rfc3030_bdat_cmd, true},
    {"BDAT\r\n", ascii::Entry::rfc3030_bdat_cmd, false},
    {"BDAT -1\r\n", ascii::Entry::rfc3030_bdat_cmd, false},
    {"BDAT 10 FIRST\r\n", ascii::Entry::rfc3030_bdat_cmd, false},
    // RFC 3463 §2: class "." subject "." detail, class 2 / 4 / 5, 1*3digit each
    {"2.1.5", ascii::Entry::rfc3463_status_code, true},
    {"4.999.999", ascii::Entry::rfc3463_status_code, true},
    {"3.1.1", ascii::Entry::rfc3463_status_code, false},
    {"5.1000.1", ascii::Entry::rfc3463_status_code, false},
    {"5.1", ascii::Entry::rfc3463_status_code, false},
    // RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param )
    {"SIZE 10240000", ascii::Entry::rfc5321_ehlo_line, true},
    {"AUTH LOGIN PLAIN", ascii::Entry::rfc5321_ehlo_line, true},
    {"SIZE  1", ascii::Entry::rfc5321_ehlo_line, false},
};
// clang-format on

oracle::Oracle& the_oracle() {
    static abnf::Grammar const grammar =
        oracle::load_spec(SMTPD_SOURCE_DIR "/grammar/gen/ascii.spec",
                          SMTPD_SOURCE_DIR "/grammar/abnf")
            .grammar.value_or(abnf::Grammar{});
    static oracle::Oracle o(grammar);
    return o;
}

class RfcExamples : public ::testing::TestWithParam<Example> {};

TEST_P(RfcExamples, GeneratedParserAndOracleAgreeWithTheRfc) {
    Example const& e = GetParam();
    std::vector<abnf_x3::Capture> captures;
    EXPECT_EQ(ascii::parse(e.entry, e.text, captures), e.valid)
        << ascii::entry_rule(e.entry) << ": \"" << e.text << "\"";
    EXPECT_EQ(the_oracle().matches(abnf::Key(ascii::entry_rule(e.entry)), e.text), e.valid)
        << ascii::entry_rule(e.entry) << ": \"" << e.text << "\"";
}

INSTANTIATE_TEST_SUITE_P(Extensions, RfcExamples, ::testing::ValuesIn(kExamples),
                         [](::testing::TestParamInfo<Example> const& info) {
                             std::string name(ascii::entry_rule(info.param.entry));
                             for (char& c : name) {
                                 c = (c == ':' || c == '-') ? '_' : c;
                             }
                             return name + "_" + std::to_string(info.index) +
                                    (info.param.valid ? "_valid" : "_invalid");
                         });

} // namespace
} // namespace smtpd::grammar
