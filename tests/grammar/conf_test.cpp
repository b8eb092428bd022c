// Tests of parse_config (grammar/conf): every directive of the implemented smtpd.conf subset,
// macros and -D precedence, tables, and the exact file:line:column of every kind of error.
// Error-position and recovery tests live in conf_error_test.cpp.
// Depends on: grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"

#include <gtest/gtest.h>

#include <string>

namespace smtpd::conf {
namespace {

Config parse_ok(std::string_view text, std::map<std::string, std::string> const& defines = {}) {
    ConfResult r = parse_config(text, "smtpd.conf", defines);
    for (auto const& e : r.errors) {
        ADD_FAILURE() << e.to_string();
    }
    return r.config.value_or(Config{});
}

TEST(ConfParser, EmptyTextIsAnEmptyConfig) {
    ConfResult r = parse_config("", "smtpd.conf");
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.errors.empty());
    EXPECT_TRUE(r.config->listeners.empty());
}

TEST(ConfParser, CommentsBlankLinesAndBlanksAreIgnored) {
    Config c = parse_ok("# a comment\n\n   \t\n\tlisten on lo # trailing comment\n#\n");
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].address, "lo");
    EXPECT_EQ(c.listeners[0].where, (Location{"smtpd.conf", 4, 2}));
}

TEST(ConfParser, ListenOnInterfaceWithoutPort) {
    Config c = parse_ok("listen on lo\n");
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].address, "lo");
    EXPECT_FALSE(c.listeners[0].port.has_value());
    EXPECT_EQ(c.listeners[0].where, (Location{"smtpd.conf", 1, 1}));
}

TEST(ConfParser, ListenOnAddressesAndNamesWithPorts) {
    Config c = parse_ok("listen on 127.0.0.1 port 2525\nlisten on ::1 port 25\n"
                        "listen on localhost port 65535\nlisten on \"192.0.2.1\" port 1");
    ASSERT_EQ(c.listeners.size(), 4u);
    EXPECT_EQ(c.listeners[0].address, "127.0.0.1");
    EXPECT_EQ(c.listeners[0].port, 2525);
    EXPECT_EQ(c.listeners[1].address, "::1");
    EXPECT_EQ(c.listeners[1].port, 25);
    EXPECT_EQ(c.listeners[2].address, "localhost");
    EXPECT_EQ(c.listeners[2].port, 65535);
    EXPECT_EQ(c.listeners[3].address, "192.0.2.1");
    EXPECT_EQ(c.listeners[3].port, 1);
}

TEST(ConfParser, SmtpLimitsDefaultToUnset) {
    Config c = parse_ok("listen on lo\n");
    EXPECT_FALSE(c.smtp_limits.max_rcpt.has_value());
    EXPECT_FALSE(c.smtp_limits.max_mails.has_value());
}

TEST(ConfParser, SmtpLimitTakesSeveralPairsAndTheLastOneWins) {
    Config c = parse_ok("smtp limit max-mails 500 max-rcpt 50\nsmtp limit max-mails 7\n");
    EXPECT_EQ(c.smtp_limits.max_rcpt, 50u);
    EXPECT_EQ(c.smtp_limits.max_mails, 7u);
}

TEST(ConfParser, ListenPortAcceptsMailServiceNames) {
    // Unquoted, "smtp" and "smtps" are keywords (as in OpenSMTPD); quoted, they are names.
    Config c = parse_ok("listen on lo port submission\nlisten on lo port \"smtps\"\n");
    ASSERT_EQ(c.listeners.size(), 2u);
    EXPECT_EQ(c.listeners[0].port, 587);
    EXPECT_EQ(c.listeners[1].port, 465);
}

TEST(ConfParser, TableFileBackend) {
    Config c = parse_ok("table aliases file:/etc/mail/aliases\n");
    ASSERT_EQ(c.tables.size(), 1u);
    EXPECT_EQ(c.tables[0].name, "aliases");
    EXPECT_EQ(c.tables[0].source, Table::Source::File);
    EXPECT_EQ(c.tables[0].path, "/etc/mail/aliases");
}

TEST(ConfParser, TableDbGetpwnamAndProcBackends) {
    Config c = parse_ok("table a db:/etc/mail/aliases.db\ntable pw getpwnam\n"
                        "table p \"proc:/usr/local/libexec/table-x\"\n"
                        "action l maildir userbase <pw> alias <a>\n");
    ASSERT_EQ(c.tables.size(), 3u);
    EXPECT_EQ(c.tables[0].source, Table::Source::Db);
    EXPECT_EQ(c.tables[0].path, "/etc/mail/aliases.db");
    EXPECT_EQ(c.tables[1].source, Table::Source::Getpwnam);
    EXPECT_TRUE(c.tables[1].path.empty());
    EXPECT_EQ(c.tables[2].source, Table::Source::Proc);
    EXPECT_EQ(c.tables[2].path, "/usr/local/libexec/table-x");
}

