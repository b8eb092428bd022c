// The retry policy's decisions. Time arithmetic saturates, so that any created time or ttl read
// from a queued envelope gives a decision, never an overflow. A last attempt in the future (the
// clock went back) counts as made now, so a clock jump does not postpone retries by its size.
#include "scheduler/policy.hpp"

#include "common/hash.hpp"

#include <algorithm>
#include <limits>

namespace smtpd::rt {

namespace {

// Delays double at most this many times before the cap; 2^16 * 5 minutes is far above any cap.
constexpr unsigned kMaxDoublings = 16;

SysSeconds add_saturating(SysSeconds t, std::chrono::seconds d) {
    using Rep = std::chrono::seconds::rep;
    Rep sum{};
    if (__builtin_add_overflow(t.time_since_epoch().count(), d.count(), &sum)) {
        sum = d.count() > 0 ? std::numeric_limits<Rep>::max() : std::numeric_limits<Rep>::min();
    }
    return SysSeconds{std::chrono::seconds{sum}};
}

// splitmix64's finaliser: a fixed, well-mixed hash of the seed and the attempt count.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31U);
}

// When a warn interval comes due, unless it is negative or its warning has been sent.
std::optional<SysSeconds> unsent_warning_due(MessageTimes const& times,
                                             std::chrono::seconds interval) {
    SysSeconds const due = add_saturating(times.created, interval);
    bool const sent = times.last_warning.has_value() && due <= *times.last_warning;
    if (interval.count() < 0 || sent) {
        return std::nullopt;
    }
    return due;
}

// The latest warn interval that has come due since the last warning, if any. Intervals passed
// while no warning could be sent are skipped, not sent late one after another.
std::optional<std::size_t> due_warning(MessageTimes const& times, SysSeconds now,
                                       SchedulerConfig const& config) {
    std::optional<std::size_t> best;
    auto const& intervals = config.warn_intervals;
    for (std::size_t i = 0; i < intervals.size(); ++i) {
        auto const due = unsent_warning_due(times, intervals[i]);
        if (due && *due <= now && (!best || intervals[i] > intervals[*best])) {
            best = i;
        }
    }
    return best;
}

// The earliest warn interval still to come (after `now`, not yet sent), if any.
std::optional<SysSeconds> next_warning(MessageTimes const& times, SysSeconds now,
                                       SchedulerConfig const& config) {
    std::optional<SysSeconds> next;
    for (auto const interval : config.warn_intervals) {
        auto const due = unsent_warning_due(times, interval);
        if (due && *due > now && (!next || *due < *next)) {
            next = due;
        }
    }
    return next;
}

// The retry time, or sooner the time a warning comes due: deciding again then sends it.
DeliverAt after_temporary_failure(MessageTimes const& times, SysSeconds now,
                                  SchedulerConfig const& config, SysSeconds expiry,
                                  std::uint64_t seed) {
    SysSeconds const last_try = std::min(times.last_attempt.value_or(times.created), now);
    SysSeconds due = add_saturating(last_try, retry_delay(times.attempts, seed));
    if (auto const warning = next_warning(times, now, config)) {
        due = std::min(due, *warning);
    }
    return DeliverAt{std::min(std::max(due, now), expiry)};
}

} // namespace

SysSeconds expiry_time(MessageTimes const& times, SchedulerConfig const& config) {
    return add_saturating(times.created, config.ttl);
}

std::chrono::seconds retry_delay(unsigned attempts, std::uint64_t seed) {
    unsigned const doublings = std::min(attempts == 0 ? 0U : attempts - 1, kMaxDoublings);
    std::chrono::seconds const base =
        std::min(kFirstRetryDelay * (std::int64_t{1} << doublings), kMaxRetryDelay);
    if (seed == 0) {
        return base;
    }
    auto const span = static_cast<std::uint64_t>(base.count() / kJitterDivisor) + 1;
    auto const jitter = static_cast<std::chrono::seconds::rep>(mix(seed ^ attempts) % span);
    return base + std::chrono::seconds{jitter};
}

std::uint64_t retry_seed(std::string_view msgid) {
    return fnv1a(msgid) | 1U;
}

Decision next_step(MessageTimes const& times, AttemptResult last, SysSeconds now,
                   SchedulerConfig const& config, std::uint64_t seed) {
    SysSeconds const expiry = expiry_time(times, config);
    if (now >= expiry) {
        return Expire{expiry};
    }
    switch (last) {
    case AttemptResult::None:
        return DeliverAt{now};
    case AttemptResult::PermFail:
        return Bounce{};
    case AttemptResult::TempFail:
        break;
    }
    // RFC 3461 §5.2.5: a delay is reported only for a message that could not yet be delivered,
    // so only after a temporary failure.
    if (auto const warning = due_warning(times, now, config)) {
        return SendWarning{*warning};
    }
    return after_temporary_failure(times, now, config, expiry, seed);
}

} // namespace smtpd::rt
