// Tests of pki, ca, the listen options and smtp max-message-size (grammar/conf/conf_listen.cpp,
// conf_build.cpp): the accepted forms with their AST values, and every error with its exact
// file:line:column message.
// Depends on: grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtpd::conf {
namespace {

Config parse_ok(std::string_view text) {
    ConfResult r = parse_config(text, "smtpd.conf");
    for (auto const& e : r.errors) {
        ADD_FAILURE() << e.to_string();
    }
    return r.config.value_or(Config{});
}

std::vector<std::string> all_errors(std::string_view text) {
    std::vector<std::string> out;
    for (auto const& e : parse_config(text, "smtpd.conf").errors) {
        out.push_back(e.to_string());
    }
    return out;
}

// Two complete pkis, a ca and a credentials table, for the listen tests.
constexpr std::string_view kPrelude = "pki mx.example.org cert \"/etc/ssl/mx.crt\"\n"
                                      "pki mx.example.org key \"/etc/ssl/private/mx.key\"\n"
                                      "pki Other.Example.NET cert \"/o.crt\" key \"/o.key\"\n"
                                      "ca clients cert \"/etc/ssl/clients.pem\"\n"
                                      "table creds file:/etc/mail/creds\n";

Listen listen_ok(std::string_view line) {
    Config const c = parse_ok(std::string(kPrelude) + std::string(line) + "\n");
    if (c.listeners.size() != 1) {
        ADD_FAILURE() << "no listener for: " << line;
        return Listen{};
    }
    return c.listeners[0];
}

TEST(ConfPki, CertAndKeyOnSeparateLinesMakeOnePki) {
    Config const c = parse_ok(kPrelude);
    ASSERT_EQ(c.pkis.size(), 2u);
    EXPECT_EQ(c.pkis[0].name, "mx.example.org");
    EXPECT_EQ(c.pkis[0].cert_file, "/etc/ssl/mx.crt");
    EXPECT_EQ(c.pkis[0].key_file, "/etc/ssl/private/mx.key");
    EXPECT_EQ(c.pkis[0].where, (Location{"smtpd.conf", 1, 1}));
    EXPECT_EQ(c.pkis[1].name, "other.example.net"); // lowercased, as in OpenSMTPD
    EXPECT_EQ(c.pkis[1].cert_file, "/o.crt");
    EXPECT_EQ(c.pkis[1].key_file, "/o.key");
    ASSERT_EQ(c.cas.size(), 1u);
    EXPECT_EQ(c.cas[0].name, "clients");
    EXPECT_EQ(c.cas[0].cert_file, "/etc/ssl/clients.pem");
    EXPECT_EQ(c.find_pki("other.example.net"), &c.pkis[1]);
    EXPECT_EQ(c.find_pki("nope"), nullptr);
    EXPECT_EQ(c.find_ca("clients"), &c.cas[0]);
    EXPECT_EQ(c.find_ca("nope"), nullptr);
}

TEST(ConfPki, CatchAllNameAndKeyBeforeCert) {
    Config const c = parse_ok("pki \"*\" key \"/k\"\npki \"*\" cert \"/c\"\n");
    ASSERT_EQ(c.pkis.size(), 1u);
    EXPECT_EQ(c.pkis[0].name, "*");
    EXPECT_EQ(c.pkis[0].cert_file, "/c");
    EXPECT_EQ(c.pkis[0].key_file, "/k");
}

TEST(ConfListen, PlainListenerHasNoTlsNoAuthAndDefaultPort25) {
    Listen const l = listen_ok("listen on lo");
    EXPECT_EQ(l.tls, Listen::TlsMode::None);
    EXPECT_FALSE(l.verify);
    EXPECT_EQ(l.auth, Listen::AuthMode::None);
    EXPECT_FALSE(l.auth_table.has_value());
    EXPECT_TRUE(l.pkis.empty());
    EXPECT_FALSE(l.ca.has_value());
    EXPECT_FALSE(l.hostname.has_value());
    EXPECT_FALSE(l.no_dsn);
    EXPECT_FALSE(l.port.has_value());
    EXPECT_EQ(l.port_or_default(), 25);
}

// As in OpenSMTPD, which loads the pki tree once the whole file is read: a listener may name a
// pki whose key (or certificate) comes on a later line.
TEST(ConfPki, KeyDeclaredAfterTheListenerThatNamesIt) {
    Config const c =
        parse_ok("pki mail cert \"/c\"\nlisten on 127.0.0.1 tls pki mail\npki mail key \"/k\"\n");
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].pkis, std::vector<std::string>{"mail"});
    EXPECT_EQ(c.pkis[0].key_file, "/k");
}

