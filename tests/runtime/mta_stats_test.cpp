// MtaStats (runtime/mta/mta_stats.hpp): the lines of `smtpctl show hosts|relays|routes|
// hoststats` to the character, in OpenSMTPD's mta.c layouts ("addr name refcount=N nconn=N
// lastconn=D", "id. src <-> addr (name) NDQK nconn= nerror= penalty= timeout=", "[relay]
// refcount= ntask= nconn= lastconn= timeout=- wait=", "name|time|error"); route penalties that
// double from a minute to at most an hour and end with a connection; entries forgotten after
// kForgetAfter without a connection. Pure: times are given. Depends on: mta_stats.hpp, gtest.
#include "mta/mta_stats.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace smtpd::rt::mta {
namespace {

using Lines = std::vector<std::string>;

constexpr std::int64_t kT0 = 1'700'000'000;
std::string const kRelay = "[relay:mx.example]";
std::string const kAddr = "127.0.0.11";
std::string const kName = "mx1.mx.example";

TEST(MtaStatsShow, HostsLineIsAddressNameRefcountNconnAndSinceTheLastConnection) {
    MtaStats stats;
    stats.connecting(kRelay, "", kAddr, kName, kT0);
    EXPECT_EQ(stats.show_hosts(kT0 + 90),
              Lines{"127.0.0.11 mx1.mx.example refcount=1 nconn=1 lastconn=1m30s"});
    stats.connecting(kRelay, "", kAddr, kName, kT0 + 100);
    stats.closed(kRelay, "", kAddr, kT0 + 100);
    EXPECT_EQ(stats.show_hosts(kT0 + 100),
              Lines{"127.0.0.11 mx1.mx.example refcount=1 nconn=1 lastconn=0s"});
    stats.closed(kRelay, "", kAddr, kT0 + 200);
    EXPECT_EQ(stats.show_hosts(kT0 + 100 + 3720),
              Lines{"127.0.0.11 mx1.mx.example refcount=0 nconn=0 lastconn=1h2m"});
}

TEST(MtaStatsShow, HostsAreListedOncePerAddress) {
    MtaStats stats;
    stats.connecting(kRelay, "", "127.0.0.12", "mx2.mx.example", kT0);
    stats.connecting(kRelay, "", kAddr, kName, kT0);
    stats.connecting(kRelay, "", kAddr, kName, kT0);
    EXPECT_EQ(stats.show_hosts(kT0), (Lines{
                                         "127.0.0.11 mx1.mx.example refcount=2 nconn=2 lastconn=0s",
                                         "127.0.0.12 mx2.mx.example refcount=1 nconn=1 lastconn=0s",
                                     }));
}

TEST(MtaStatsShow, RouteIsNewUntilConnectedAndKeepaliveWhileOpen) {
    MtaStats stats;
    stats.connecting(kRelay, "", kAddr, kName, kT0);
    EXPECT_EQ(stats.show_routes(kT0),
              Lines{"1. [] <-> 127.0.0.11 (mx1.mx.example) N--K nconn=1 nerror=0 penalty=0 "
                    "timeout=-"});
    stats.connected("", kAddr, kT0 + 1);
    EXPECT_EQ(stats.show_routes(kT0 + 1),
              Lines{"1. [] <-> 127.0.0.11 (mx1.mx.example) ---K nconn=1 nerror=0 penalty=0 "
                    "timeout=-"});
    stats.closed(kRelay, "", kAddr, kT0 + 2);
    EXPECT_EQ(stats.show_routes(kT0 + 2),
              Lines{"1. [] <-> 127.0.0.11 (mx1.mx.example) ---- nconn=0 nerror=0 penalty=0 "
                    "timeout=-"});
}

TEST(MtaStatsShow, RoutesAreInIdOrderWithTheirSourceAddress) {
    MtaStats stats;
    // "127.0.0.9" sorts after "127.0.0.10" as text: the order must be the ids'.
    stats.connecting(kRelay, "", "127.0.0.9", "", kT0);
    stats.connecting(kRelay, "127.0.0.2", "127.0.0.10", "mx.example", kT0);
    stats.connecting(kRelay, "", "127.0.0.10", "mx.example", kT0);
    EXPECT_EQ(stats.show_routes(kT0),
              (Lines{
                  "1. [] <-> 127.0.0.9 N--K nconn=1 nerror=0 penalty=0 timeout=-",
                  "2. 127.0.0.2 <-> 127.0.0.10 (mx.example) N--K nconn=1 nerror=0 penalty=0 "
                  "timeout=-",
                  "3. [] <-> 127.0.0.10 (mx.example) N--K nconn=1 nerror=0 penalty=0 timeout=-",
              }));
}

TEST(MtaStatsShow, AFailedRouteIsDisabledForItsPenaltyWithTheTimeLeft) {
    MtaStats stats;
    stats.connecting(kRelay, "", kAddr, kName, kT0);
    stats.failed("", kAddr, kName, "Connection refused", kT0);
    stats.closed(kRelay, "", kAddr, kT0);
    EXPECT_EQ(stats.show_routes(kT0 + 15),
              Lines{"1. [] <-> 127.0.0.11 (mx1.mx.example) ND-- nconn=0 nerror=1 penalty=1 "
                    "timeout=45s"});
    EXPECT_EQ(stats.show_routes(kT0 + 60),
              Lines{"1. [] <-> 127.0.0.11 (mx1.mx.example) N--- nconn=0 nerror=1 penalty=1 "
                    "timeout=-"});
}

TEST(MtaStatsShow, RelayLineCountsRequestsTasksAndConnections) {
    MtaStats stats;
    stats.relay_tasks(kRelay, 1, 3, kT0);
    EXPECT_EQ(stats.show_relays(kT0),
              Lines{"[relay:mx.example] refcount=1 ntask=3 nconn=0 lastconn=- timeout=- wait="});
    stats.connecting(kRelay, "", kAddr, kName, kT0 + 10);
    EXPECT_EQ(stats.show_relays(kT0 + 20),
              Lines{"[relay:mx.example] refcount=1 ntask=3 nconn=1 lastconn=10s timeout=- wait="});
    stats.relay_tasks(kRelay, -1, -3, kT0 + 30);
    stats.closed(kRelay, "", kAddr, kT0 + 30);
    EXPECT_EQ(stats.show_relays(kT0 + 30),
              Lines{"[relay:mx.example] refcount=0 ntask=0 nconn=0 lastconn=20s timeout=- wait="});
}

TEST(MtaStatsShow, RelayCountsNeverGoBelowZero) {
    MtaStats stats;
    stats.relay_tasks(kRelay, -1, -2, kT0);
    EXPECT_EQ(stats.show_relays(kT0),
              Lines{"[relay:mx.example] refcount=0 ntask=0 nconn=0 lastconn=- timeout=- wait="});
}

TEST(MtaStatsShow, HoststatIsNameTimeAndTheLastErrorUntilTheHostIsOk) {
    MtaStats stats;
    stats.failed("", kAddr, kName, "Connection refused", kT0);
    stats.failed("", "127.0.0.12", "mx2.mx.example", "Connection timed out", kT0 + 5);
    EXPECT_EQ(stats.show_hoststats(), (Lines{
                                          "mx1.mx.example|1700000000|Connection refused",
                                          "mx2.mx.example|1700000005|Connection timed out",
                                      }));
    stats.failed("", kAddr, kName, "421 busy", kT0 + 9);
    stats.host_ok("mx2.mx.example");
    EXPECT_EQ(stats.show_hoststats(), Lines{"mx1.mx.example|1700000009|421 busy"});
}

TEST(MtaStatsShow, NothingKnownShowsNothing) {
    MtaStats const stats;
    EXPECT_TRUE(stats.show_hosts(kT0).empty());
    EXPECT_TRUE(stats.show_relays(kT0).empty());
    EXPECT_TRUE(stats.show_routes(kT0).empty());
    EXPECT_TRUE(stats.show_hoststats().empty());
}

TEST(MtaStatsPenalty, DoublesFromAMinuteToAtMostAnHour) {
    EXPECT_EQ(route_penalty_seconds(0), 0);
    EXPECT_EQ(route_penalty_seconds(-3), 0);
    std::vector<std::int64_t> got;
    for (int errors = 1; errors <= 9; ++errors) {
        got.push_back(route_penalty_seconds(errors));
    }
    EXPECT_EQ(got, (std::vector<std::int64_t>{60, 120, 240, 480, 960, 1920, 3600, 3600, 3600}));
    EXPECT_EQ(route_penalty_seconds(1'000'000), 3600);
}

TEST(MtaStatsPenalty, ConsecutiveFailuresLengthenThePenaltyAndAConnectionEndsIt) {
    MtaStats stats;
    EXPECT_FALSE(stats.penalized("", kAddr, kT0));
    stats.failed("", kAddr, kName, "Connection refused", kT0);
    EXPECT_TRUE(stats.penalized("", kAddr, kT0 + 59));
    EXPECT_FALSE(stats.penalized("", kAddr, kT0 + 60));
    stats.failed("", kAddr, kName, "Connection refused", kT0 + 60);
    EXPECT_TRUE(stats.penalized("", kAddr, kT0 + 60 + 119));
    EXPECT_FALSE(stats.penalized("", kAddr, kT0 + 60 + 120));
    // Another source to the same address is another route: not penalized.
    EXPECT_FALSE(stats.penalized("127.0.0.2", kAddr, kT0 + 61));
    stats.failed("", kAddr, kName, "Connection refused", kT0 + 200);
    EXPECT_TRUE(stats.penalized("", kAddr, kT0 + 200 + 239));
    stats.connected("", kAddr, kT0 + 210);
    EXPECT_FALSE(stats.penalized("", kAddr, kT0 + 210));
    // The count starts again: the next failure costs a minute.
    stats.failed("", kAddr, kName, "Connection refused", kT0 + 300);
    EXPECT_TRUE(stats.penalized("", kAddr, kT0 + 359));
    EXPECT_FALSE(stats.penalized("", kAddr, kT0 + 360));
}

TEST(MtaStatsPenalty, TheHourIsTheCeilingAfterManyFailures) {
    MtaStats stats;
    stats.connecting(kRelay, "", kAddr, kName, kT0);
    stats.closed(kRelay, "", kAddr, kT0);
    for (int i = 0; i < 20; ++i) {
        stats.failed("", kAddr, kName, "Connection refused", kT0);
    }
    EXPECT_TRUE(stats.penalized("", kAddr, kT0 + 3599));
    EXPECT_FALSE(stats.penalized("", kAddr, kT0 + 3600));
    EXPECT_EQ(stats.show_routes(kT0),
              Lines{"1. [] <-> 127.0.0.11 (mx1.mx.example) ND-- nconn=0 nerror=20 penalty=20 "
                    "timeout=1h"});
}

TEST(MtaStatsForget, EntriesWithoutConnectionsGoAfterKForgetAfter) {
    MtaStats stats;
    stats.relay_tasks(kRelay, 1, 1, kT0);
    stats.connecting(kRelay, "", kAddr, kName, kT0);
    stats.failed("", kAddr, kName, "Connection refused", kT0);
    stats.closed(kRelay, "", kAddr, kT0);
    stats.relay_tasks(kRelay, -1, -1, kT0);
    // Forgetting happens when something new is recorded: another relay at the limit keeps all.
    stats.relay_tasks("[relay:other.example]", 1, 1, kT0 + MtaStats::kForgetAfter);
    EXPECT_EQ(stats.show_hosts(kT0 + MtaStats::kForgetAfter).size(), 1U);
    EXPECT_EQ(stats.show_routes(kT0 + MtaStats::kForgetAfter).size(), 1U);
    EXPECT_EQ(stats.show_relays(kT0 + MtaStats::kForgetAfter).size(), 2U);
    EXPECT_EQ(stats.show_hoststats().size(), 1U);
    // One second later they are gone; the other relay, still referenced, stays.
    std::int64_t const later = kT0 + MtaStats::kForgetAfter + 1;
    stats.relay_tasks("[relay:other.example]", 0, 0, later);
    EXPECT_TRUE(stats.show_hosts(later).empty());
    EXPECT_TRUE(stats.show_routes(later).empty());
    EXPECT_TRUE(stats.show_hoststats().empty());
    EXPECT_EQ(stats.show_relays(later),
              Lines{"[relay:other.example] refcount=1 ntask=1 nconn=0 lastconn=- timeout=- wait="});
}

TEST(MtaStatsForget, AnOpenConnectionKeepsItsHostRouteAndRelay) {
    MtaStats stats;
    stats.connecting(kRelay, "", kAddr, kName, kT0);
    std::int64_t const later = kT0 + 2 * MtaStats::kForgetAfter;
    stats.relay_tasks("[relay:other.example]", 1, 1, later);
    EXPECT_EQ(stats.show_hosts(later),
              Lines{"127.0.0.11 mx1.mx.example refcount=1 nconn=1 lastconn=8h"});
    EXPECT_EQ(stats.show_routes(later).size(), 1U);
    EXPECT_EQ(stats.show_relays(later).size(), 2U);
    // Once closed, the clock starts again from the close for the route and the relay.
    stats.closed(kRelay, "", kAddr, later);
    stats.relay_tasks("[relay:other.example]", 0, 0, later + MtaStats::kForgetAfter + 1);
    EXPECT_TRUE(stats.show_routes(later + MtaStats::kForgetAfter + 1).empty());
    EXPECT_EQ(stats.show_relays(later + MtaStats::kForgetAfter + 1).size(), 1U);
}

} // namespace
} // namespace smtpd::rt::mta
