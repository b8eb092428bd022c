// Alias expansion: the values of aliases(5), virtual and ~/.forward entries and userbase lines
// (aliases.hpp), then whole expansions through a Recipients over a fake system: several
// destinations, addresses matched again, files and commands, includes, loops, the depth limit,
// table misses, ~/.forward forms and the refusals OpenSMTPD makes.
#include "lookup/aliases.hpp"

#include "recipients_support.hpp"

#include <gtest/gtest.h>

namespace smtpd::rt {
namespace {

using Kind = AliasEntry::Kind;
using Verdict = sm::RcptVerdict::Kind;
using testing::action;
using testing::FakeSystem;
using testing::local_config;
using testing::make_resolver;
using testing::map_table;

TEST(AliasValues, ParsesEachForm) {
    auto const v = parse_alias_values(
        " bob , Alice@Example.org,/var/log/m, |/usr/bin/x -y, :include:/etc/list, \\carol,"
        "error:550 gone");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, (std::vector<AliasEntry>{{Kind::User, "bob"},
                                           {Kind::Address, "Alice", "Example.org"},
                                           {Kind::File, "/var/log/m"},
                                           {Kind::Command, "/usr/bin/x -y"},
                                           {Kind::Include, "/etc/list"},
                                           {Kind::User, "carol", {}, true},
                                           {Kind::Error, "550 gone"}}));
}

TEST(AliasValues, QuotesKeepCommasInsideOneValue) {
    auto const v = parse_alias_values("\"|/bin/x a, b\", bob");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, (std::vector<AliasEntry>{{Kind::Command, "/bin/x a, b"}, {Kind::User, "bob"}}));
    EXPECT_FALSE(parse_alias_values("\"|/bin/x, bob").has_value());
}

TEST(AliasValues, RefusesWhatIsNoForm) {
    for (char const* bad : {"bo b", "../etc", "a@", "@b", "a@b/c", "|", ":include:rel", "error:55",
                            "error:250 ok", "\\", "b\xc3\xa9", "x;y"}) {
        EXPECT_FALSE(parse_alias_values(bad).has_value()) << bad;
    }
    EXPECT_EQ(parse_alias_values(" , ,")->size(), 0U);
}

TEST(AliasValues, LinesHaveCommentsAndBlankLines) {
    auto const v = parse_alias_lines("# mine\nbob, alice # both\n\n  \ncarol@x.org\n");
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->size(), 3U);
    EXPECT_FALSE(parse_alias_lines("bob\nbo b\n").has_value());
}

TEST(AliasKeys, AliasAndVirtualOrder) {
    EXPECT_EQ(alias_keys("Bob+Tag"), (std::vector<std::string>{"bob+tag", "bob"}));
    EXPECT_EQ(alias_keys("bob"), (std::vector<std::string>{"bob"}));
    EXPECT_EQ(
        virtual_keys("Bob+t", "EX.org"),
        (std::vector<std::string>{"bob+t@ex.org", "bob@ex.org", "bob+t", "bob", "@ex.org", "@"}));
    EXPECT_EQ(virtual_keys("bob", ""), (std::vector<std::string>{"bob"}));
}

TEST(Userbase, ParsesUidGidHome) {
    EXPECT_EQ(parse_userbase_entry("u", "1:2:/h"), (UserInfo{"u", "/h", 1, 2}));
    EXPECT_EQ(parse_userbase_entry("u", "0:0:/h:x")->home, "/h:x");
    for (char const* bad : {"", "1:2", "1::/h", ":2:/h", "-1:2:/h", "1:2:h", "1:2:", "a:2:/h",
                            "1:4294967296:/h", " 1:2:/h"}) {
        EXPECT_FALSE(parse_userbase_entry("u", bad).has_value()) << bad;
    }
    EXPECT_FALSE(parse_userbase_entry("", "1:2:/h").has_value());
}

Resolution expand(std::vector<std::pair<std::string, std::string>> aliases, std::string user,
                  FakeSystem const& sys = {}) {
    conf::Action a = action("mbox", conf::Action::Method::Mbox);
    a.alias_table = "aliases";
    return make_resolver(local_config({a}, {map_table("aliases", std::move(aliases))}), sys)
        .resolve(user, "localhost", false);
}

std::vector<std::string> targets(Resolution const& r) {
    std::vector<std::string> out;
    out.reserve(r.destinations.size());
    for (auto const& d : r.destinations) {
        out.push_back(d.user.name + ":" + d.target);
    }
    return out;
}

