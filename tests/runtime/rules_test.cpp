// Unit tests of runtime/lookup/rules.cpp: first-match evaluation of the match rules of
// smtpd.conf, each criterion against the session's facts, negation, regex tables, reject rules,
// as OpenSMTPD's ruleset.c evaluates them. Rules come from the real parser.
// Depends on: runtime/lookup/rules.hpp, grammar/conf/conf.hpp, GoogleTest.
#include "lookup/rules.hpp"

#include "conf/conf.hpp"

#include <gtest/gtest.h>

#include <map>

namespace smtpd::rt {
namespace {

class Rules {
  public:
    explicit Rules(std::string_view text) {
        conf::ConfResult r = conf::parse_config(text, "smtpd.conf");
        for (auto const& e : r.errors) {
            ADD_FAILURE() << e.to_string();
        }
        config_ = r.config.value_or(conf::Config{});
        for (auto const& t : config_.tables) {
            auto opened = table::open_table(t);
            EXPECT_TRUE(opened) << t.name;
            if (opened) {
                tables_[t.name] = std::move(opened).value();
            }
        }
    }
    /// The line of the rule that matches, 0 for none.
    [[nodiscard]] unsigned line(std::string_view rcpt, SessionFacts const& s) const {
        auto const at = rcpt.find('@');
        RuleContext const ctx{[this](std::string_view name) -> table::Table* {
                                  auto const it = tables_.find(std::string(name));
                                  return it == tables_.end() ? nullptr : it->second.get();
                              },
                              [](std::string_view d) { return d == "localhost"; }};
        conf::Match const* m =
            first_match(config_.matches, rcpt.substr(0, at), rcpt.substr(at + 1), s, ctx);
        return m == nullptr ? 0 : m->where.line;
    }

  private:
    conf::Config config_;
    std::map<std::string, std::unique_ptr<table::Table>> tables_;
};

SessionFacts remote(std::string address = "203.0.113.5") {
    SessionFacts s;
    s.client_address = std::move(address);
    return s;
}

TEST(MatchRules, FirstMatchInFileOrder) {
    Rules const r("action a mbox\n"
                  "match from any for domain example.org action a\n"
                  "match from any for any action a\n");
    EXPECT_EQ(r.line("joe@example.org", remote()), 2u);
    EXPECT_EQ(r.line("joe@example.net", remote()), 3u);
}

TEST(MatchRules, FromLocalNeedsALocalClient) {
    Rules const r("action a mbox\nmatch for local action a\n");
    SessionFacts local = remote("127.0.0.1");
    local.client_local = true;
    EXPECT_EQ(r.line("joe@localhost", local), 2u);
    EXPECT_EQ(r.line("joe@localhost", remote()), 0u);
}

TEST(MatchRules, FromSrcNetaddrTable) {
    Rules const r("table nets { 192.0.2.0/24, 2001:db8::/32 }\naction a mbox\n"
                  "match from src <nets> for any action a\n"
                  "match ! from src <nets> for any reject\n");
    EXPECT_EQ(r.line("x@y", remote("192.0.2.77")), 3u);
    EXPECT_EQ(r.line("x@y", remote("2001:db8::1")), 3u);
    EXPECT_EQ(r.line("x@y", remote("198.51.100.1")), 4u);
}

TEST(MatchRules, FromAuthWithAndWithoutTable) {
    Rules const r("table users { bob }\naction a mbox\n"
                  "match from auth <users> for any action a\n"
                  "match auth from any for any reject\n"
                  "match ! from auth for any action a\n");
    SessionFacts bob = remote();
    bob.auth_user = "Bob";
    SessionFacts eve = remote();
    eve.auth_user = "eve";
    EXPECT_EQ(r.line("x@y", bob), 3u);
    EXPECT_EQ(r.line("x@y", eve), 4u);
    EXPECT_EQ(r.line("x@y", remote()), 5u);
}

TEST(MatchRules, AuthUserWithAtIsAMailAddress) {
    Rules const r("action a mbox\nmatch from auth \"@example.org\" for any action a\n");
    SessionFacts s = remote();
    s.auth_user = "joe@example.org";
    EXPECT_EQ(r.line("x@y", s), 2u);
    s.auth_user = "joe@example.net";
    EXPECT_EQ(r.line("x@y", s), 0u);
}

TEST(MatchRules, TagOfTheListener) {
    Rules const r("action a mbox\n"
                  "match from any tag MX for any action a\n"
                  "match from any ! tag regex \"(?i)^DK\" for any reject\n");
    SessionFacts mx = remote();
    mx.tag = "MX";
    SessionFacts dkim = remote();
    dkim.tag = "DKIM";
    EXPECT_EQ(r.line("x@y", mx), 2u);
    EXPECT_EQ(r.line("x@y", dkim), 0u);     // the key is lowercased: (?i) makes ^DK match
    EXPECT_EQ(r.line("x@y", remote()), 3u); // no tag: "! tag" holds
}

TEST(MatchRules, HeloMailFromRcptToAndTls) {
    Rules const r("action a mbox\n"
                  "match from any helo \"*.example.org\" for any action a\n"
                  "match from any mail-from regex \"^bob@\" rcpt-to \"alice@example.com\" "
                  "for any action a\n"
                  "match from any tls for any action a\n"
                  "match from any mail-from \"@\" for any reject\n");
    SessionFacts s = remote();
    s.helo = "mx.example.org";
    EXPECT_EQ(r.line("x@y", s), 2u);
    s.helo = "other.example";
    s.mail_from = "bob@example.net";
    EXPECT_EQ(r.line("alice+tag@example.com", s), 3u);
    EXPECT_EQ(r.line("carol@example.com", s), 5u); // "@" matches every sender
    s.tls = true;
    EXPECT_EQ(r.line("carol@example.com", s), 4u);
    EXPECT_EQ(r.line("carol@example.com", remote()), 5u); // the null sender too
}

TEST(MatchRules, RdnsNeedsAName) {
    Rules const r("action a mbox\n"
                  "match from rdns for domain a.example action a\n"
                  "match ! from rdns regex \"\\.example$\" for any action a\n");
    SessionFacts named = remote();
    named.rdns = "host.example";
    EXPECT_EQ(r.line("x@a.example", named), 2u);
    EXPECT_EQ(r.line("x@a.example", remote()), 0u); // no name: neither rule, negated or not
    named.rdns = "host.other";
    EXPECT_EQ(r.line("x@b.example", named), 3u);
}

TEST(MatchRules, ForDomainWildcardAndNegation) {
    Rules const r("action a mbox\n"
                  "match from any for domain \"*.example.org\" action a\n"
                  "match from any ! for local reject\n");
    EXPECT_EQ(r.line("x@mx.example.org", remote()), 2u);
    EXPECT_EQ(r.line("x@example.org", remote()), 3u);
    EXPECT_EQ(r.line("x@localhost", remote()), 0u);
}

TEST(MatchRules, TableMatchesKeysOfMappingsToo) {
    auto const t = table::make_static_table("t", {{"joe@example.org", "x"}});
    EXPECT_TRUE(t->match(table::Service::Mailaddr, "joe+a@example.org").value());
    EXPECT_FALSE(t->match(table::Service::Mailaddr, "jim@example.org").value());
}

} // namespace
} // namespace smtpd::rt
