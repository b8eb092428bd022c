// Recipient resolution over match rules and virtual tables with the system's users, and each
// delivery method's Destination (maildir, mbox, lmtp, mda, forward-only) with a fake system:
// the run-as user, the userbase table, the `user` option; a relay action (a 4xx until the MTA
// exists). Alias expansion: aliases_test.cpp.
#include "lookup/recipients.hpp"

#include "conf/conf.hpp"

#include "recipients_support.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace smtpd::rt {
namespace {

using Kind = sm::RcptVerdict::Kind;
using Method = conf::Action::Method;
using testing::action;
using testing::FakeSystem;
using testing::local_config;
using testing::make_resolver;
using testing::map_table;

conf::Config catch_all_config(std::string const& user) {
    conf::Action a = action("local");
    a.path = "/srv/mail/%{user.username}/Maildir";
    a.virtual_table = "vusers";
    return local_config({a}, {map_table("vusers", {{"@", user}})});
}

Destination only(Resolution const& r) {
    EXPECT_EQ(r.verdict, Kind::Accepted) << r.reason;
    EXPECT_EQ(r.destinations.size(), 1U);
    return r.destinations.empty() ? Destination{} : r.destinations[0];
}

TEST(Recipients, AcceptsAnyUserOfALocalDomainThroughACatchAll) {
    auto r = Recipients::create(catch_all_config("root"), "mx.example");
    ASSERT_TRUE(r) << r.error().message;
    Destination const d = only(r.value().resolve("anyone", "mx.example", false));
    EXPECT_EQ(d.user.name, "root");
    EXPECT_EQ(d.user.uid, 0U);
    EXPECT_EQ(d.method, DeliveryMethod::Maildir);
    EXPECT_EQ(d.target, "/srv/mail/root/Maildir");
    EXPECT_EQ(d.recipient, "anyone@mx.example");
    EXPECT_EQ(d.action, "local");
    EXPECT_EQ(r.value().resolve("x", "LOCALHOST", false).verdict, Kind::Accepted);
}

TEST(Recipients, DeniesRelayingToOtherDomains) {
    auto r = Recipients::create(catch_all_config("root"), "mx.example");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().resolve("a", "elsewhere.example", false).verdict, Kind::RelayDenied);
}

TEST(Recipients, UnknownSystemUserIsRejected) {
    conf::Config c = catch_all_config("root");
    c.actions[0].virtual_table.reset();
    auto r = Recipients::create(c, "mx.example");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().resolve("no-such-user-smtpd-test", "localhost", false).verdict,
              Kind::UnknownUser);
    EXPECT_EQ(r.value().resolve("root+tag", "localhost", false).verdict, Kind::Accepted);
    EXPECT_EQ(r.value().resolve("Postmaster", "localhost", false).verdict, Kind::Accepted);
}

TEST(Recipients, FromLocalRulesIgnoreRemoteClients) {
    conf::Config c = catch_all_config("root");
    c.matches[0].from.kind = conf::MatchFrom::Kind::Local;
    auto r = Recipients::create(c, "mx.example");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().resolve("a", "localhost", true).verdict, Kind::Accepted);
    EXPECT_EQ(r.value().resolve("a", "localhost", false).verdict, Kind::RelayDenied);
}

// RFC 5321 §4.5.1: postmaster at a local domain, whatever the rules say.
TEST(Recipients, PostmasterIsAcceptedWhateverTheRules) {
    conf::Config c = catch_all_config("root");
    c.matches[0].from.kind = conf::MatchFrom::Kind::Local; // remote clients match no rule
    auto r = Recipients::create(c, "mx.example");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().resolve("a", "mx.example", false).verdict, Kind::RelayDenied);
    EXPECT_EQ(r.value().resolve("POSTMASTER", "mx.example", false).verdict, Kind::Accepted);
    EXPECT_EQ(r.value().resolve("postmaster", "elsewhere.example", false).verdict,
              Kind::RelayDenied);
}

TEST(Recipients, RejectRuleAnswersInvalidRecipientButNotToPostmaster) {
    conf::Config c = catch_all_config("root");
    conf::Match reject = c.matches[0];
    reject.reject = true;
    reject.action.clear();
    c.matches.insert(c.matches.begin(), reject);
    auto r = Recipients::create(c, "mx.example");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().resolve("a", "localhost", false).verdict, Kind::UnknownUser);
    EXPECT_EQ(r.value().resolve("Postmaster", "localhost", false).verdict, Kind::Accepted);
}

TEST(Recipients, AddressCannotSteerTheMaildirPath) {
    conf::Config c = catch_all_config("root");
    c.actions[0].path = "/srv/mail/%{rcpt.user}";
    auto r = Recipients::create(c, "mx.example");
    ASSERT_TRUE(r) << r.error().message;
    Resolution const res = r.value().resolve("../../etc", "localhost", false);
    EXPECT_EQ(res.verdict, Kind::TempFail);
    EXPECT_TRUE(res.destinations.empty());
}