TEST(Aliases, ExpandToSeveralDestinations) {
    Resolution const r = expand({{"staff", "bob, alice, bob"}}, "Staff");
    ASSERT_EQ(r.verdict, Verdict::Accepted) << r.reason;
    EXPECT_EQ(targets(r), (std::vector<std::string>{"bob:/var/mail/bob", "alice:/var/mail/alice"}));
    EXPECT_EQ(r.destinations[1].recipient, "Staff@localhost");
}

TEST(Aliases, TagFallsBackToTheUser) {
    auto const r = expand({{"staff", "bob"}, {"staff+x", "alice"}}, "staff+y");
    EXPECT_EQ(targets(r), (std::vector<std::string>{"bob:/var/mail/bob"}));
    EXPECT_EQ(targets(expand({{"staff", "bob"}, {"staff+x", "alice"}}, "staff+x")),
              (std::vector<std::string>{"alice:/var/mail/alice"}));
}

TEST(Aliases, AMissIsTheSystemUser) {
    EXPECT_EQ(targets(expand({{"staff", "bob"}}, "alice")),
              (std::vector<std::string>{"alice:/var/mail/alice"}));
    EXPECT_EQ(expand({{"staff", "bob"}}, "nobody").verdict, Verdict::UnknownUser);
    EXPECT_EQ(expand({{"staff", "nobody"}}, "staff").verdict, Verdict::UnknownUser);
}

TEST(Aliases, FilesAndCommandsRunAsTheUnprivilegedUser) {
    auto const r = expand({{"log", "/var/log/all, |/usr/bin/archive %{rcpt}"}}, "log");
    ASSERT_EQ(r.verdict, Verdict::Accepted) << r.reason;
    ASSERT_EQ(r.destinations.size(), 2U);
    EXPECT_EQ(r.destinations[0].method, DeliveryMethod::Mbox);
    EXPECT_EQ(r.destinations[0].target, "/var/log/all");
    EXPECT_EQ(r.destinations[1].method, DeliveryMethod::Mda);
    EXPECT_EQ(r.destinations[1].target, "/usr/bin/archive %{rcpt}");
    EXPECT_EQ(r.destinations[1].user.name, "_smtpd");
    FakeSystem sys;
    sys.users.erase("_smtpd");
    EXPECT_EQ(expand({{"log", "/var/log/all"}}, "log", sys).verdict, Verdict::TempFail);
}

TEST(Aliases, AddressesAreMatchedAgain) {
    conf::Action a = action("mbox", conf::Action::Method::Mbox);
    a.alias_table = "aliases";
    conf::Action lmtp = action("lmtp", conf::Action::Method::Lmtp);
    lmtp.destination = "/run/lmtp";
    conf::Config c =
        local_config({a, lmtp}, {map_table("aliases", {{"staff", "bob@other.example, alice"},
                                                       {"away", "x@nowhere.example"}})});
    conf::Match m;
    m.for_ = {conf::MatchFor::Kind::Domain, "other.example", {}};
    m.action = "lmtp";
    c.matches.push_back(m); // from local: forwarded addresses are local mail
    auto const r = make_resolver(c).resolve("staff", "mx.example", false);
    ASSERT_EQ(r.verdict, Verdict::Accepted) << r.reason;
    EXPECT_EQ(targets(r), (std::vector<std::string>{"alice:/var/mail/alice", "bob:/run/lmtp"}));
    EXPECT_EQ(make_resolver(c).resolve("away", "localhost", false).verdict, Verdict::UnknownUser);
}

TEST(Aliases, LoopsEndAndAnEmptyResultIsRefused) {
    EXPECT_EQ(expand({{"a", "b"}, {"b", "a"}}, "a").verdict, Verdict::UnknownUser);
    EXPECT_EQ(expand({{"a", "a@localhost"}}, "a").verdict, Verdict::UnknownUser);
    // A user aliased to itself and others: its own mailbox, without another alias lookup.
    EXPECT_EQ(targets(expand({{"bob", "bob, alice"}}, "bob")),
              (std::vector<std::string>{"bob:/var/mail/bob", "alice:/var/mail/alice"}));
}

TEST(Aliases, DepthIsLimited) {
    std::vector<std::pair<std::string, std::string>> chain;
    chain.reserve(13);
    for (int i = 0; i < 12; ++i) {
        chain.emplace_back("l" + std::to_string(i), "l" + std::to_string(i + 1) + "@localhost");
    }
    chain.emplace_back("l12", "bob");
    Resolution const r = expand(chain, "l0");
    EXPECT_EQ(r.verdict, Verdict::UnknownUser);
    EXPECT_EQ(r.reason, "expansion too deep");
    EXPECT_EQ(expand(chain, "l9").verdict, Verdict::Accepted);
}

