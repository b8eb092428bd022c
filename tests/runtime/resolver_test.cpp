// Recipient resolution over match rules and virtual tables, with the current system user.
#include "lookup/resolver.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace smtpd::rt {
namespace {

using Kind = sm::RcptVerdict::Kind;

conf::Config catch_all_config(std::string const& user) {
    conf::Config c;
    conf::Table t;
    t.name = "vusers";
    t.map = {{"@", user}};
    c.tables.push_back(t);
    conf::Action a;
    a.name = "local";
    a.path = "/srv/mail/%{user.username}/Maildir";
    a.virtual_table = "vusers";
    c.actions.push_back(a);
    conf::Match m;
    m.from.kind = conf::MatchFrom::Kind::Any;
    m.for_.kind = conf::MatchFor::Kind::Local;
    m.action = "local";
    c.matches.push_back(m);
    return c;
}

TEST(Resolver, AcceptsAnyUserOfALocalDomainThroughACatchAll) {
    std::string err;
    auto r = Resolver::create(catch_all_config("root"), "mx.example", err);
    ASSERT_TRUE(r) << err;
    auto const res = r->resolve("anyone", "mx.example", false);
    EXPECT_EQ(res.verdict, Kind::Accepted);
    ASSERT_TRUE(res.destination);
    EXPECT_EQ(res.destination->user, "root");
    EXPECT_EQ(res.destination->maildir, "/srv/mail/root/Maildir");
    EXPECT_EQ(r->resolve("x", "LOCALHOST", false).verdict, Kind::Accepted);
}

TEST(Resolver, DeniesRelayingToOtherDomains) {
    std::string err;
    auto r = Resolver::create(catch_all_config("root"), "mx.example", err);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->resolve("a", "elsewhere.example", false).verdict, Kind::RelayDenied);
}

TEST(Resolver, UnknownSystemUserIsRejected) {
    conf::Config c = catch_all_config("root");
    c.actions[0].virtual_table.reset();
    std::string err;
    auto r = Resolver::create(c, "mx.example", err);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->resolve("no-such-user-smtpd-test", "localhost", false).verdict, Kind::UnknownUser);
    EXPECT_EQ(r->resolve("root+tag", "localhost", false).verdict, Kind::Accepted);
    EXPECT_EQ(r->resolve("Postmaster", "localhost", false).verdict, Kind::Accepted);
}

TEST(Resolver, FromLocalRulesIgnoreRemoteClients) {
    conf::Config c = catch_all_config("root");
    c.matches[0].from.kind = conf::MatchFrom::Kind::Local;
    std::string err;
    auto r = Resolver::create(c, "mx.example", err);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->resolve("a", "localhost", true).verdict, Kind::Accepted);
    EXPECT_EQ(r->resolve("a", "localhost", false).verdict, Kind::RelayDenied);
}

TEST(Resolver, AddressCannotSteerTheMaildirPath) {
    conf::Config c = catch_all_config("root");
    c.actions[0].path = "/srv/mail/%{rcpt.user}";
    std::string err;
    auto r = Resolver::create(c, "mx.example", err);
    ASSERT_TRUE(r);
    EXPECT_NE(r->resolve("../../etc", "localhost", false).verdict, Kind::Accepted);
}

TEST(Resolver, MissingTableFileIsAConfigError) {
    conf::Config c = catch_all_config("root");
    c.tables[0].source = conf::Table::Source::File;
    c.tables[0].path = "/nonexistent/smtpd-table";
    c.tables[0].where = {"smtpd.conf", 3, 1};
    std::string err;
    EXPECT_FALSE(Resolver::create(c, "mx.example", err));
    EXPECT_EQ(err.rfind("smtpd.conf:3:1: ", 0), 0U) << err;
}

} // namespace
} // namespace smtpd::rt
