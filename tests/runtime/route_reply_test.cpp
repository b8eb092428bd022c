// The lookup role's answer to ResolveRoute (runtime/lookup/route_reply), without a process or a
// nameserver: MX and address answers in, through mx_route and destinations, to the exact
// RouteResolved the dispatcher gets (order, preferences, addresses as text; for failures the
// permanence, enhanced status code and one-line reason); our names from the configuration.
#include "dns/dns_error.hpp"
#include "lookup/route_reply.hpp"

#include <gtest/gtest.h>

namespace smtpd::rt {
namespace {

using boost::asio::ip::make_address;
using Addresses = std::vector<boost::asio::ip::address>;

/// mx_route on `mx`, then destinations on `answers` (one per host of the route), then the reply.
ipc::RouteResolved reply_for(std::string const& domain, dns::MxAnswer const& mx,
                             std::vector<dns::HostAnswers> const& answers,
                             dns::RoutePolicy const& policy = {}) {
    auto const route = dns::mx_route(domain, mx, policy, [] { return std::uint64_t{0}; });
    if (!route) {
        return route_reply(42, route.error());
    }
    auto found = dns::destinations(route.value(), answers);
    if (!found) {
        return route_reply(42, found.error());
    }
    return route_reply(42, dns::FoundRoute{route.value(), std::move(found).value()});
}

dns::HostAnswers host(Addresses aaaa, Addresses a) {
    return {std::move(aaaa), std::move(a)};
}

TEST(RouteReply, DestinationsInRouteOrderWithPreferencesAndTextAddresses) {
    auto const reply =
        reply_for("Example.ORG",
                  std::vector<dns::MxRecord>{{20, "mx2.example.org"}, {10, "MX1.example.org."}},
                  {host({make_address("2001:db8::1")}, {make_address("192.0.2.1")}),
                   host({}, {make_address("192.0.2.2"), make_address("192.0.2.1")})});
    ipc::RouteResolved const expected{42,
                                      true,
                                      {{"mx1.example.org", 10, "2001:db8::1"},
                                       {"mx1.example.org", 10, "192.0.2.1"},
                                       {"mx2.example.org", 20, "192.0.2.2"}},
                                      false,
                                      "",
                                      ""};
    EXPECT_EQ(reply, expected);
}

TEST(RouteReply, ImplicitMxIsTheDomainAtPreferenceZero) {
    auto const reply = reply_for("implicit.example", std::vector<dns::MxRecord>{},
                                 {host({}, {make_address("192.0.2.7")})});
    EXPECT_EQ(reply, (ipc::RouteResolved{
                         42, true, {{"implicit.example", 0, "192.0.2.7"}}, false, "", ""}));
}

TEST(RouteReply, AddressLiteralNeedsNoAnswer) {
    auto const reply = reply_for("[IPv6:2001:db8::25]", std::vector<dns::MxRecord>{}, {});
    EXPECT_EQ(reply,
              (ipc::RouteResolved{42, true, {{"2001:db8::25", 0, "2001:db8::25"}}, false, "", ""}));
}

TEST(RouteReply, NullMxIsPermanent5110) {
    auto const reply = reply_for("nullmx.example", std::vector<dns::MxRecord>{{0, "."}}, {});
    EXPECT_EQ(
        reply,
        (ipc::RouteResolved{
            42, false, {}, true, "5.1.10", "nullmx.example: null MX: the domain accepts no mail"}));
}

TEST(RouteReply, NxDomainIsPermanentServFailTemporary) {
    auto const nx = reply_for("gone.example",
                              dns::MxAnswer(failure(dns::DnsErrc::NxDomain, "no such name")), {});
    EXPECT_FALSE(nx.ok);
    EXPECT_TRUE(nx.permanent);
    EXPECT_EQ(nx.status, "5.1.2");
    EXPECT_EQ(nx.reason, "gone.example: MX lookup: no such name");
    auto const sf = reply_for("servfail.example", dns::MxAnswer(dns::DnsErrc::ServFail), {});
    EXPECT_FALSE(sf.ok);
    EXPECT_FALSE(sf.permanent);
    EXPECT_EQ(sf.status, "4.4.3");
}

TEST(RouteReply, AddressLookupsThatFailTemporarilyAreTemporary) {
    auto const reply = reply_for("example.net", std::vector<dns::MxRecord>{{10, "mx.example.net"}},
                                 {dns::HostAnswers{dns::DnsErrc::Timeout, dns::DnsErrc::Timeout}});
    EXPECT_FALSE(reply.ok);
    EXPECT_FALSE(reply.permanent);
    EXPECT_EQ(reply.status, "4.4.3");
    EXPECT_TRUE(reply.destinations.empty());
}

TEST(RouteReply, ReasonIsOneLine) {
    auto const reply = route_reply(7, failure(dns::DnsErrc::ServFail, "a\r\nb\tc"));
    EXPECT_EQ(reply, (ipc::RouteResolved{7, false, {}, false, "4.4.3", "a  b c"}));
}

TEST(RouteReply, BackupMxNameCountsAsOurs) {
    std::vector<dns::MxRecord> const mx{
        {10, "primary.example"}, {20, "backup.example"}, {30, "last.example"}};
    ipc::ResolveRoute const request{1, "example.com", "BACKUP.example"};
    auto const policy = route_policy({"mail.example"}, request);
    auto const reply =
        reply_for("example.com", mx, {host({}, {make_address("192.0.2.10")})}, policy);
    EXPECT_EQ(reply, (ipc::RouteResolved{
                         42, true, {{"primary.example", 10, "192.0.2.10"}}, false, "", ""}));
    // Without the backup name, every MX stays.
    EXPECT_FALSE(route_policy({"mail.example"}, ipc::ResolveRoute{1, "example.com", ""}).backup_mx);
}

TEST(RouteReply, WeAreTheBestMxIsALoop546) {
    ipc::ResolveRoute const request{1, "example.com", ""};
    auto const reply = reply_for("example.com", std::vector<dns::MxRecord>{{10, "mail.example"}},
                                 {}, route_policy({"mail.example"}, request));
    EXPECT_FALSE(reply.ok);
    EXPECT_TRUE(reply.permanent);
    EXPECT_EQ(reply.status, "5.4.6");
}

TEST(RouteReply, OurNamesAreTheHostAndEveryListenerHostnameOnce) {
    conf::Config config;
    config.listeners.resize(3);
    config.listeners[0].hostname = "mx.example";
    config.listeners[2].hostname = "host.example";
    EXPECT_EQ(our_names(config, "host.example"),
              (std::vector<std::string>{"host.example", "mx.example"}));
}

} // namespace
} // namespace smtpd::rt