TEST(ConfListen, StarttlsWithOnePki) {
    Listen const l = listen_ok("listen on lo tls pki mx.example.org");
    EXPECT_EQ(l.tls, Listen::TlsMode::Starttls);
    EXPECT_FALSE(l.verify);
    EXPECT_EQ(l.pkis, std::vector<std::string>{"mx.example.org"});
    EXPECT_EQ(l.port_or_default(), 25);
}

TEST(ConfListen, TlsRequireWithAndWithoutVerify) {
    EXPECT_EQ(listen_ok("listen on lo tls-require pki mx.example.org").tls,
              Listen::TlsMode::Required);
    EXPECT_FALSE(listen_ok("listen on lo tls-require pki mx.example.org").verify);
    Listen const l = listen_ok("listen on lo pki mx.example.org tls-require verify ca clients");
    EXPECT_EQ(l.tls, Listen::TlsMode::Required);
    EXPECT_TRUE(l.verify);
    EXPECT_EQ(l.ca, "clients");
}

TEST(ConfListen, SmtpsDefaultsToPort465AndKeepsAnExplicitPort) {
    Listen const l = listen_ok("listen on lo smtps pki mx.example.org");
    EXPECT_EQ(l.tls, Listen::TlsMode::Smtps);
    EXPECT_FALSE(l.port.has_value());
    EXPECT_EQ(l.port_or_default(), 465);
    Listen const v = listen_ok("listen on lo port 10465 smtps verify pki mx.example.org");
    EXPECT_TRUE(v.verify);
    EXPECT_EQ(v.port_or_default(), 10465);
}

TEST(ConfListen, SeveralPkisInOrderForSni) {
    Listen const l =
        listen_ok("listen on lo tls pki other.example.net pki MX.example.org hostname m1");
    EXPECT_EQ(l.pkis, (std::vector<std::string>{"other.example.net", "mx.example.org"}));
    EXPECT_EQ(l.hostname, "m1");
}

TEST(ConfListen, AuthModesWithAndWithoutTable) {
    Listen const a = listen_ok("listen on lo tls pki mx.example.org auth");
    EXPECT_EQ(a.auth, Listen::AuthMode::Required);
    EXPECT_FALSE(a.auth_table.has_value());
    Listen const t = listen_ok("listen on lo smtps pki mx.example.org auth <creds>");
    EXPECT_EQ(t.auth, Listen::AuthMode::Required);
    EXPECT_EQ(t.auth_table, "creds");
    Listen const o = listen_ok("listen on lo auth-optional tls pki mx.example.org");
    EXPECT_EQ(o.auth, Listen::AuthMode::Optional);
    EXPECT_FALSE(o.auth_table.has_value());
    Listen const ot = listen_ok("listen on lo tls pki mx.example.org auth-optional <creds>");
    EXPECT_EQ(ot.auth, Listen::AuthMode::Optional);
    EXPECT_EQ(ot.auth_table, "creds");
}

TEST(ConfListen, EveryOptionInAnyOrder) {
    Listen const l = listen_ok("listen on 0.0.0.0 no-dsn hostname \"mail.example.org\" auth "
                               "<creds> ca CLIENTS pki mx.example.org smtps verify port 4650 "
                               "pki other.example.net");
    EXPECT_EQ(l.address, "0.0.0.0");
    EXPECT_TRUE(l.no_dsn);
    EXPECT_EQ(l.hostname, "mail.example.org");
    EXPECT_EQ(l.auth, Listen::AuthMode::Required);
    EXPECT_EQ(l.auth_table, "creds");
    EXPECT_EQ(l.ca, "clients");
    EXPECT_EQ(l.tls, Listen::TlsMode::Smtps);
    EXPECT_TRUE(l.verify);
    EXPECT_EQ(l.port, 4650);
    EXPECT_EQ(l.pkis, (std::vector<std::string>{"mx.example.org", "other.example.net"}));
    EXPECT_EQ(l.where, (Location{"smtpd.conf", 6, 1}));
}

