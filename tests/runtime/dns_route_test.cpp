// The MX route (runtime/dns/mx_route): RFC 5321 §5.1 order and implicit MX, RFC 7505 null MX,
// MX records naming us or localhost, address literals, the permanence of each failure, and the
// destinations (every address of every host, in order); a property over random MX sets: the
// route is ascending by preference, a permutation of the usable records, and every order of a
// tie is reachable by some random source.
#include "dns/dns_error.hpp"
#include "dns/mx_route.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace smtpd::rt::dns {
namespace {

using boost::asio::ip::make_address;

RandomSource const kFirst = [] { return std::uint64_t{0}; };

std::vector<std::string> names(Route const& route) {
    std::vector<std::string> out;
    out.reserve(route.hosts.size());
    for (auto const& h : route.hosts) {
        out.push_back(h.name);
    }
    return out;
}

Result<Route> route(std::string_view domain, std::vector<MxRecord> records,
                    RoutePolicy const& policy = {}) {
    return mx_route(domain, MxAnswer(std::move(records)), policy, kFirst);
}

void expect_failure(Result<Route> const& r, DnsErrc code, std::string_view status, bool permanent) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, make_error_code(code)) << r.error().message;
    EXPECT_EQ(enhanced_status(r.error().code), status);
    EXPECT_EQ(is_permanent(r.error().code), permanent);
}

TEST(MxRoute, OrdersByPreferenceAscending) {
    auto const r = route("Example.COM.",
                         {{30, "c.example.com"}, {10, "A.example.com."}, {20, "b.example.com"}});
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(names(r.value()),
              (std::vector<std::string>{"a.example.com", "b.example.com", "c.example.com"}));
    EXPECT_FALSE(r.value().implicit);
}

TEST(MxRoute, NoMxRecordsIsTheImplicitMxOfTheDomain) {
    auto const r = route("Implicit.Example", {});
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r.value().implicit);
    EXPECT_EQ(r.value().hosts, (std::vector<RouteHost>{{"implicit.example", 0}}));
}

TEST(MxRoute, NullMxIsPermanent5110) {
    expect_failure(route("nullmx.example", {{0, ""}}), DnsErrc::NullMx, "5.1.10", true);
}

TEST(MxRoute, NullMxBesideOtherRecordsIsNotAHost) {
    auto const r = route("d.example", {{0, ""}, {10, "mx.d.example"}});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(names(r.value()), std::vector<std::string>{"mx.d.example"});
}

TEST(MxRoute, MxNamingLocalhostIsPermanent544) {
    expect_failure(route("d.example", {{10, "localhost"}, {20, "a.localhost"}}),
                   DnsErrc::MxIsLocalhost, "5.4.4", true);
}

TEST(MxRoute, LocalhostBesideARealMxIsDropped) {
    auto const r = route("d.example", {{10, "localhost"}, {20, "mx.d.example"}});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(names(r.value()), std::vector<std::string>{"mx.d.example"});
}

TEST(MxRoute, RecordsOfOurPreferenceOrWorseAreDropped) {
    RoutePolicy const us{{"Me.Example."}, std::nullopt};
    auto const r = route(
        "d.example",
        {{5, "best.example"}, {10, "peer.example"}, {10, "me.example"}, {20, "worse.example"}}, us);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(names(r.value()), std::vector<std::string>{"best.example"});
}

TEST(MxRoute, BeingTheBestMxIsALoop546) {
    RoutePolicy const us{{"me.example"}, std::nullopt};
    expect_failure(route("d.example", {{10, "me.example"}, {20, "other.example"}}, us),
                   DnsErrc::MxLoop, "5.4.6", true);
}

TEST(MxRoute, BackupMxNameCountsAsOurs) {
    RoutePolicy const backup{{"host.example"}, "backup.example"};
    auto const r = route("d.example", {{10, "primary.example"}, {20, "backup.example"}}, backup);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(names(r.value()), std::vector<std::string>{"primary.example"});
    expect_failure(route("d.example", {{20, "backup.example"}}, backup), DnsErrc::MxLoop, "5.4.6",
                   true);
}

TEST(MxRoute, ImplicitMxThatIsUsIsALoop) {
    RoutePolicy const us{{"me.example"}, std::nullopt};
    expect_failure(route("me.example", {}, us), DnsErrc::MxLoop, "5.4.6", true);
}

