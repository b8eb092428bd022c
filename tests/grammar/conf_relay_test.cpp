// Tests of the relay side of smtpd.conf: `action ... relay` and each of its options, the
// exclusions of OpenSMTPD's parse.y, mta max-deferred, mta limit, srs key/ttl, OpenSMTPD's
// default configuration, and a relay action as the target of every match form; every error
// with its exact file:line:column.
// Depends on: grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace smtpd::conf {
namespace {

constexpr char const* kPrelude =
    "table creds { bob = \"bob:secret\" }\n"
    "table helos { \"192.0.2.1\" = mx.example.org }\n"
    "table srcs { \"192.0.2.1\", \"2001:db8::1\" }\n"
    "table relays { \"example.com\" = \"smtp+tls://mx.example.com\" }\n"
    "table hosts { \"smtp://a.example\", \"smtp://b.example\" }\n"
    "pki mx.example.org cert \"/etc/c.pem\" key \"/etc/k.pem\"\n"
    "ca roots cert \"/etc/roots.pem\"\n"
    "srs key \"s3cret\"\n";

Config config_ok(std::string const& text) {
    ConfResult r = parse_config(text, "smtpd.conf");
    for (auto const& e : r.errors) {
        ADD_FAILURE() << e.to_string();
    }
    return r.config.value_or(Config{});
}

Relay relay_ok(std::string const& line) {
    Config const c = config_ok(std::string(kPrelude) + line + "\n");
    if (c.actions.size() != 1 || c.actions[0].method != Action::Method::Relay) {
        ADD_FAILURE() << "no relay action from: " << line;
        return {};
    }
    return c.actions[0].relay;
}

std::string first_error(std::string const& text) {
    ConfResult r = parse_config(text, "smtpd.conf");
    EXPECT_FALSE(r.ok()) << text;
    return r.errors.empty() ? std::string() : r.errors[0].to_string();
}

TEST(ConfRelay, OpenSmtpdsDefaultConfigurationParses) {
    Config const c = config_ok("table aliases file:/etc/mail/aliases\n"
                               "listen on localhost\n"
                               "action \"local\" mbox alias <aliases>\n"
                               "action \"relay\" relay\n"
                               "match from local for local action \"local\"\n"
                               "match from local for any action \"relay\"\n");
    ASSERT_EQ(c.actions.size(), 2u);
    EXPECT_EQ(c.actions[1].name, "relay");
    EXPECT_EQ(c.actions[1].method, Action::Method::Relay);
    Relay const& r = c.actions[1].relay;
    EXPECT_FALSE(r.host || r.host_table || r.domain_table || r.auth_table || r.backup ||
                 r.tls_required || r.srs);
    ASSERT_EQ(c.matches.size(), 2u);
    EXPECT_EQ(c.matches[1].for_.kind, MatchFor::Kind::Any);
    EXPECT_EQ(c.matches[1].action, "relay");
}

TEST(ConfRelay, EveryOptionIsCarriedTyped) {
    Relay const r = relay_ok("action out relay host smtp+tls://bob@smtp.example.com:587 "
                             "auth <creds> tls no-verify pki MX.example.org ca ROOTS \\\n"
                             "  protocols \"tlsv1.2:!tlsv1.0\" ciphers \"HIGH:!aNULL\" helo "
                             "mx.example.org helo-src <helos> src <srcs> \\\n"
                             "  mail-from \"bounces@example.org\" srs");
    ASSERT_TRUE(r.host.has_value());
    EXPECT_EQ(r.host->protocol, RelayUrl::Protocol::SmtpTls);
    EXPECT_EQ(r.host->label, "bob");
    EXPECT_EQ(r.host->host, "smtp.example.com");
    EXPECT_EQ(r.host->port, 587);
    EXPECT_EQ(r.auth_table, "creds");
    EXPECT_TRUE(r.tls_required);
    EXPECT_FALSE(r.tls_verify);
    EXPECT_EQ(r.pki, "mx.example.org");
    EXPECT_EQ(r.ca, "roots");
    EXPECT_EQ(r.protocols, "tlsv1.2:!tlsv1.0");
    EXPECT_EQ(r.ciphers, "HIGH:!aNULL");
    EXPECT_EQ(r.helo, "mx.example.org");
    EXPECT_EQ(r.helo_src_table, "helos");
    EXPECT_EQ(r.src, (TableOrValue{"srcs", true}));
    EXPECT_EQ(r.mail_from, "bounces@example.org");
    EXPECT_TRUE(r.srs);
    EXPECT_FALSE(r.backup);
}

TEST(ConfRelay, TlsVerifiesUnlessNoVerify) {
    Relay const r = relay_ok("action out relay tls");
    EXPECT_TRUE(r.tls_required);
    EXPECT_TRUE(r.tls_verify);
}

TEST(ConfRelay, BackupWithAndWithoutMx) {
    Relay const a = relay_ok("action b relay backup");
    EXPECT_TRUE(a.backup);
    EXPECT_FALSE(a.backup_mx.has_value());
    Relay const b = relay_ok("action b relay backup mx mx2.example.org helo mx2.example.org");
    EXPECT_TRUE(b.backup);
    EXPECT_EQ(b.backup_mx, "mx2.example.org");
}

TEST(ConfRelay, DomainHostTableAndSourceAddress) {
    Relay const d = relay_ok("action d relay domain <relays> auth <creds>");
    EXPECT_EQ(d.domain_table, "relays");
    EXPECT_EQ(d.auth_table, "creds");
    Relay const h = relay_ok("action h relay host <hosts> src \"2001:db8::1\"");
    EXPECT_EQ(h.host_table, "hosts");
    EXPECT_EQ(h.src, (TableOrValue{"2001:db8::1", false}));
    EXPECT_EQ(relay_ok("action s relay src 192.0.2.1 helo \"[192.0.2.1]\"").helo, "[192.0.2.1]");
}

TEST(ConfRelay, LmtpAndSocketSmarthosts) {
    Relay const a = relay_ok("action l relay host lmtp://127.0.0.1:24");
    EXPECT_EQ(a.host->protocol, RelayUrl::Protocol::Lmtp);
    EXPECT_EQ(a.host->port, 24);
    Relay const b = relay_ok("action l relay host \"lmtp:///run/dovecot/lmtp\"");
    EXPECT_EQ(b.host->host_kind, RelayUrl::HostKind::UnixSocket);
    EXPECT_EQ(b.host->host, "/run/dovecot/lmtp");
}

TEST(ConfRelay, TtlOnEveryKindOfAction) {
    Config const c = config_ok("action r relay ttl 2d\naction m maildir junk ttl 90m\n");
    ASSERT_EQ(c.actions.size(), 2u);
    EXPECT_EQ(c.actions[0].ttl, std::chrono::hours(48));
    EXPECT_EQ(c.actions[1].ttl, std::chrono::minutes(90));
    EXPECT_FALSE(config_ok("action m mbox\n").actions.at(0).ttl.has_value());
}

TEST(ConfRelay, ARelayActionIsTheTargetOfEveryMatchForm) {
    Config const c = config_ok("table doms { example.org, example.net }\n"
                               "action r relay\n"
                               "match from local for local action r\n"
                               "match from local for any action r\n"
                               "match from any for domain example.com action r\n"
                               "match from any for domain <doms> action r\n"
                               "match for any action r\n"
                               "match from any action r\n");
    ASSERT_EQ(c.matches.size(), 6u);
    for (auto const& m : c.matches) {
        EXPECT_EQ(m.action, "r");
    }
    EXPECT_EQ(c.matches[2].for_.domain, "example.com");
    EXPECT_EQ(c.matches[3].for_.domain_table, "doms");
    EXPECT_EQ(c.matches[4].from.kind, MatchFrom::Kind::Local);
    EXPECT_EQ(c.matches[5].for_.kind, MatchFor::Kind::Local);
}

TEST(ConfMta, DefaultsAreOpenSmtpds) {
    Config const c = config_ok("");
    EXPECT_EQ(c.mta.max_deferred, 100u);
    EXPECT_EQ(c.mta.limits[MtaLimit::MaxConnPerHost], 10);
    EXPECT_EQ(c.mta.limits[MtaLimit::MaxConnPerDomain], 100);
    EXPECT_EQ(c.mta.limits[MtaLimit::SessionMailMax], 100);
    EXPECT_EQ(c.mta.limits[MtaLimit::SessionTransactionDelay], 0);
    EXPECT_EQ(c.mta.limits[MtaLimit::TaskRelease], 10);
    EXPECT_EQ(c.mta.limits.family, MtaLimits::Family::Any);
    EXPECT_TRUE(c.mta.domain_limits.empty());
    EXPECT_FALSE(c.srs.key.has_value());
    EXPECT_EQ(c.srs.ttl, std::chrono::days(4));
}

TEST(ConfMta, LimitsPerDomainStartFromTheDefaultsOfTheirTime) {
    Config const c = config_ok("mta max-deferred 0\n"
                               "mta limit max-conn-per-host 3 session-mail-max 50 inet6\n"
                               "mta limit for domain Example.ORG session-transaction-delay 2\n"
                               "mta limit max-conn-per-domain 7\n"
                               "mta limit for domain example.org inet4 max-conn-per-domain 1\n"
                               "mta limit\n");
    EXPECT_EQ(c.mta.max_deferred, 0u);
    EXPECT_EQ(c.mta.limits[MtaLimit::MaxConnPerHost], 3);
    EXPECT_EQ(c.mta.limits[MtaLimit::MaxConnPerDomain], 7);
    EXPECT_EQ(c.mta.limits.family, MtaLimits::Family::Inet6);
    ASSERT_EQ(c.mta.domain_limits.count("example.org"), 1u);
    MtaLimits const& d = c.mta.domain_limits.at("example.org");
    EXPECT_EQ(d[MtaLimit::MaxConnPerHost], 3);
    EXPECT_EQ(d[MtaLimit::SessionMailMax], 50);
    EXPECT_EQ(d[MtaLimit::SessionTransactionDelay], 2);
    EXPECT_EQ(d[MtaLimit::MaxConnPerDomain], 1);
    EXPECT_EQ(d.family, MtaLimits::Family::Inet4);
}

TEST(ConfMta, EveryLimitKeywordIsAccepted) {
    for (std::size_t i = 0; i < kMtaLimitCount; ++i) {
        Config const c = config_ok("mta limit " + std::string(kMtaLimitNames.at(i)) + " 12345\n");
        EXPECT_EQ(c.mta.limits.values.at(i), 12345) << kMtaLimitNames.at(i);
    }
}

TEST(ConfSrs, KeysAndTtl) {
    Config const c = config_ok("srs key old\nsrs key \"new secret\"\nsrs key backup old\n"
                               "srs ttl 36h\n");
    EXPECT_EQ(c.srs.key, "new secret");
    EXPECT_EQ(c.srs.backup_key, "old");
    EXPECT_EQ(c.srs.ttl, std::chrono::days(1));
}

// clang-format off
struct ErrorCase {
    char const* id;
    std::string text;
    std::string first_error;
};
ErrorCase const kErrorCases[] = {
    {"HostTwice", "action r relay host a.example host b.example\n", R"(smtpd.conf:1:31: "host" already specified for this action)"},
    {"HostAndDomain", "table d { a = b }\naction r relay host mx.example domain <d>\n", R"(smtpd.conf:2:32: "host" and "domain" cannot be used together)"},
    {"DomainAndHost", "table d { a = b }\naction r relay domain <d> host mx.example\n", R"(smtpd.conf:2:27: "host" and "domain" cannot be used together)"},
    {"BackupThenHost", "action r relay backup host mx.example\n", R"(smtpd.conf:1:23: "backup" and "host" cannot be used together)"},
    {"HostThenBackup", "action r relay host mx.example backup\n", R"(smtpd.conf:1:32: "backup" and "host" cannot be used together)"},
    {"DomainThenBackup", "table d { a = b }\naction r relay domain <d> backup mx x.example\n", R"(smtpd.conf:2:27: "backup" and "domain" cannot be used together)"},
    {"BackupThenDomain", "table d { a = b }\naction r relay backup domain <d>\n", R"(smtpd.conf:2:23: "backup" and "domain" cannot be used together)"},
    {"BackupTwice", "action r relay backup backup\n", R"(smtpd.conf:1:23: "backup" already specified for this action)"},
    {"BackupMxWithoutName", "action r relay backup mx\n", R"(smtpd.conf:1:25: expected an MX name after "mx")"},
    {"BackupMxBadName", "action r relay backup mx \"a b\"\n", R"(smtpd.conf:1:26: invalid backup mx name "a b": not a valid host name)"},
    {"AuthBeforeHost", "table c { a = b }\naction r relay auth <c> host \"smtps://a@mx.example\"\n", R"(smtpd.conf:2:16: "auth" may only follow "host" or "domain")"},
    {"AuthWithoutHost", "table c { a = b }\naction r relay auth <c>\n", R"(smtpd.conf:2:16: "auth" may only follow "host" or "domain")"},
    {"AuthListTable", "table c { a, b }\naction r relay host mx.example auth <c>\n", R"(smtpd.conf:2:38: table "c" may not be used for auth lookups: it is a list, not a mapping)"},
    {"AuthLiteral", "action r relay host mx.example auth creds\n", R"(smtpd.conf:1:37: "auth" needs a table, written "<name>")"},
    {"AuthUndefined", "action r relay host mx.example auth <nope>\n", R"(smtpd.conf:1:38: undefined table "nope" (tables must be declared before use))"},
    {"HostMappingTable", "table h { a = b }\naction r relay host <h>\n", R"(smtpd.conf:2:22: table "h" may not be used for host lookups: it is a mapping, not a list)"},
    {"HostUndefinedTable", "action r relay host <h>\n", R"(smtpd.conf:1:22: undefined table "h" (tables must be declared before use))"},
    {"HostMissing", "action r relay host\n", R"(smtpd.conf:1:20: expected a value or a table reference "<name>" after "host")"},
    {"HostBadPort", "action r relay host smtp://mx:0\n", R"(smtpd.conf:1:21: invalid relay URL "smtp://mx:0": invalid port "0": expected 1 to 65535)"},
    {"HostUnknownScheme", "action r relay host \"http://mx\"\n", R"(smtpd.conf:1:21: invalid relay URL "http://mx": unknown protocol "http": expected smtp, smtp+tls, smtp+notls, smtps or lmtp)"},
    {"HostLmtpWithoutPort", "action r relay host lmtp://mx\n", R"(smtpd.conf:1:21: invalid relay URL "lmtp://mx": lmtp:// needs a port (or a unix socket path))"},
    {"LabelWithoutAuth", "action r relay \\\n  host smtps://bob@mx.example\n", R"(smtpd.conf:2:8: the relay URL names the label "bob" but the action has no "auth <table>")"},
    {"TlsWithNoTlsUrl", "action r relay host smtp+notls://mx tls\n", R"(smtpd.conf:1:37: "tls" cannot be used with a relay URL without TLS)"},
    {"NoTlsUrlAfterTls", "action r relay tls no-verify host lmtp://mx:24\n", R"(smtpd.conf:1:35: "tls" cannot be used with a relay URL without TLS)"},
    {"TlsTwice", "action r relay tls tls no-verify\n", R"(smtpd.conf:1:20: "tls" already specified for this action)"},
    {"TlsBadFlag", "action r relay tls verify\n", R"(smtpd.conf:1:20: unexpected "verify" after "tls")"},
    {"HeloSrcLiteral", "action r relay helo-src mx.example\n", R"(smtpd.conf:1:25: "helo-src" needs a table, written "<name>")"},
    {"HeloSrcList", "table h { a, b }\naction r relay helo-src <h>\n", R"(smtpd.conf:2:26: table "h" may not be used for helo-src lookups: it is a list, not a mapping)"},
    {"DomainLiteral", "action r relay domain example.org\n", R"(smtpd.conf:1:23: "domain" needs a table, written "<name>")"},
    {"BadHelo", "action r relay helo \"a b\"\n", R"(smtpd.conf:1:21: invalid helo name "a b": expected a host name or an address literal)"},
    {"HeloTwice", "action r relay helo a helo b\n", R"(smtpd.conf:1:23: "helo" already specified for this action)"},
    {"BadSrc", "action r relay src 300.1.1.1\n", R"(smtpd.conf:1:20: invalid source address "300.1.1.1": expected an IPv4 or IPv6 address or "<table>")"},
    {"SrcUndefinedTable", "action r relay src <s>\n", R"(smtpd.conf:1:21: undefined table "s" (tables must be declared before use))"},
    {"SrcTableNotAnAddress", "table s { 127.0.0.5, bogus }\naction r relay src <s>\n", R"(smtpd.conf:2:21: table "s" holds "bogus", not an IPv4 or IPv6 address (for "src"))"},
    {"SrcMappingKeyNotAnAddress", "table s { \"192.0.2.300\" = x }\naction r relay src <s>\n", R"(smtpd.conf:2:21: table "s" holds "192.0.2.300", not an IPv4 or IPv6 address (for "src"))"},
    {"HeloSrcKeyNotAnAddress", "table h { host1 = a.example }\naction r relay helo-src <h>\n", R"(smtpd.conf:2:26: table "h" holds "host1", not an IPv4 or IPv6 address (for "helo-src"))"},
    {"HeloSrcBadName", "table h { \"127.0.0.5\" = \"a b\" }\naction r relay helo-src <h>\n", R"(smtpd.conf:2:26: table "h" holds "a b", not a host name or an address literal (for "helo-src"))"},
    {"HostTableBadUrl", "table h { \"smtp://a.example\", \"http://b\" }\naction r relay host <h>\n", R"(smtpd.conf:2:22: table "h" holds "http://b", not a relay URL: unknown protocol "http": expected smtp, smtp+tls, smtp+notls, smtps or lmtp (for "host"))"},
    {"DomainTableBadUrl", "table d { a.example = \"smtp://x:0\" }\naction r relay domain <d>\n", R"(smtpd.conf:2:24: table "d" holds "smtp://x:0", not a relay URL: invalid port "0": expected 1 to 65535 (for "domain"))"},
    {"DomainListTable", "table d { a, b }\naction r relay domain <d>\n", R"(smtpd.conf:2:24: table "d" may not be used for domain lookups: it is a list, not a mapping)"},
    {"DomainUndefinedTable", "action r relay domain <d>\n", R"(smtpd.conf:1:24: undefined table "d" (tables must be declared before use))"},
    {"HeloSrcUndefinedTable", "action r relay helo-src <h>\n", R"(smtpd.conf:1:26: undefined table "h" (tables must be declared before use))"},
    {"BadMailFrom", "action r relay mail-from \"b o@x\"\n", R"(smtpd.conf:1:26: invalid mail-from address "b o@x": expected user@domain, @domain or user)"},
    {"MailFromWithoutDomain", "action r relay mail-from \"bob@\"\n", R"(smtpd.conf:1:26: invalid mail-from address "bob@": expected user@domain, @domain or user)"},
    {"BadProtocols", "action r relay protocols \"tlsv1.2,tlsv1.4\"\n", R"(smtpd.conf:1:26: invalid TLS protocols "tlsv1.2,tlsv1.4": expected names such as "tlsv1.2,tlsv1.3", "secure" or "all")"},
    {"NoProtocolLeft", "action r relay protocols \"tlsv1.0,tlsv1.1\"\n", R"(smtpd.conf:1:26: TLS protocols "tlsv1.0,tlsv1.1" leave neither TLS 1.2 nor TLS 1.3 (the versions supported))"},
    {"EverythingRemoved", "action r relay protocols \"!all\"\n", R"(smtpd.conf:1:26: TLS protocols "!all" leave neither TLS 1.2 nor TLS 1.3 (the versions supported))"},
    {"BadCiphers", "action r relay ciphers \"HIGH MEDIUM\"\n", R"(smtpd.conf:1:24: invalid TLS ciphers "HIGH MEDIUM")"},
    {"UndefinedPki", "action r relay pki nope\n", R"(smtpd.conf:1:20: undefined pki "nope" (a pki must be declared before the actions that use it))"},
    {"UndefinedCa", "action r relay ca Nope\n", R"(smtpd.conf:1:19: undefined ca "nope" (a ca must be declared before the actions that use it))"},
    {"SrsWithoutKey", "action r relay srs\n", R"(smtpd.conf:1:16: "srs" needs an "srs key" declared before the action)"},
    {"SrsKeyAfterAction", "action r relay srs\nsrs key k\n", R"(smtpd.conf:1:16: "srs" needs an "srs key" declared before the action)"},
    {"AliasOnRelay", "table a { x = y }\naction r relay alias <a>\n", R"(smtpd.conf:2:16: "alias" is not an option of a relay action)"},
    {"UserOnRelay", "action r relay user bob\n", R"(smtpd.conf:1:16: "user" is not an option of a relay action)"},
    {"HeloOnLocal", "action m mbox helo mx.example\n", R"(smtpd.conf:1:15: "helo" is an option of relay actions only)"},
    {"HostOnLocal", "action m maildir host mx.example\n", R"(smtpd.conf:1:18: "host" is an option of relay actions only)"},
    {"ProtocolsIsAKeyword", "action r relay ciphers protocols\n", R"(smtpd.conf:1:24: expected a value after "ciphers")"},
    {"BadActionTtl", "action r relay ttl 4w\n", R"(smtpd.conf:1:20: invalid ttl delay "4w": expected a number followed by s, m, h or d)"},
    {"ActionTtlTwice", "action r mbox ttl 1d ttl 2d\n", R"(smtpd.conf:1:22: "ttl" already specified for this action)"},
    {"MtaAlone", "mta\n", R"(smtpd.conf:1:4: expected "max-deferred" or "limit" after "mta")"},
    {"MtaMaxDeferredMissing", "mta max-deferred\n", R"(smtpd.conf:1:17: expected a number after "max-deferred")"},
    {"MtaMaxDeferredBad", "mta max-deferred 10k\n", R"(smtpd.conf:1:18: expected a number after "max-deferred")"},
    {"MtaLimitUnknown", "mta limit max-conn-per-planet 3\n", R"(smtpd.conf:1:11: invalid mta limit "max-conn-per-planet": expected max-conn-per-host, max-conn-per-domain, session-mail-max, session-transaction-delay, ... (see smtpd.conf(5)))"},
    {"MtaLimitWithoutNumber", "mta limit max-conn-per-host\n", R"(smtpd.conf:1:28: expected a number after "max-conn-per-host")"},
    {"MtaLimitNegative", "mta limit session-mail-max -1\n", R"(smtpd.conf:1:28: invalid session-mail-max "-1": expected a number from 0 to 2147483647)"},
    {"MtaLimitForWithoutDomain", "mta limit for example.org\n", R"(smtpd.conf:1:15: expected "domain" after "for")"},
    {"MtaLimitForBadDomain", "mta limit for domain \"a b\" inet4\n", R"(smtpd.conf:1:22: invalid domain "a b")"},
    {"MtaLimitStrayKeyword", "mta limit inet4 tls\n", R"(smtpd.conf:1:17: unexpected "tls" after "inet4")"},
    {"SrsAlone", "srs\n", R"(smtpd.conf:1:4: expected "key" or "ttl" after "srs")"},
    {"SrsKeyMissing", "srs key\n", R"(smtpd.conf:1:8: expected a secret after "key")"},
    {"SrsBackupKeyMissing", "srs key backup\n", R"(smtpd.conf:1:15: expected a secret after "backup")"},
    {"SrsEmptyKey", "srs key \"\"\n", R"(smtpd.conf:1:9: empty srs key)"},
    {"SrsTtlTooShort", "srs ttl 12h\n", R"(smtpd.conf:1:9: srs ttl "12h" is too short: SRS counts in days, at least 1d)"},
    {"SrsTtlBad", "srs ttl forever\n", R"(smtpd.conf:1:9: invalid srs ttl "forever": expected a number followed by s, m, h or d)"},
};
// clang-format on

void PrintTo(ErrorCase const& c, std::ostream* os) {
    *os << c.id;
}

class ConfRelayErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfRelayErrors, FirstErrorHasExactPositionAndMessage) {
    EXPECT_EQ(first_error(GetParam().text), GetParam().first_error);
}

INSTANTIATE_TEST_SUITE_P(Rows, ConfRelayErrors, ::testing::ValuesIn(kErrorCases),
                         [](auto const& info) { return std::string(info.param.id); });

TEST(ConfRelay, ARelayActionWithAnErrorIsNotAdded) {
    ConfResult r = parse_config("action r relay host a.example backup\nmatch for any action r\n",
                                "smtpd.conf");
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_EQ(r.errors[1].to_string(), "smtpd.conf:2:22: undefined action \"r\" (an action must "
                                       "be declared before the match rules that use it)");
}

TEST(ConfRelaySeeds, ParseAsTheirNamesSay) {
    auto load = [](std::string const& name) {
        std::ifstream in(SMTPD_SOURCE_DIR "/fuzz/corpus/conf/" + name, std::ios::binary);
        EXPECT_TRUE(in) << name;
        return parse_config(std::string{std::istreambuf_iterator<char>(in), {}}, name);
    };
    ConfResult const good = load("relay.conf");
    ASSERT_TRUE(good.ok()) << good.errors.at(0).to_string();
    EXPECT_EQ(good.config->actions.size(), 6u);
    EXPECT_EQ(good.config->actions[2].relay.host->to_string(),
              "smtp+tls://bob@smtp.example.com:587");
    ConfResult const bad = load("err_relay.conf");
    ASSERT_EQ(bad.errors.size(), 7u);
    for (std::size_t i = 0; i < bad.errors.size(); ++i) {
        EXPECT_EQ(bad.errors[i].where.line, i + 2) << bad.errors[i].to_string();
    }
}

} // namespace
} // namespace smtpd::conf
