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
    ascii::Entry entry;
    std::string_view text;
    bool valid;
};

// clang-format off
constexpr Example kExamples[] = {
    // RFC 1870 §4: size-value ::= 1*20DIGIT
    {ascii::Entry::rfc1870_size_value, "0", true},
    {ascii::Entry::rfc1870_size_value, "12345678901234567890", true},
    {ascii::Entry::rfc1870_size_value, "123456789012345678901", false},
    {ascii::Entry::rfc1870_size_value, "", false},
    {ascii::Entry::rfc1870_size_value, "1e6", false},
    // RFC 6152 §2: BODY=7BIT / BODY=8BITMIME; RFC 3030 §3 adds BINARYMIME
    {ascii::Entry::rfc6152_body_value, "8BITMIME", true},
    {ascii::Entry::rfc6152_body_value, "7bit", true},
    {ascii::Entry::rfc6152_body_value, "BINARYMIME", false},
    {ascii::Entry::rfc3030_body_value, "BINARYMIME", true},
    // RFC 3461 §4.1: NOTIFY="NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )
    {ascii::Entry::rfc3461_notify_esmtp_value, "NEVER", true},
    {ascii::Entry::rfc3461_notify_esmtp_value, "SUCCESS,FAILURE", true},
    {ascii::Entry::rfc3461_notify_esmtp_value, "FAILURE,DELAY,SUCCESS", true},
    {ascii::Entry::rfc3461_notify_esmtp_value, "NEVER,SUCCESS", false},
    {ascii::Entry::rfc3461_notify_esmtp_value, "SUCCESS,", false},
    // RFC 3461 §4.3: RET=FULL / RET=HDRS
    {ascii::Entry::rfc3461_ret_value, "HDRS", true},
    {ascii::Entry::rfc3461_ret_value, "BODY", false},
    // RFC 3461 §4: xtext, "+" and two upper case hex digits for the excluded characters
    {ascii::Entry::rfc3461_xtext, "QQQ+2B+3DZZZ", true},
    {ascii::Entry::rfc3461_xtext, "", true},
    {ascii::Entry::rfc3461_xtext, "a+2b", false},
    {ascii::Entry::rfc3461_xtext, "a=b", false},
    {ascii::Entry::rfc3461_xtext, "a b", false},
    // RFC 3461 §4.2: ORCPT=rfc822;user@host
    {ascii::Entry::rfc3461_original_recipient_address, "rfc822;Bob@Example.COM", true},
    {ascii::Entry::rfc3461_original_recipient_address, "rfc822:bob", false},
    // RFC 4954 §5, §8: AUTH=<mailbox as xtext>, "<>"; its hexchar takes any HEXDIG
    {ascii::Entry::rfc4954_xtext, "e+3Dmc2@example.com", true},
    {ascii::Entry::rfc4954_xtext, "<>", true},
    {ascii::Entry::rfc4954_xtext, "a+2b", true},
    {ascii::Entry::rfc4954_xtext, "a=b", false},
    // RFC 4954 §4: initial-response = base64 / "="; "*" cancels
    {ascii::Entry::rfc4954_initial_response, "=", true},
    {ascii::Entry::rfc4954_initial_response, "AGZyZWQAdGVzdA==", true},
    {ascii::Entry::rfc4954_initial_response, "dGVzdA=", false},
    {ascii::Entry::rfc4954_initial_response, "abc", false},
    {ascii::Entry::rfc4954_cancel_response, "*", true},
    {ascii::Entry::rfc4954_cancel_response, "**", false},
    // RFC 3030 §2: BDAT chunk-size [ SP end-marker ] CRLF
    {ascii::Entry::rfc3030_bdat_cmd, "BDAT 1000 LAST\r\n", true},
    {ascii::Entry::rfc3030_bdat_cmd, "BDAT 0\r\n", true},
    {ascii::Entry::rfc3030_bdat_cmd, "bdat 86 last\r\n", true},
    {ascii::Entry::rfc3030_bdat_cmd, "BDAT\r\n", false},
    {ascii::Entry::rfc3030_bdat_cmd, "BDAT -1\r\n", false},
    {ascii::Entry::rfc3030_bdat_cmd, "BDAT 10 FIRST\r\n", false},
    // RFC 3463 §2: class "." subject "." detail, class 2 / 4 / 5, 1*3digit each
    {ascii::Entry::rfc3463_status_code, "2.1.5", true},
    {ascii::Entry::rfc3463_status_code, "4.999.999", true},
    {ascii::Entry::rfc3463_status_code, "3.1.1", false},
    {ascii::Entry::rfc3463_status_code, "5.1000.1", false},
    {ascii::Entry::rfc3463_status_code, "5.1", false},
    // RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param )
    {ascii::Entry::rfc5321_ehlo_line, "SIZE 10240000", true},
    {ascii::Entry::rfc5321_ehlo_line, "AUTH LOGIN PLAIN", true},
    {ascii::Entry::rfc5321_ehlo_line, "SIZE  1", false},
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