TEST(MxRoute, HostNamedTwiceKeepsItsBestPreference) {
    auto const r = route("d.example", {{20, "a.example"}, {10, "a.example"}, {15, "b.example"}});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r.value().hosts, (std::vector<RouteHost>{{"a.example", 10}, {"b.example", 15}}));
}

TEST(MxRoute, NxDomainIsPermanentAndServFailTemporary) {
    MxAnswer const nx = failure(DnsErrc::NxDomain, "nx");
    expect_failure(mx_route("nx.example", nx, {}, kFirst), DnsErrc::NxDomain, "5.1.2", true);
    MxAnswer const servfail = failure(DnsErrc::ServFail, "servfail");
    expect_failure(mx_route("s.example", servfail, {}, kFirst), DnsErrc::ServFail, "4.4.3", false);
    MxAnswer const timeout = failure(DnsErrc::Timeout, "slow");
    expect_failure(mx_route("s.example", timeout, {}, kFirst), DnsErrc::Timeout, "4.4.3", false);
}

TEST(MxRoute, AddressLiteralsRouteToTheirAddress) {
    MxAnswer const unused = failure(DnsErrc::ServFail, "never asked");
    auto const v4 = mx_route("[192.0.2.1]", unused, {}, kFirst);
    ASSERT_TRUE(v4.has_value());
    EXPECT_EQ(v4.value().literal, make_address("192.0.2.1"));
    EXPECT_TRUE(v4.value().hosts.empty());
    auto const v6 = mx_route("[IPv6:2001:db8::1]", unused, {}, kFirst);
    ASSERT_TRUE(v6.has_value());
    EXPECT_EQ(v6.value().literal, make_address("2001:db8::1"));
    for (std::string_view bad :
         {"[]", "[192.0.2]", "[2001:db8::1]", "[IPv6:192.0.2.1x]", "[x-tag:abc]", "[192.0.2.1"}) {
        expect_failure(mx_route(bad, unused, {}, kFirst), DnsErrc::BadDomain, "5.1.2", true);
    }
}

TEST(MxRoute, EmptyDomainIsRefused) {
    expect_failure(route("", {{10, "a.example"}}), DnsErrc::BadDomain, "5.1.2", true);
    expect_failure(route(".", {{10, "a.example"}}), DnsErrc::BadDomain, "5.1.2", true);
}

std::vector<boost::asio::ip::address> addrs(std::initializer_list<char const*> list) {
    std::vector<boost::asio::ip::address> out;
    for (char const* a : list) {
        out.push_back(make_address(a));
    }
    return out;
}

TEST(MxDestinations, EveryAddressOfEveryHostInOrderIpv6First) {
    Route const r{{{"a.example", 10}, {"b.example", 20}}, std::nullopt, false};
    std::vector<HostAnswers> const answers{
        {addrs({"2001:db8::a"}), addrs({"192.0.2.10", "192.0.2.11"})},
        {addrs({}), addrs({"192.0.2.20", "192.0.2.10"})}};
    auto const d = destinations(r, answers);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d.value(), (std::vector<Destination>{{"a.example", make_address("2001:db8::a")},
                                                   {"a.example", make_address("192.0.2.10")},
                                                   {"a.example", make_address("192.0.2.11")},
                                                   {"b.example", make_address("192.0.2.20")}}));
}

TEST(MxDestinations, AFailedHostIsSkipped) {
    Route const r{{{"a.example", 10}, {"b.example", 20}}, std::nullopt, false};
    std::vector<HostAnswers> const answers{
        {failure(DnsErrc::ServFail, "x"), failure(DnsErrc::Timeout, "y")},
        {failure(DnsErrc::NxDomain, "z"), addrs({"192.0.2.20"})}};
    auto const d = destinations(r, answers);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d.value(), (std::vector<Destination>{{"b.example", make_address("192.0.2.20")}}));
}

TEST(MxDestinations, NoAddressAnywhereIsPermanentUnlessALookupFailedTemporarily) {
    Route const r{{{"a.example", 10}, {"b.example", 20}}, std::nullopt, false};
    std::vector<HostAnswers> const none{{addrs({}), addrs({})},
                                        {failure(DnsErrc::NxDomain, "z"), addrs({})}};
    auto const permanent = destinations(r, none);
    ASSERT_FALSE(permanent.has_value());
    EXPECT_EQ(permanent.error().code, make_error_code(DnsErrc::NoAddress));
    EXPECT_TRUE(is_permanent(permanent.error().code));
    std::vector<HostAnswers> const temp{{addrs({}), failure(DnsErrc::ServFail, "down")},
                                        {addrs({}), addrs({})}};
    auto const temporary = destinations(r, temp);
    ASSERT_FALSE(temporary.has_value());
    EXPECT_EQ(temporary.error().code, make_error_code(DnsErrc::ServFail));
    EXPECT_FALSE(is_permanent(temporary.error().code));
}