TEST(ConfListen, NoDsnAloneNeedsNoTls) {
    EXPECT_TRUE(listen_ok("listen on lo no-dsn").no_dsn);
    EXPECT_EQ(listen_ok("listen on lo hostname h").hostname, "h");
}

TEST(ConfSmtp, MaxMessageSizeDefaultsToUnsetAndAcceptsScaledSizes) {
    EXPECT_FALSE(parse_ok("").smtp_limits.max_message_size.has_value());
    EXPECT_EQ(SmtpLimits::kDefaultMaxMessageSize, 36700160u);
    EXPECT_EQ(parse_ok("smtp max-message-size 35M\n").smtp_limits.max_message_size, 36700160u);
    EXPECT_EQ(parse_ok("smtp max-message-size 1000\n").smtp_limits.max_message_size, 1000u);
    EXPECT_EQ(parse_ok("smtp max-message-size \"512k\"\n").smtp_limits.max_message_size, 524288u);
    EXPECT_EQ(parse_ok("smtp max-message-size 1G\n").smtp_limits.max_message_size, 1073741824u);
    EXPECT_EQ(parse_ok("smtp max-message-size 1.5M\n").smtp_limits.max_message_size, 1572864u);
}

TEST(ConfSmtp, MaxMessageSizeAndLimitsCombineAndTheLastSizeWins) {
    Config const c = parse_ok("smtp limit max-rcpt 10\nsmtp max-message-size 1M\n"
                              "smtp max-message-size 2M\n");
    EXPECT_EQ(c.smtp_limits.max_rcpt, 10u);
    EXPECT_EQ(c.smtp_limits.max_message_size, 2097152u);
}

struct ErrorCase {
    char const* id;
    std::string text;
    std::vector<std::string> errors;
};