TEST(ConfParser, TableQuotedAbsolutePathIsAFile) {
    Config c = parse_ok("table aliases \"/etc/mail/aliases\"\ntable t2 \"file:/x y\"\n");
    ASSERT_EQ(c.tables.size(), 2u);
    EXPECT_EQ(c.tables[0].source, Table::Source::File);
    EXPECT_EQ(c.tables[0].path, "/etc/mail/aliases");
    EXPECT_EQ(c.tables[1].path, "/x y");
}

TEST(ConfParser, TableInlineList) {
    Config c = parse_ok("table domains { \"example.org\", example.net,\"a\" }\n");
    ASSERT_EQ(c.tables.size(), 1u);
    EXPECT_EQ(c.tables[0].source, Table::Source::Inline);
    EXPECT_EQ(c.tables[0].list, (std::vector<std::string>{"example.org", "example.net", "a"}));
    EXPECT_TRUE(c.tables[0].map.empty());
}

TEST(ConfParser, TableInlineListAcrossLinesWithOptionalCommas) {
    Config c = parse_ok("table domains {\n  a.org,\n  b.org\n  c.org d.org\n}\nlisten on lo\n");
    ASSERT_EQ(c.tables.size(), 1u);
    EXPECT_EQ(c.tables[0].list, (std::vector<std::string>{"a.org", "b.org", "c.org", "d.org"}));
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].where.line, 6u);
}

TEST(ConfParser, TableInlineMap) {
    Config c = parse_ok("table users { \"k\" = \"v\", k2 = v2 }\n");
    ASSERT_EQ(c.tables.size(), 1u);
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(c.tables[0].map, (Pairs{{"k", "v"}, {"k2", "v2"}}));
    EXPECT_TRUE(c.tables[0].list.empty());
}

TEST(ConfParser, TableInlineMapAcrossLines) {
    Config c = parse_ok("table users {\n\tbob = bob@example.org,\n\talice=alice\n}\n");
    ASSERT_EQ(c.tables.size(), 1u);
    ASSERT_EQ(c.tables[0].map.size(), 2u);
    EXPECT_EQ(c.tables[0].map[0].second, "bob@example.org");
    EXPECT_EQ(c.tables[0].map[1].first, "alice");
}

TEST(ConfParser, ActionMaildirWithoutPath) {
    Config c = parse_ok("action \"local\" maildir\n");
    ASSERT_EQ(c.actions.size(), 1u);
    EXPECT_EQ(c.actions[0].name, "local");
    EXPECT_EQ(c.actions[0].method, Action::Method::Maildir);
    EXPECT_FALSE(c.actions[0].path.has_value());
    EXPECT_FALSE(c.actions[0].virtual_table.has_value());
}

TEST(ConfParser, ActionMaildirWithPathAndVirtualTable) {
    Config c = parse_ok("table vusers file:/etc/mail/virtual\n"
                        "action deliver maildir \"/var/vmail/%{rcpt.domain}/%{rcpt.user}\" "
                        "virtual <vusers>\n"
                        "action home maildir \"~/Maildir\"\n");
    ASSERT_EQ(c.actions.size(), 2u);
    EXPECT_EQ(c.actions[0].name, "deliver");
    EXPECT_EQ(c.actions[0].path, "/var/vmail/%{rcpt.domain}/%{rcpt.user}");
    EXPECT_EQ(c.actions[0].virtual_table, "vusers");
    EXPECT_EQ(c.actions[0].where, (Location{"smtpd.conf", 2, 1}));
    EXPECT_EQ(c.actions[1].path, "~/Maildir");
}

TEST(ConfParser, MatchFromAndForKinds) {
    Config c = parse_ok("action \"a\" maildir\n"
                        "match from local for local action \"a\"\n"
                        "match from any for any action a\n");
    ASSERT_EQ(c.matches.size(), 2u);
    EXPECT_EQ(c.matches[0].from.kind, MatchFrom::Kind::Local);
    EXPECT_EQ(c.matches[0].for_.kind, MatchFor::Kind::Local);
    EXPECT_EQ(c.matches[0].action, "a");
    EXPECT_EQ(c.matches[0].where, (Location{"smtpd.conf", 2, 1}));
    EXPECT_EQ(c.matches[1].from.kind, MatchFrom::Kind::Any);
    EXPECT_EQ(c.matches[1].for_.kind, MatchFor::Kind::Any);
}