TEST(Recipients, MissingTableFileIsAConfigError) {
    conf::Config c = catch_all_config("root");
    c.tables[0].source = conf::Table::Source::File;
    c.tables[0].path = "/nonexistent/smtpd-table";
    c.tables[0].where = {"smtpd.conf", 3, 1};
    auto r = Recipients::create(c, "mx.example");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("smtpd.conf:3:1: ", 0), 0U) << r.error().message;
}

TEST(ResolverMethods, MaildirDefaultsToTheHomeAndKeepsJunk) {
    conf::Action a = action("m");
    a.junk = true;
    Destination const d = only(make_resolver(local_config({a})).resolve("Bob", "localhost", false));
    EXPECT_EQ(d.target, "/home/bob/Maildir");
    EXPECT_TRUE(d.junk);
    EXPECT_EQ(d.user, (UserInfo{"bob", "/home/bob", 1000, 1000}));
    EXPECT_EQ(d.recipient, "Bob@localhost");
}

TEST(ResolverMethods, MaildirPathSeesRcptAndDest) {
    conf::Action a = action("m");
    a.path = "/v/%{dest.domain}/%{dest.user}/%{rcpt.user}";
    Destination const d =
        only(make_resolver(local_config({a})).resolve("bob", "mx.example", false));
    EXPECT_EQ(d.target, "/v/mx.example/bob/bob");
}

TEST(ResolverMethods, MboxIsTheUsersSpoolFile) {
    Destination const d = only(make_resolver(local_config({action("m", Method::Mbox)}))
                                   .resolve("alice", "localhost", false));
    EXPECT_EQ(d.method, DeliveryMethod::Mbox);
    EXPECT_EQ(d.target, "/var/mail/alice");
    EXPECT_EQ(d.user.name, "alice");
}

TEST(ResolverMethods, LmtpKeepsTheDestinationAndRcptTo) {
    conf::Action a = action("l", Method::Lmtp);
    a.destination = "/run/dovecot/lmtp";
    a.rcpt_to = true;
    Destination const d = only(make_resolver(local_config({a})).resolve("bob", "localhost", false));
    EXPECT_EQ(d.method, DeliveryMethod::Lmtp);
    EXPECT_EQ(d.target, "/run/dovecot/lmtp");
    EXPECT_TRUE(d.lmtp_rcpt_to);
}

TEST(ResolverMethods, MdaKeepsTheCommandUnexpanded) {
    conf::Action a = action("p", Method::Mda);
    a.command = "/usr/bin/procmail -f %{sender} -a %{rcpt.user}";
    Destination const d = only(make_resolver(local_config({a})).resolve("bob", "localhost", false));
    EXPECT_EQ(d.method, DeliveryMethod::Mda);
    EXPECT_EQ(d.target, "/usr/bin/procmail -f %{sender} -a %{rcpt.user}");
}

TEST(ResolverMethods, UserOptionRunsEveryDeliveryAsThatUser) {
    conf::Action a = action("v");
    a.user = "vmail";
    a.path = "%{user.directory}/%{dest.user}";
    FakeSystem sys;
    sys.forwards["bob"] = "alice";
    Destination const d =
        only(make_resolver(local_config({a}), sys).resolve("bob", "localhost", false));
    EXPECT_EQ(d.user.name, "vmail"); // and bob's ~/.forward is not read
    EXPECT_EQ(d.target, "/var/vmail/bob");
    a.user = "nobody-here";
    EXPECT_EQ(make_resolver(local_config({a}), sys).resolve("bob", "localhost", false).verdict,
              Kind::TempFail);
}

TEST(ResolverUserbase, UsersComeFromTheTable) {
    conf::Action a = action("m");
    a.userbase_table = "users";
    auto const r =
        make_resolver(local_config({a}, {map_table("users", {{"carol", "3000:3001:/srv/carol"},
                                                             {"dave", "x:1:/srv/dave"},
                                                             {"erin", "1:2:relative"},
                                                             {"frank", "1:2"},
                                                             {"gina", "4294967296:1:/g"}})}));
    Destination const d = only(r.resolve("carol", "localhost", false));
    EXPECT_EQ(d.user, (UserInfo{"carol", "/srv/carol", 3000, 3001}));
    EXPECT_EQ(d.target, "/srv/carol/Maildir");
    EXPECT_EQ(r.resolve("bob", "localhost", false).verdict, Kind::UnknownUser); // not getpwnam
    for (char const* bad : {"dave", "erin", "frank", "gina"}) {
        EXPECT_EQ(r.resolve(bad, "localhost", false).verdict, Kind::TempFail) << bad;
    }
}

