// The scheduler's retry policy: exact back-off values, expiry before everything, delay warnings
// once per interval; properties over random times and a simulated message's whole queue life
// (deliver times after the last try and not after the expiry, warnings monotone and never twice).
#include "scheduler/policy.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <set>

namespace smtpd::rt {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr SysSeconds kT0{seconds{1700000000}};
constexpr std::int64_t kDay = 86400;

MessageTimes failed_at(SysSeconds last, unsigned attempts) {
    return MessageTimes{kT0, last, attempts, std::nullopt};
}

TEST(SchedulerPolicy, NeverAttemptedIsDeliveredNow) {
    MessageTimes const times{kT0, std::nullopt, 0, std::nullopt};
    EXPECT_EQ(next_step(times, AttemptResult::None, kT0 + seconds{3}, {}),
              Decision{DeliverAt{kT0 + seconds{3}}});
}

TEST(SchedulerPolicy, BackOffDoublesFromFiveMinutesToTwoHours) {
    EXPECT_EQ(retry_delay(0, 0), minutes{5});
    EXPECT_EQ(retry_delay(1, 0), minutes{5});
    EXPECT_EQ(retry_delay(2, 0), minutes{10});
    EXPECT_EQ(retry_delay(3, 0), minutes{20});
    EXPECT_EQ(retry_delay(4, 0), minutes{40});
    EXPECT_EQ(retry_delay(5, 0), minutes{80});
    EXPECT_EQ(retry_delay(6, 0), minutes{120});
    EXPECT_EQ(retry_delay(7, 0), minutes{120});
    EXPECT_EQ(retry_delay(4000000000U, 0), minutes{120});
}

TEST(SchedulerPolicy, RetryComesOneDelayAfterTheLastAttempt) {
    SysSeconds const last = kT0 + minutes{15};
    EXPECT_EQ(next_step(failed_at(last, 1), AttemptResult::TempFail, last, {}),
              Decision{DeliverAt{last + minutes{5}}});
    EXPECT_EQ(next_step(failed_at(last, 3), AttemptResult::TempFail, last + minutes{1}, {}),
              Decision{DeliverAt{last + minutes{20}}});
}

TEST(SchedulerPolicy, OverdueRetryIsDeliveredNow) {
    SysSeconds const now = kT0 + hours{2};
    EXPECT_EQ(next_step(failed_at(kT0, 1), AttemptResult::TempFail, now, {}),
              Decision{DeliverAt{now}});
}

TEST(SchedulerPolicy, RetryIsCappedAtTheExpiry) {
    SysSeconds const expiry = kT0 + kDefaultQueueTtl;
    SysSeconds const last = expiry - minutes{1};
    MessageTimes times = failed_at(last, 60);
    times.last_warning = last;
    EXPECT_EQ(next_step(times, AttemptResult::TempFail, last, {}), Decision{DeliverAt{expiry}});
    EXPECT_EQ(next_step(times, AttemptResult::TempFail, expiry, {}), Decision{Expire{expiry}});
}

TEST(SchedulerPolicy, NeverAttemptedMessagePastTtlExpires) {
    MessageTimes const times{kT0, std::nullopt, 0, std::nullopt};
    SysSeconds const expiry = kT0 + kDefaultQueueTtl;
    EXPECT_EQ(next_step(times, AttemptResult::None, expiry + hours{1}, {}),
              Decision{Expire{expiry}});
}

TEST(SchedulerPolicy, ExpiryTakesPrecedenceOverBounceAndWarning) {
    SchedulerConfig const config{hours{10}, {hours{4}}};
    SysSeconds const now = kT0 + hours{10};
    EXPECT_EQ(next_step(failed_at(kT0, 1), AttemptResult::PermFail, now, config),
              Decision{Expire{now}});
    EXPECT_EQ(next_step(failed_at(kT0, 1), AttemptResult::TempFail, now, config),
              Decision{Expire{now}});
}

TEST(SchedulerPolicy, PermanentFailureBounces) {
    EXPECT_EQ(next_step(failed_at(kT0, 1), AttemptResult::PermFail, kT0, {}), Decision{Bounce{}});
}

TEST(SchedulerPolicy, WarnsOnceAfterFourHours) {
    SysSeconds const now = kT0 + hours{4} + minutes{3};
    MessageTimes times = failed_at(now, 9);
    EXPECT_EQ(next_step(times, AttemptResult::TempFail, now, {}), Decision{SendWarning{0}});
    times.last_warning = now;
    EXPECT_TRUE(std::holds_alternative<DeliverAt>(
        next_step(times, AttemptResult::TempFail, now + hours{30}, {})));
}

TEST(SchedulerPolicy, NoWarningBeforeTheInterval) {
    SysSeconds const now = kT0 + hours{4} - seconds{1};
    EXPECT_TRUE(std::holds_alternative<DeliverAt>(
        next_step(failed_at(now, 9), AttemptResult::TempFail, now, {})));
}

TEST(SchedulerPolicy, NoWarningBeforeAnyAttempt) {
    MessageTimes const times{kT0, std::nullopt, 0, std::nullopt};
    EXPECT_EQ(next_step(times, AttemptResult::None, kT0 + hours{5}, {}),
              Decision{DeliverAt{kT0 + hours{5}}});
}

TEST(SchedulerPolicy, SkipsPassedIntervalsAndWarnsForTheLatest) {
    SchedulerConfig const config{kDefaultQueueTtl, {hours{24}, hours{1}, hours{6}}};
    MessageTimes times = failed_at(kT0 + hours{7}, 5);
    EXPECT_EQ(next_step(times, AttemptResult::TempFail, kT0 + hours{7}, config),
              Decision{SendWarning{2}});
    times.last_warning = kT0 + hours{7};
    times.last_attempt = kT0 + hours{20};
    EXPECT_FALSE(std::holds_alternative<SendWarning>(
        next_step(times, AttemptResult::TempFail, kT0 + hours{20}, config)));
    times.last_attempt = kT0 + hours{25};
    EXPECT_EQ(next_step(times, AttemptResult::TempFail, kT0 + hours{25}, config),
              Decision{SendWarning{0}});
}

// A warn interval shorter than the retry gap is not late: the decision after the failure wakes
// the scheduler when the warning comes due, and the retry stays where it was.
TEST(SchedulerPolicy, WakesForAWarningDueBeforeTheRetry) {
    SchedulerConfig const config{kDefaultQueueTtl, {hours{1}}};
    SysSeconds const last = kT0 + minutes{50};
    MessageTimes times = failed_at(last, 5); // the 5th failure: the retry is 80 minutes later
    EXPECT_EQ(next_step(times, AttemptResult::TempFail, last, config),
              Decision{DeliverAt{kT0 + hours{1}}});
    EXPECT_EQ(next_step(times, AttemptResult::TempFail, kT0 + hours{1}, config),
              Decision{SendWarning{0}});
    times.last_warning = kT0 + hours{1};
    EXPECT_EQ(next_step(times, AttemptResult::TempFail, kT0 + hours{1}, config),
              Decision{DeliverAt{last + minutes{80}}});
}

TEST(SchedulerPolicy, NoWarningsWhenNoneConfigured) {
    SchedulerConfig const config{kDefaultQueueTtl, {}};
    SysSeconds const now = kT0 + hours{50};
    EXPECT_TRUE(std::holds_alternative<DeliverAt>(
        next_step(failed_at(now, 40), AttemptResult::TempFail, now, config)));
}

TEST(SchedulerPolicy, JitterIsBoundedAndDeterministic) {
    std::set<seconds> seen;
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        seconds const d = retry_delay(2, seed);
        EXPECT_GE(d, minutes{10});
        EXPECT_LE(d, minutes{11});
        EXPECT_EQ(d, retry_delay(2, seed));
        seen.insert(d);
    }
    EXPECT_GT(seen.size(), 10U);
}