TEST(ConfParser, MatchForQuotedAndBareDomains) {
    Config c = parse_ok("action \"a\" maildir\n"
                        "match from any for domain \"example.org\" action \"a\"\n"
                        "match from any for domain example.net action \"a\"\n");
    ASSERT_EQ(c.matches.size(), 2u);
    EXPECT_EQ(c.matches[0].for_.kind, MatchFor::Kind::Domain);
    EXPECT_EQ(c.matches[0].for_.domain, "example.org");
    EXPECT_FALSE(c.matches[0].for_.domain_table.has_value());
    EXPECT_EQ(c.matches[1].for_.domain, "example.net");
}

TEST(ConfParser, MatchForDomainTable) {
    Config c = parse_ok("table domains { example.org }\naction \"a\" maildir\n"
                        "match from any for domain <domains> action \"a\"\n");
    ASSERT_EQ(c.matches.size(), 1u);
    EXPECT_EQ(c.matches[0].for_.kind, MatchFor::Kind::Domain);
    EXPECT_EQ(c.matches[0].for_.domain_table, "domains");
    EXPECT_TRUE(c.matches[0].for_.domain.empty());
}

TEST(ConfParser, MatchDefaultsToFromLocalForLocalAndTakesOptionsInAnyOrder) {
    Config c =
        parse_ok("action \"a\" maildir\nmatch action \"a\"\nmatch for any from any action a\n");
    ASSERT_EQ(c.matches.size(), 2u);
    EXPECT_EQ(c.matches[0].from.kind, MatchFrom::Kind::Local);
    EXPECT_EQ(c.matches[0].for_.kind, MatchFor::Kind::Local);
    EXPECT_EQ(c.matches[1].from.kind, MatchFrom::Kind::Any);
    EXPECT_EQ(c.matches[1].for_.kind, MatchFor::Kind::Any);
}

TEST(ConfParser, QuotedKeywordIsAString) {
    Config c = parse_ok("action \"local\" maildir\nmatch from local for local action \"local\"\n");
    ASSERT_EQ(c.matches.size(), 1u);
    EXPECT_EQ(c.matches[0].action, "local");
}

TEST(ConfMacros, ExpandOutsideQuotes) {
    Config c = parse_ok("dom = \"example.org\"\nname=a\naction $name maildir\n"
                        "match from any for domain $dom action \"a\"\n");
    ASSERT_EQ(c.matches.size(), 1u);
    EXPECT_EQ(c.matches[0].for_.domain, "example.org");
    EXPECT_EQ(c.macros.at("dom"), "example.org");
    EXPECT_EQ(c.macros.at("name"), "a");
}

TEST(ConfMacros, AreNotExpandedInsideQuotes) {
    Config c = parse_ok("dom = x\naction \"a\" maildir\n"
                        "match for domain \"$dom\" action \"a\"\n");
    ASSERT_EQ(c.matches.size(), 1u);
    EXPECT_EQ(c.matches[0].for_.domain, "$dom");
}

TEST(ConfMacros, ValueIsReadAsInputAndMayHoldSeveralTokens) {
    Config c = parse_ok("where = \"lo port 2525\"\nlisten on $where\n");
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].address, "lo");
    EXPECT_EQ(c.listeners[0].port, 2525);
    EXPECT_EQ(c.listeners[0].where, (Location{"smtpd.conf", 2, 1}));
}

TEST(ConfMacros, LaterDefinitionReplacesEarlierOne) {
    Config c = parse_ok("p = \"25\"\np = \"26\"\nlisten on lo port $p\n");
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].port, 26);
}

TEST(ConfMacros, CommandLineDefineTakesPrecedenceOverFile) {
    Config c = parse_ok("p = \"25\"\nlisten on lo port $p\n", {{"p", "2525"}});
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].port, 2525);
    EXPECT_EQ(c.macros.at("p"), "2525");
}

TEST(ConfMacros, CommandLineDefineWithoutFileDefinition) {
    Config c = parse_ok("listen on $iface\n", {{"iface", "127.0.0.1"}});
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].address, "127.0.0.1");
}

TEST(ConfLexer, BackslashNewlineContinuesTheStatement) {
    Config c = parse_ok("listen on lo \\\n    port 2525\nlisten \\\non lo\n");
    ASSERT_EQ(c.listeners.size(), 2u);
    EXPECT_EQ(c.listeners[0].port, 2525);
    EXPECT_EQ(c.listeners[1].where.line, 3u);
}

