// The scheduler's retry policy: given a queued message's times and the result of its last
// delivery attempt, decide what happens next (deliver at T, send a delay warning, bounce, expire).
// Pure: no I/O, no clock (`now` is a parameter), no globals. Depends on: common/hash.hpp.
// Invariants: expiry takes precedence over everything; a deliver time is > the last attempt and
// <= the expiry; a warning interval is reported at most once (the caller records `now` as the
// message's last warning). RFC 3461 §5.2.5: delay notices are optional; RFC 5321 §4.5.4.1 below.
#pragma once

#include "common/clock.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace smtpd::rt {

/// The first retry comes 5 minutes after the first failed attempt; each following delay doubles.
/// XXX(RFC 5321 §4.5.4.1): its retry interval "SHOULD be at least 30 minutes"; like Postfix
/// (minimal_backoff_time 300 s) and OpenSMTPD (400 s) the first retries come sooner, since most
/// failures are short.
inline constexpr std::chrono::seconds kFirstRetryDelay{5 * 60};
/// Delays stop doubling at two hours, RFC 5321 §4.5.4.1's "one every two or three hours":
/// 5, 10, 20, 40, 80, 120, 120 ... minutes.
inline constexpr std::chrono::seconds kMaxRetryDelay{2 * 60 * 60};
/// Deterministic jitter adds 0 .. delay/kJitterDivisor seconds, so that messages that failed
/// together do not all retry in the same second. Seed 0 means no jitter.
inline constexpr std::int64_t kJitterDivisor = 10;
/// OpenSMTPD's default `queue ttl`: 4 days.
inline constexpr std::chrono::seconds kDefaultQueueTtl{4 * 24 * 60 * 60};
/// OpenSMTPD's default `bounce warn-interval`: one delay warning after 4 hours.
inline constexpr std::chrono::seconds kDefaultWarnInterval{4 * 60 * 60};

/// `queue ttl` and `bounce warn-interval` from smtpd.conf.
struct SchedulerConfig {
    std::chrono::seconds ttl = kDefaultQueueTtl;
    /// Ages (since the message was queued) at which a delay warning is due; any order.
    std::vector<std::chrono::seconds> warn_intervals = {kDefaultWarnInterval};
};

/// What the scheduler knows about one queued message.
struct MessageTimes {
    SysSeconds created{};
    std::optional<SysSeconds> last_attempt{}; ///< none: never attempted
    unsigned attempts = 0;
    std::optional<SysSeconds> last_warning{}; ///< when the last delay warning was sent
};

enum class AttemptResult { None, TempFail, PermFail };

/// Decide again at `at`, with the same last result; `at` <= now means deliver at once. After a
/// temporary failure `at` is the retry time, or the time the next delay warning comes due if that
/// is sooner (deciding again then sends it). `at` equal to the expiry means that no attempt fits
/// before the ttl: deciding again at `at` expires the message.
struct DeliverAt {
    SysSeconds at;
    friend bool operator==(DeliverAt const&, DeliverAt const&) = default;
};
/// Send a "delayed" DSN now for warn interval `interval` (an index into
/// SchedulerConfig::warn_intervals), then record `now` as MessageTimes::last_warning and decide
/// again.
struct SendWarning {
    std::size_t interval;
    friend bool operator==(SendWarning const&, SendWarning const&) = default;
};
/// The last attempt failed permanently: send a "failed" DSN and drop the message.
struct Bounce {
    friend bool operator==(Bounce const&, Bounce const&) = default;
};
/// The message outlived the ttl: send a "failed" DSN (status 4.4.7) and drop it.
struct Expire {
    SysSeconds expired_at;
    friend bool operator==(Expire const&, Expire const&) = default;
};

using Decision = std::variant<DeliverAt, SendWarning, Bounce, Expire>;

/// The time after which the message is expired: created + ttl (saturating).
[[nodiscard]] SysSeconds expiry_time(MessageTimes const& times, SchedulerConfig const& config);

/// The wait after the `attempts`-th failed attempt (attempts >= 1; 0 counts as 1), jitter
/// included: kFirstRetryDelay * 2^(attempts-1), at most kMaxRetryDelay, plus the jitter.
[[nodiscard]] std::chrono::seconds retry_delay(unsigned attempts, std::uint64_t seed);

/// The jitter seed of the message `msgid`: stable, so its retries spread and stay reproducible
/// (and the queue can tell `smtpctl show queue` when the next one comes).
[[nodiscard]] std::uint64_t retry_seed(std::string_view msgid);

/// Decides what happens next to a message. Precedence: Expire, then Bounce, then SendWarning
/// (only after a temporary failure), then DeliverAt. `seed` (e.g. from the message id) picks the
/// jitter.
[[nodiscard]] Decision next_step(MessageTimes const& times, AttemptResult last, SysSeconds now,
                                 SchedulerConfig const& config, std::uint64_t seed = 0);

} // namespace smtpd::rt