TEST(ResolverForwardOnly, AcceptsOnlyAddresses) {
    conf::Action fwd = action("fwd", Method::ForwardOnly);
    fwd.alias_table = "aliases";
    conf::Action mbox = action("mbox", Method::Mbox);
    conf::Config c = local_config(
        {fwd, mbox}, {map_table("aliases", {{"list", "bob@lists.example, alice@lists.example"},
                                            {"bobby", "bob"},
                                            {"log", "/var/log/mail"}})});
    conf::Match lists;
    lists.from.kind = conf::MatchFrom::Kind::Local;
    lists.for_ = {conf::MatchFor::Kind::Domain, "lists.example", {}};
    lists.action = "mbox";
    c.matches.push_back(lists);
    auto const r = make_resolver(c);
    Resolution const ok = r.resolve("list", "localhost", false);
    ASSERT_EQ(ok.verdict, Kind::Accepted) << ok.reason;
    ASSERT_EQ(ok.destinations.size(), 2U);
    EXPECT_EQ(ok.destinations[0].action, "mbox");
    EXPECT_EQ(ok.destinations[0].target, "/var/mail/bob");
    EXPECT_EQ(ok.destinations[1].target, "/var/mail/alice");
    EXPECT_EQ(ok.destinations[1].recipient, "list@localhost");
    // lka_session.c: anything local on a forward-only rule is a temporary failure.
    for (char const* local : {"bobby", "bob", "log"}) {
        EXPECT_EQ(r.resolve(local, "localhost", false).verdict, Kind::TempFail) << local;
    }
}

// parse.y/lka_session.c: expand-only delivers what an alias or ~/.forward names (addresses matched
// again, files, commands) and refuses, permanently, a recipient that ends at a user.
TEST(ResolverExpandOnly, AcceptsWhatAliasesNameButNoUser) {
    conf::Action exp = action("exp", Method::ExpandOnly);
    exp.alias_table = "aliases";
    conf::Action mbox = action("mbox", Method::Mbox);
    conf::Config c = local_config({exp, mbox}, {map_table("aliases", {{"list", "bob@lists.example"},
                                                                      {"bobby", "bob"},
                                                                      {"log", "/var/log/mail"}})});
    conf::Match lists;
    lists.from.kind = conf::MatchFrom::Kind::Local;
    lists.for_ = {conf::MatchFor::Kind::Domain, "lists.example", {}};
    lists.action = "mbox";
    c.matches.push_back(lists);
    auto const r = make_resolver(c);
    Destination const listed = only(r.resolve("list", "localhost", false));
    EXPECT_EQ(listed.action, "mbox");
    EXPECT_EQ(listed.target, "/var/mail/bob");
    Destination const file = only(r.resolve("log", "localhost", false));
    EXPECT_EQ(file.method, DeliveryMethod::Mbox);
    EXPECT_EQ(file.target, "/var/log/mail");
    for (char const* user : {"bobby", "bob"}) {
        Resolution const refused = r.resolve(user, "localhost", false);
        EXPECT_EQ(refused.verdict, Kind::UnknownUser) << user;
        EXPECT_NE(refused.reason.find("expand-only"), std::string::npos) << refused.reason;
    }
}

// A recipient routed to a relay action, directly or through an alias (matched again as local
// mail), is queued for the MTA with no user; a remote client finds no rule for a remote domain:
// we are no open relay.
TEST(ResolverRelay, ARelayActionQueuesTheAddressForTheMta) {
    auto parsed = conf::parse_config("table aliases { bob = \"bob@remote.example\", root = bob }\n"
                                     "action \"local\" mbox alias <aliases>\n"
                                     "action \"relay\" relay\n"
                                     "match from local for local action \"local\"\n"
                                     "match from local for any action \"relay\"\n",
                                     "smtpd.conf");
    ASSERT_TRUE(parsed.ok()) << parsed.errors.at(0).to_string();
    auto const r = make_resolver(*parsed.config);
    Destination const remote = only(r.resolve("alice", "remote.example", true));
    EXPECT_EQ(remote.method, DeliveryMethod::Relay);
    EXPECT_EQ(remote.action, "relay");
    EXPECT_EQ(remote.recipient, "alice@remote.example");
    EXPECT_EQ(remote.dest, "");
    EXPECT_EQ(remote.user.name, "");
    Destination const aliased = only(r.resolve("bob", "localhost", true));
    EXPECT_EQ(aliased.method, DeliveryMethod::Relay);
    EXPECT_EQ(aliased.recipient, "bob@localhost");
    EXPECT_EQ(aliased.dest, "bob@remote.example");
    EXPECT_EQ(r.resolve("alice", "remote.example", false).verdict, Kind::RelayDenied);
    EXPECT_EQ(only(r.resolve("alice", "localhost", true)).target, "/var/mail/alice");
}

} // namespace
} // namespace smtpd::rt