TEST(Aliases, IncludesAddTheirLinesOnce) {
    FakeSystem sys;
    sys.includes["/etc/list"] = "alice # first\nbob\n:include:/etc/list\n";
    EXPECT_EQ(targets(expand({{"list", ":include:/etc/list"}}, "list", sys)),
              (std::vector<std::string>{"alice:/var/mail/alice", "bob:/var/mail/bob"}));
    EXPECT_EQ(expand({{"list", ":include:/etc/none"}}, "list", sys).verdict, Verdict::UnknownUser);
    sys.includes["/etc/list"] = "bo b\n";
    EXPECT_EQ(expand({{"list", ":include:/etc/list"}}, "list", sys).verdict, Verdict::TempFail);
}

TEST(Aliases, ErrorEntriesAndInvalidValues) {
    EXPECT_EQ(expand({{"gone", "error:550 left the company"}}, "gone").verdict,
              Verdict::UnknownUser);
    EXPECT_EQ(expand({{"busy", "error:450 try later"}}, "busy").verdict, Verdict::TempFail);
    EXPECT_EQ(expand({{"bad", "bo b"}}, "bad").verdict, Verdict::TempFail);
}

TEST(Forward, AddressesUsersAndTheUserItself) {
    FakeSystem sys;
    sys.forwards["bob"] = "# keep a copy\n\\bob, alice\n";
    EXPECT_EQ(targets(expand({}, "bob", sys)),
              (std::vector<std::string>{"bob:/var/mail/bob", "alice:/var/mail/alice"}));
    sys.forwards["bob"] = "bob\n";
    EXPECT_EQ(targets(expand({}, "bob", sys)), (std::vector<std::string>{"bob:/var/mail/bob"}));
    sys.forwards["bob"] = "\n# nothing\n";
    EXPECT_EQ(targets(expand({}, "bob", sys)), (std::vector<std::string>{"bob:/var/mail/bob"}));
}

TEST(Forward, FilesAndCommandsRunAsTheUser) {
    FakeSystem sys;
    sys.forwards["bob"] = "|/usr/bin/procmail\n/home/bob/archive\n:include:/etc/ignored\n";
    Resolution const r = expand({}, "bob", sys);
    EXPECT_EQ(targets(r),
              (std::vector<std::string>{"bob:/usr/bin/procmail", "bob:/home/bob/archive"}));
    ASSERT_EQ(r.destinations.size(), 2U);
    EXPECT_EQ(r.destinations[0].user.uid, 1000U);
}

TEST(Forward, RootMayNotRunCommandsAndBadFilesFailTemporarily) {
    FakeSystem sys;
    sys.forwards["root"] = "|/bin/sh -c evil\n";
    EXPECT_EQ(expand({}, "root", sys).verdict, Verdict::TempFail);
    sys.forwards["root"] = "/etc/passwd\n";
    EXPECT_EQ(expand({}, "root", sys).verdict, Verdict::TempFail);
    sys.forwards["bob"] = "alice\nno such form\n";
    EXPECT_EQ(expand({}, "bob", sys).verdict, Verdict::TempFail);
}

TEST(Forward, AliasesComeFirstAndForwardLoopsEnd) {
    FakeSystem sys;
    sys.forwards["bob"] = "alice\n";
    sys.forwards["alice"] = "bob\n";
    EXPECT_EQ(expand({}, "bob", sys).verdict, Verdict::UnknownUser);
    EXPECT_EQ(targets(expand({{"bob", "\\alice"}}, "bob", sys)),
              (std::vector<std::string>{"alice:/var/mail/alice"}));
}

TEST(Virtual, KeysAndValues) {
    conf::Action a = action("v");
    a.virtual_table = "virt";
    a.path = "/vmail/%{dest.domain}/%{user.username}";
    auto const r = make_resolver(
        local_config({a}, {map_table("virt", {{"info@mx.example", "bob, carol@mx.example"},
                                              {"carol", "alice"},
                                              {"@mx.example", "vmail"},
                                              {"sales", "alice"}})}));
    EXPECT_EQ(
        targets(r.resolve("info", "mx.example", false)),
        (std::vector<std::string>{"bob:/vmail/mx.example/bob", "alice:/vmail/mx.example/alice"}));
    EXPECT_EQ(targets(r.resolve("sales", "mx.example", false)),
              (std::vector<std::string>{"alice:/vmail/mx.example/alice"}));
    EXPECT_EQ(targets(r.resolve("x", "mx.example", false)),
              (std::vector<std::string>{"vmail:/vmail/mx.example/vmail"}));
    EXPECT_EQ(r.resolve("x", "localhost", false).verdict, Verdict::UnknownUser);
}

} // namespace
} // namespace smtpd::rt