// clang-format off
ErrorCase const kErrorCases[] = {
    {"PkiWithoutName", "pki\n", {"smtpd.conf:1:4: expected a pki name after \"pki\""}},
    {"PkiWithoutParam", "pki m1\n", {"smtpd.conf:1:7: expected \"cert\", \"key\" or \"dhe\" after \"m1\""}},
    {"PkiUnknownParam", "pki m1 dh auto\n", {"smtpd.conf:1:8: expected \"cert\", \"key\" or \"dhe\" after \"m1\""}},
    {"PkiBadDhe", "pki m1 cert \"/c\" key \"/k\" dhe sometimes\n", {"smtpd.conf:1:31: invalid dhe value \"sometimes\": expected \"none\", \"auto\" or \"legacy\""}},
    {"PkiDheWithoutValue", "pki m1 dhe\n", {"smtpd.conf:1:11: expected \"none\", \"auto\" or \"legacy\" after \"dhe\""}},
    {"PkiCertWithoutFile", "pki m1 cert\n", {"smtpd.conf:1:12: expected a file name after \"cert\""}},
    {"PkiGarbageAfterFile", "pki m1 cert \"/c\" \"/d\"\n", {"smtpd.conf:1:18: unexpected \"/d\" after \"/c\""}},
    {"PkiNamedLikeAKeyword", "pki mx cert \"/c\" key \"/k\"\n", {"smtpd.conf:1:5: expected a pki name after \"pki\""}},
    {"PkiNameNotAHost", "pki -m1 cert \"/c\" key \"/k\"\n", {"smtpd.conf:1:5: expected a pki name after \"pki\""}},
    {"PkiNameEmpty", "pki \"\" cert \"/c\" key \"/k\"\n", {"smtpd.conf:1:5: invalid pki name \"\": not a valid domain name"}},
    {"PkiNameWithSlash", "pki \"a/b\" cert \"/c\" key \"/k\"\n", {"smtpd.conf:1:5: invalid pki name \"a/b\": not a valid domain name"}},
    {"PkiNameEndsWithDash", "pki a- cert \"/c\" key \"/k\"\n", {"smtpd.conf:1:5: invalid pki name \"a-\": not a valid domain name"}},
    {"PkiCertTwice", "pki m1 cert \"/c\" key \"/k\"\npki M1 cert \"/d\"\n", {"smtpd.conf:2:8: \"cert\" already specified for pki \"m1\""}},
    {"PkiKeyTwiceOnOneLine", "pki m1 key \"/k\" key \"/l\" cert \"/c\"\n", {"smtpd.conf:1:17: \"key\" already specified for pki \"m1\""}},
    {"PkiEmptyFile", "pki m1 cert \"\" key \"/k\"\n", {"smtpd.conf:1:13: empty file name"}},
    {"PkiWithoutKey", "pki m1 cert \"/c\"\n", {"smtpd.conf:1:1: pki \"m1\" has no key file"}},
    {"PkiWithoutCert", "\npki m1 key \"/k\"\n", {"smtpd.conf:2:1: pki \"m1\" has no certificate file"}},
    {"CaWithoutCert", "ca c\n", {"smtpd.conf:1:5: expected \"cert\" after \"c\""}},
    {"CaKeyInsteadOfCert", "ca c key \"/k\"\n", {"smtpd.conf:1:6: expected \"cert\" after \"c\""}},
    {"CaWithoutFile", "ca c cert\n", {"smtpd.conf:1:10: expected a file name after \"cert\""}},
    {"CaTwice", "ca c cert \"/a\"\nca C cert \"/b\"\n", {"smtpd.conf:2:4: ca \"c\" is already defined at line 1"}},
    {"CaEmptyFile", "ca c cert ''\n", {"smtpd.conf:1:11: empty file name"}},
    {"CaNameNotAHost", "ca c..d. cert \"/a\"\nca _c cert \"/a\"\n", {"smtpd.conf:2:4: invalid ca name \"_c\": not a valid domain name"}},
    {"ListenBadIpv4", "listen on 127.0.0.300\n", {"smtpd.conf:1:11: invalid address \"127.0.0.300\": neither an IPv4 nor an IPv6 address"}},
    {"ListenBadIpv6", "listen on ::1::2\n", {"smtpd.conf:1:11: invalid address \"::1::2\": neither an IPv4 nor an IPv6 address"}},
    {"ListenUnknownPki", "listen on lo tls pki nope\n", {"smtpd.conf:1:22: undefined pki \"nope\" (a pki must be declared before the listeners that use it)"}},
    {"ListenPkiDeclaredLater", "listen on lo tls pki m1\npki m1 cert \"/c\" key \"/k\"\n", {"smtpd.conf:1:22: undefined pki \"m1\" (a pki must be declared before the listeners that use it)"}},
    {"ListenPkiWithoutKey", "pki m1 cert \"/c\"\nlisten on lo tls pki M1\n", {"smtpd.conf:1:1: pki \"m1\" has no key file"}},
    {"ListenPkiWithoutCert", "pki m1 key \"/k\"\nlisten on lo smtps pki m1\n", {"smtpd.conf:1:1: pki \"m1\" has no certificate file"}},
    {"ListenSamePkiTwice", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls pki m1 pki M1\n", {"smtpd.conf:2:29: pki \"m1\" already specified for this listener"}},
    {"ListenPkiWithoutName", "listen on lo tls pki\n", {"smtpd.conf:1:21: expected a pki name after \"pki\""}},
    {"ListenTlsWithoutPki", "listen on lo tls\n", {"smtpd.conf:1:14: \"tls\" requires a certificate: add \"pki <name>\" to this listener"}},
    {"ListenSmtpsWithoutPki", "listen on lo port 465 smtps verify\n", {"smtpd.conf:1:23: \"smtps\" requires a certificate: add \"pki <name>\" to this listener"}},
    {"ListenTlsRequireWithoutPki", "listen on lo tls-require\n", {"smtpd.conf:1:14: \"tls-require\" requires a certificate: add \"pki <name>\" to this listener"}},
    {"ListenTlsAndSmtps", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls pki m1 smtps\n", {"smtpd.conf:2:25: \"smtps\" conflicts with \"tls\": a listener has one TLS mode"}},
    {"ListenTlsRequireAndTls", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls-require verify tls pki m1\n", {"smtpd.conf:2:33: \"tls\" conflicts with \"tls-require\": a listener has one TLS mode"}},
    {"ListenTlsTwice", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls tls pki m1\n", {"smtpd.conf:2:18: \"tls\" already specified for this listener"}},
    {"ListenTlsVerify", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls verify pki m1\n", {"smtpd.conf:2:18: unexpected \"verify\" after \"tls\""}},
    {"ListenPkiWithoutTls", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo pki m1\n", {"smtpd.conf:2:14: \"pki\" requires \"tls\", \"tls-require\" or \"smtps\""}},
    {"ListenCaWithoutTls", "ca c cert \"/a\"\nlisten on lo ca c\n", {"smtpd.conf:2:14: \"ca\" requires \"tls\", \"tls-require\" or \"smtps\""}},
    {"ListenAuthWithoutTls", "listen on lo auth\n", {"smtpd.conf:1:14: \"auth\" requires \"tls\", \"tls-require\" or \"smtps\""}},
    {"ListenAuthOptionalWithoutTls", "listen on lo port 587 auth-optional\n", {"smtpd.conf:1:23: \"auth-optional\" requires \"tls\", \"tls-require\" or \"smtps\""}},
    {"ListenAuthAndAuthOptional", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls pki m1 auth auth-optional\n", {"smtpd.conf:2:30: \"auth-optional\" conflicts with \"auth\": a listener has one authentication mode"}},
    {"ListenAuthTwice", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls pki m1 auth-optional auth-optional\n", {"smtpd.conf:2:39: \"auth-optional\" already specified for this listener"}},
    {"ListenAuthUndefinedTable", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls pki m1 auth <nope>\n", {"smtpd.conf:2:31: undefined table \"nope\" (tables must be declared before use)"}},
    {"ListenAuthTableWithoutBrackets", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls pki m1 auth creds\n", {"smtpd.conf:2:30: unexpected \"creds\" after \"auth\""}},
    {"ListenAuthTableUnclosed", "table t { a }\nlisten on lo auth <t\n", {"smtpd.conf:2:21: expected \">\" after \"t\""}},
    {"ListenUndefinedCa", "pki m1 cert \"/c\" key \"/k\"\nlisten on lo tls-require verify pki m1 ca nope\n", {"smtpd.conf:2:43: undefined ca \"nope\" (a ca must be declared before the listeners that use it)"}},
    {"ListenCaTwice", "ca c cert \"/a\"\npki m1 cert \"/c\" key \"/k\"\nlisten on lo tls pki m1 ca c ca c\n", {"smtpd.conf:3:30: \"ca\" already specified for this listener"}},
    {"ListenHostnameMissing", "listen on lo hostname\n", {"smtpd.conf:1:22: expected a host name after \"hostname\""}},
    {"ListenHostnameEmpty", "listen on lo hostname \"\"\n", {"smtpd.conf:1:23: empty host name"}},
    {"ListenHostnameTwice", "listen on lo hostname a hostname b\n", {"smtpd.conf:1:25: \"hostname\" already specified for this listener"}},
    {"ListenNoDsnTwice", "listen on lo no-dsn no-dsn\n", {"smtpd.conf:1:21: \"no-dsn\" already specified for this listener"}},
    {"ListenUnknownOption", "listen on lo tagged\n", {"smtpd.conf:1:14: unexpected \"tagged\" after \"lo\""}},
    {"ListenSeveralErrorsInOneStatement", "listen on lo port 0 pki nope hostname \"\"\n", {
        "smtpd.conf:1:19: invalid port \"0\": expected a number between 1 and 65535",
        "smtpd.conf:1:25: undefined pki \"nope\" (a pki must be declared before the listeners that use it)",
        "smtpd.conf:1:39: empty host name"}},
    {"IncompletePkiReportedOnceAtItsDeclaration", "pki a cert \"/c\"\npki b key \"/k\"\nlisten on lo tls pki a\n", {
        "smtpd.conf:1:1: pki \"a\" has no key file",
        "smtpd.conf:2:1: pki \"b\" has no certificate file"}},
    {"SmtpMaxMessageSizeMissing", "smtp max-message-size\n", {"smtpd.conf:1:22: expected a size after \"max-message-size\""}},
    {"SmtpMaxMessageSizeGarbage", "smtp max-message-size 35Q\n", {"smtpd.conf:1:23: invalid max-message-size \"35Q\": expected a number of bytes, optionally followed by K, M or G"}},
    {"SmtpMaxMessageSizeUnitOnly", "smtp max-message-size M\n", {"smtpd.conf:1:23: invalid max-message-size \"M\": expected a number of bytes, optionally followed by K, M or G"}},
    {"SmtpMaxMessageSizeNegative", "smtp max-message-size -1M\n", {"smtpd.conf:1:23: expected a size after \"max-message-size\""}},
    {"SmtpMaxMessageSizeTrailing", "smtp max-message-size 35MB\n", {"smtpd.conf:1:23: invalid max-message-size \"35MB\": expected a number of bytes, optionally followed by K, M or G"}},
    {"SmtpMaxMessageSizeOverflow", "smtp max-message-size 9000000000E\n", {"smtpd.conf:1:23: invalid max-message-size \"9000000000E\": expected a number of bytes, optionally followed by K, M or G"}},
    {"SmtpMaxMessageSizeZero", "smtp max-message-size 0K\n", {"smtpd.conf:1:23: invalid max-message-size \"0K\": the size must be at least 1 byte"}},
    {"SmtpMaxMessageSizeTwoValues", "smtp max-message-size 1M 2M\n", {"smtpd.conf:1:26: unexpected \"2M\" after \"1M\""}},
};
// clang-format on