TEST(SchedulerPolicy, ClockGoingBackDoesNotPostponeTheRetry) {
    SysSeconds const now = kT0 + hours{1};
    EXPECT_EQ(next_step(failed_at(now + hours{10}, 1), AttemptResult::TempFail, now, {}),
              Decision{DeliverAt{now + minutes{5}}});
}

TEST(SchedulerPolicy, ExtremeTimesSaturate) {
    SysSeconds const late{seconds{std::numeric_limits<std::int64_t>::max() - 10}};
    MessageTimes const times{late, late, 1, std::nullopt};
    EXPECT_EQ(expiry_time(times, {}),
              SysSeconds{seconds{std::numeric_limits<std::int64_t>::max()}});
    EXPECT_TRUE(std::holds_alternative<DeliverAt>(
        next_step(times, AttemptResult::TempFail, late, {hours{1}, {hours{-5}, hours{1}}})));
}

// Random but realistic times: around 2023, ttl up to 10 days.
struct Scenario {
    MessageTimes times;
    SysSeconds now;
    SchedulerConfig config;
};

Scenario random_scenario() {
    auto const created = kT0 + seconds{*rc::gen::inRange<std::int64_t>(0, 1000000)};
    auto const age = seconds{*rc::gen::inRange<std::int64_t>(0, 20 * kDay)};
    auto const since_try = seconds{*rc::gen::inRange<std::int64_t>(0, age.count() + 1)};
    SchedulerConfig config;
    config.ttl = seconds{*rc::gen::inRange<std::int64_t>(1, 10 * kDay)};
    auto const intervals = *rc::gen::container<std::vector<std::int64_t>>(
        rc::gen::inRange<std::int64_t>(0, 10 * kDay));
    config.warn_intervals.clear();
    for (auto const i : intervals) {
        config.warn_intervals.emplace_back(i);
    }
    MessageTimes times{created, created + age - since_try, *rc::gen::inRange(1U, 200U),
                       std::nullopt};
    return Scenario{times, created + age, config};
}