TEST(MxDestinations, AddressLiteralIsItsOwnDestination) {
    Route const r{{}, make_address("192.0.2.1"), false};
    auto const d = destinations(r, {});
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d.value(), (std::vector<Destination>{{"192.0.2.1", make_address("192.0.2.1")}}));
}

// Random MX sets: small preferences (many ties) and a small name space (duplicates).
std::vector<MxRecord> random_records() {
    auto const count = *rc::gen::inRange<std::size_t>(1, 12);
    std::vector<MxRecord> records;
    for (std::size_t i = 0; i < count; ++i) {
        auto const preference = *rc::gen::inRange<std::uint16_t>(0, 4);
        auto const host = *rc::gen::inRange(0, 8);
        records.push_back(MxRecord{preference, "h" + std::to_string(host) + ".example"});
    }
    return records;
}

RC_GTEST_PROP(MxRouteProps, AscendingAndAPermutationOfTheBestRecordPerHost, (std::uint64_t seed)) {
    auto const records = random_records();
    std::uint64_t state = seed;
    RandomSource const random = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return state >> 33U;
    };
    auto const r = mx_route("d.example", MxAnswer(records), {}, random);
    RC_ASSERT(r.has_value());
    auto const& hosts = r.value().hosts;
    RC_ASSERT(std::is_sorted(hosts.begin(), hosts.end(), [](auto const& x, auto const& y) {
        return x.preference < y.preference;
    }));
    std::map<std::string, std::uint16_t> best;
    for (auto const& m : records) {
        auto const it = best.find(m.exchange);
        best[m.exchange] = it == best.end() ? m.preference : std::min(it->second, m.preference);
    }
    std::map<std::string, std::uint16_t> got;
    for (auto const& h : hosts) {
        RC_ASSERT(got.emplace(h.name, h.preference).second);
    }
    RC_ASSERT(got == best);
}

RC_GTEST_PROP(MxRouteProps, EveryOrderOfATieIsReachable, ()) {
    auto const count = *rc::gen::inRange<std::size_t>(2, 5);
    std::vector<MxRecord> records;
    for (std::size_t i = 0; i < count; ++i) {
        records.push_back(MxRecord{10, "h" + std::to_string(i) + ".example"});
    }
    std::set<std::vector<std::string>> orders;
    std::uint64_t state = *rc::gen::arbitrary<std::uint64_t>();
    RandomSource const random = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return state >> 33U;
    };
    std::size_t factorial = 1;
    for (std::size_t i = 2; i <= count; ++i) {
        factorial *= i;
    }
    for (int round = 0; round < 2000 && orders.size() < factorial; ++round) {
        auto const r = mx_route("d.example", MxAnswer(records), {}, random);
        RC_ASSERT(r.has_value());
        orders.insert(names(r.value()));
    }
    RC_ASSERT(orders.size() == factorial);
}

RC_GTEST_PROP(MxRouteProps, NothingOfOurPreferenceOrWorseSurvives, (std::uint64_t seed)) {
    auto const records = random_records();
    std::string const us = "h" + std::to_string(*rc::gen::inRange(0, 8)) + ".example";
    std::uint64_t state = seed;
    RandomSource const random = [&state] { return state++; };
    auto const r =
        mx_route("d.example", MxAnswer(records), RoutePolicy{{us}, std::nullopt}, random);
    auto const mine = std::find_if(records.begin(), records.end(),
                                   [&](MxRecord const& m) { return m.exchange == us; });
    if (mine == records.end()) {
        RC_ASSERT(r.has_value());
        return;
    }
    std::uint16_t ours = mine->preference;
    for (auto const& m : records) {
        if (m.exchange == us) {
            ours = std::min(ours, m.preference);
        }
    }
    if (!r) {
        RC_ASSERT(r.error().code == make_error_code(DnsErrc::MxLoop));
        RC_ASSERT(std::none_of(records.begin(), records.end(),
                               [&](MxRecord const& m) { return m.preference < ours; }));
        return;
    }
    for (auto const& h : r.value().hosts) {
        RC_ASSERT(h.preference < ours);
        RC_ASSERT(h.name != us);
    }
}

} // namespace
} // namespace smtpd::rt::dns