void PrintTo(ErrorCase const& c, std::ostream* os) {
    *os << c.id;
}

class ConfTlsErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfTlsErrors, EveryErrorHasExactPositionAndMessage) {
    EXPECT_FALSE(parse_config(GetParam().text, "smtpd.conf").ok());
    EXPECT_EQ(all_errors(GetParam().text), GetParam().errors);
}

INSTANTIATE_TEST_SUITE_P(Rows, ConfTlsErrors, ::testing::ValuesIn(kErrorCases),
                         [](auto const& info) { return std::string(info.param.id); });

TEST(ConfListen, AListenerWithAnErrorAddsNothingAndTheNextLineIsParsed) {
    ConfResult const r =
        parse_config("listen on lo tls\nlisten on lo port 2525\nrelay\n", "smtpd.conf");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(all_errors("listen on lo tls\nlisten on lo port 2525\nrelay\n"),
              (std::vector<std::string>{"smtpd.conf:1:14: \"tls\" requires a certificate: add "
                                        "\"pki <name>\" to this listener",
                                        "smtpd.conf:3:1: unknown directive \"relay\""}));
}

TEST(ConfPki, APkiStatementWithAnErrorAddsNothing) {
    // The second line's valid key is not kept: the pki still has no key.
    EXPECT_EQ(all_errors("pki m1 cert \"/c\"\npki m1 key \"\" cert \"/d\"\n"),
              (std::vector<std::string>{"smtpd.conf:2:12: empty file name",
                                        "smtpd.conf:2:15: \"cert\" already specified for pki "
                                        "\"m1\"",
                                        "smtpd.conf:1:1: pki \"m1\" has no key file"}));
}

TEST(ConfPki, NoCompletenessCheckAfterGivingUp) {
    std::string text = "pki m1 cert \"/c\"\n";
    for (int i = 0; i < 120; ++i) {
        text += "relay\n";
    }
    auto const errors = all_errors(text);
    ASSERT_EQ(errors.size(), 101u);
    EXPECT_EQ(errors.back(), "smtpd.conf:101:1: too many errors, giving up");
}

} // namespace
} // namespace smtpd::conf
