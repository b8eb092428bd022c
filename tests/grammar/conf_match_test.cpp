// Tests of the match rules of parse_config (grammar/conf/conf_match.cpp): every criterion of
// smtpd.conf(5) 7.x, negation, regex tables, `reject`, and the listener's `tag`. The error rows
// live in conf_error_test.cpp.
// Depends on: grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"

#include <gtest/gtest.h>

namespace smtpd::conf {
namespace {

Config parse_ok(std::string_view text) {
    ConfResult r = parse_config(text, "smtpd.conf");
    for (auto const& e : r.errors) {
        ADD_FAILURE() << e.to_string();
    }
    return r.config.value_or(Config{});
}

TEST(ConfMatch, EveryCriterionIsRecorded) {
    Config c = parse_ok("table nets { 10.0.0.0/8 }\naction a maildir\n"
                        "match ! from src <nets> auth <nets> helo mx.example.org "
                        "mail-from regex \"^bob@\" rcpt-to \"@example.org\" tag MX !tls "
                        "for domain example.org action a\n");
    ASSERT_EQ(c.matches.size(), 1u);
    Match const& m = c.matches[0];
    EXPECT_EQ(m.from.kind, MatchFrom::Kind::Src);
    EXPECT_TRUE(m.from.negated);
    EXPECT_EQ(m.from.table, (MatchTable{"nets", true, false}));
    ASSERT_TRUE(m.auth.has_value());
    EXPECT_FALSE(m.auth->negated);
    EXPECT_EQ(m.auth->table, (MatchTable{"nets", true, false}));
    EXPECT_EQ(m.helo->table, (MatchTable{"mx.example.org", false, false}));
    EXPECT_EQ(m.mail_from->table, (MatchTable{"^bob@", false, true}));
    EXPECT_EQ(m.rcpt_to->table, (MatchTable{"@example.org", false, false}));
    EXPECT_EQ(m.tag->table, (MatchTable{"MX", false, false}));
    ASSERT_TRUE(m.tls.has_value());
    EXPECT_TRUE(m.tls->negated);
    EXPECT_EQ(m.for_.kind, MatchFor::Kind::Domain);
    EXPECT_EQ(m.for_.domain, "example.org");
    EXPECT_EQ(m.action, "a");
    EXPECT_FALSE(m.reject);
}

TEST(ConfMatch, FromAuthIsFromAnyWithAuth) {
    Config c = parse_ok("table users { bob }\naction a maildir\n"
                        "match ! from auth <users> for any action a\n"
                        "match from mail-from \"@example.org\" for rcpt-to <users> action a\n");
    ASSERT_EQ(c.matches.size(), 2u);
    EXPECT_EQ(c.matches[0].from.kind, MatchFrom::Kind::Any);
    EXPECT_FALSE(c.matches[0].from.negated);
    ASSERT_TRUE(c.matches[0].auth.has_value());
    EXPECT_TRUE(c.matches[0].auth->negated);
    EXPECT_EQ(c.matches[1].from.kind, MatchFrom::Kind::Any);
    ASSERT_TRUE(c.matches[1].mail_from.has_value());
    EXPECT_EQ(c.matches[1].for_.kind, MatchFor::Kind::Any);
    ASSERT_TRUE(c.matches[1].rcpt_to.has_value());
    EXPECT_EQ(c.matches[1].rcpt_to->table, (MatchTable{"users", true, false}));
}

TEST(ConfMatch, BareAuthAndRdnsTakeNoTable) {
    Config c = parse_ok("action a maildir\nmatch auth from rdns for any action a\n");
    ASSERT_EQ(c.matches.size(), 1u);
    ASSERT_TRUE(c.matches[0].auth.has_value());
    EXPECT_FALSE(c.matches[0].auth->table.has_value());
    EXPECT_EQ(c.matches[0].from.kind, MatchFrom::Kind::Rdns);
    EXPECT_FALSE(c.matches[0].from.table.has_value());
}

TEST(ConfMatch, DefaultsAreFromLocalForLocal) {
    Config c = parse_ok("action a maildir\nmatch action a\n");
    ASSERT_EQ(c.matches.size(), 1u);
    EXPECT_EQ(c.matches[0].from.kind, MatchFrom::Kind::Local);
    EXPECT_EQ(c.matches[0].for_.kind, MatchFor::Kind::Local);
    EXPECT_FALSE(c.matches[0].auth || c.matches[0].helo || c.matches[0].tag || c.matches[0].tls);
}

TEST(ConfMatch, RejectNeedsNoAction) {
    Config c = parse_ok("match from any for domain regex \"spam\\.example$\" reject\n");
    ASSERT_EQ(c.matches.size(), 1u);
    EXPECT_TRUE(c.matches[0].reject);
    EXPECT_TRUE(c.matches[0].action.empty());
    EXPECT_TRUE(c.matches[0].for_.regex);
    EXPECT_EQ(c.matches[0].for_.domain, "spam\\.example$");
}

TEST(ConfMatch, ListenerTag) {
    Config c = parse_ok("listen on 127.0.0.1 port 2525 tag MX\n");
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].tag, "MX");
}

} // namespace
} // namespace smtpd::conf