TEST(ConfLexer, SingleQuotesAndEscapes) {
    Config c = parse_ok("action 'my action' maildir \"/a\\\"b\\ c\"\n");
    ASSERT_EQ(c.actions.size(), 1u);
    EXPECT_EQ(c.actions[0].name, "my action");
    EXPECT_EQ(c.actions[0].path, "/a\"b c");
}

TEST(ConfLexer, BareWordsTakeOpenSmtpdPunctuation) {
    Config c = parse_ok("table t { a.b_c-d/e:f@g+h%i~j'k\"l, :m, _n, 1.2.3.4/8 }\n");
    ASSERT_EQ(c.tables.size(), 1u);
    EXPECT_EQ(c.tables[0].list,
              (std::vector<std::string>{"a.b_c-d/e:f@g+h%i~j'k\"l", ":m", "_n", "1.2.3.4/8"}));
}

TEST(ConfLexer, QuotedStringMayRunOverNewlinesWhichItDrops) {
    Config c = parse_ok("action \"loc\nal\" mbox\nmatch for local action \"local\"\n");
    ASSERT_EQ(c.actions.size(), 1u);
    EXPECT_EQ(c.actions[0].name, "local");
}

TEST(ConfLexer, LastLineWithoutNewline) {
    Config c = parse_ok("listen on lo");
    ASSERT_EQ(c.listeners.size(), 1u);
}

TEST(ConfParser, RealisticConfiguration) {
    Config c = parse_ok(R"(#	$OpenBSD: smtpd.conf,v 1.14 2019/11/26 20:14:38 gilles Exp $

# This is the smtpd server system-wide configuration file.
# See smtpd.conf(5) for more information.

table aliases file:/etc/mail/aliases
table vdomains { example.org, "example.net" }
table vusers { "bob@example.org" = bob, alice@example.net = alice }

# To accept external mail, replace with: listen on all
#
listen on localhost
listen on 0.0.0.0 port 25
listen on :: port 587

maildir_path = "\"~/Maildir\""
action "local" maildir $maildir_path virtual <aliases>
action "virtual" maildir "/var/vmail/%{rcpt.domain:lowercase}/%{rcpt.user:strip}" \
	virtual <vusers>

match from local for local action "local"
match from any for domain <vdomains> action "virtual"
match from any for domain "example.com" action "local"
)");
    EXPECT_EQ(c.tables.size(), 3u);
    EXPECT_EQ(c.listeners.size(), 3u);
    ASSERT_EQ(c.actions.size(), 2u);
    EXPECT_EQ(c.actions[0].path, "~/Maildir");
    EXPECT_EQ(c.actions[1].virtual_table, "vusers");
    ASSERT_EQ(c.matches.size(), 3u);
    EXPECT_EQ(c.matches[1].for_.domain_table, "vdomains");
    EXPECT_EQ(c.matches[2].for_.domain, "example.com");
    EXPECT_EQ(c.matches[2].where.line, 23u);
}

TEST(ConfError, ToStringIsFileLineColumnMessage) {
    ConfError e{Location{"/etc/smtpd.conf", 3, 13}, "expected \"on\" after \"listen\""};
    EXPECT_EQ(e.to_string(), "/etc/smtpd.conf:3:13: expected \"on\" after \"listen\"");
}

TEST(ConfLoad, MissingFileIsAnErrorAtLineZero) {
    ConfResult r = load_config("/nonexistent/dir/smtpd.conf");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].where, (Location{"/nonexistent/dir/smtpd.conf", 0, 0}));
    EXPECT_NE(r.errors[0].message.find("cannot open"), std::string::npos);
}

TEST(ConfLoad, ReadsAndParsesAFile) {
    std::string const path = ::testing::TempDir() + "conf_load_test.conf";
    {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fputs("listen on lo\nrelay\n", f);
        std::fclose(f);
    }
    ConfResult r = load_config(path);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].to_string(), path + ":2:1: unknown directive \"relay\"");
    std::remove(path.c_str());
}

TEST(ConfLocation, EqualityComparesFileLineAndColumn) {
    Location const here{"smtpd.conf", 3, 13};
    EXPECT_EQ(here, (Location{"smtpd.conf", 3, 13}));
    EXPECT_NE(here, (Location{"other.conf", 3, 13}));
    EXPECT_NE(here, (Location{"smtpd.conf", 4, 13}));
    EXPECT_NE(here, (Location{"smtpd.conf", 3, 14}));
}

TEST(ConfMacros, NamesMayHoldUppercaseLettersDigitsAndUnderscores) {
    Config c = parse_ok("Lo_Addr2 = lo\nlisten on $Lo_Addr2\n");
    EXPECT_EQ(c.macros.at("Lo_Addr2"), "lo");
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].address, "lo");
}

} // namespace
} // namespace smtpd::conf