RC_GTEST_PROP(SchedulerPolicyProps, DeliverTimeIsAfterLastTryAndNotAfterExpiry,
              (std::uint64_t seed)) {
    Scenario const s = random_scenario();
    Decision const d = next_step(s.times, AttemptResult::TempFail, s.now, s.config, seed);
    if (auto const* deliver = std::get_if<DeliverAt>(&d)) {
        RC_ASSERT(deliver->at > *s.times.last_attempt);
        RC_ASSERT(deliver->at >= s.now);
        RC_ASSERT(deliver->at <= expiry_time(s.times, s.config));
    }
}

RC_GTEST_PROP(SchedulerPolicyProps, PastTtlIsAlwaysExpired, (std::uint64_t seed)) {
    Scenario const s = random_scenario();
    auto const last =
        *rc::gen::element(AttemptResult::None, AttemptResult::TempFail, AttemptResult::PermFail);
    Decision const d = next_step(s.times, last, s.now, s.config, seed);
    RC_ASSERT(std::holds_alternative<Expire>(d) == (s.now >= s.times.created + s.config.ttl));
}

// A message that fails temporarily at every attempt, from queueing to expiry, driven the way the
// scheduler drives it: wait for DeliverAt and decide again, attempt when it says now, record
// warnings, until Expire. Each warning goes out at the moment its interval comes due.
RC_GTEST_PROP(SchedulerPolicyProps, WholeLifeWarnsMonotonicallyAndExpiresOnTime,
              (std::uint64_t seed)) {
    Scenario s = random_scenario();
    s.config.ttl = std::min(s.config.ttl, seconds{5 * kDay});
    MessageTimes times{s.times.created, std::nullopt, 0, std::nullopt};
    SysSeconds now = times.created;
    AttemptResult last = AttemptResult::None;
    std::vector<seconds> warned;
    for (int step = 0; step < 10000; ++step) {
        Decision const d = next_step(times, last, now, s.config, seed);
        if (auto const* expire = std::get_if<Expire>(&d)) {
            RC_ASSERT(now == expire->expired_at);
            RC_ASSERT(std::is_sorted(warned.begin(), warned.end()));
            RC_ASSERT(std::adjacent_find(warned.begin(), warned.end()) == warned.end());
            return;
        }
        if (auto const* warning = std::get_if<SendWarning>(&d)) {
            seconds const interval = s.config.warn_intervals.at(warning->interval);
            // sent when it came due, not at the next retry
            RC_ASSERT(now == times.created + interval);
            warned.push_back(interval);
            times.last_warning = now;
            continue;
        }
        SysSeconds const at = std::get<DeliverAt>(d).at;
        RC_ASSERT(!times.last_attempt || at > *times.last_attempt);
        if (at > now) {
            now = at;
            continue;
        }
        times.last_attempt = now;
        ++times.attempts;
        last = AttemptResult::TempFail;
    }
    RC_FAIL("the message never expired");
}

} // namespace
} // namespace smtpd::rt
