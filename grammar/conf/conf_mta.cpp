// The semantic checks of `mta` and `srs` (see conf_build.hpp), after OpenSMTPD 7.x's parse.y and
// limit.c: mta limit keys are limit_mta_set()'s, values numbers from 0; `mta limit for domain`
// starts from the default limits as they are then; srs ttl is kept in whole days and must be at
// least one; a later srs key or ttl replaces an earlier one, as in parse.y.
// Invariant: a statement with an error changes nothing.
// Depends on: conf_build.hpp, numbers.hpp.
#include "conf_build.hpp"

#include "numbers.hpp"

#include <algorithm>
#include <climits>

namespace smtpd::conf {

namespace {

constexpr std::size_t kMaxMaxDeferred = 1000000;
constexpr std::chrono::seconds kDay = std::chrono::hours(24);

} // namespace

void ConfigBuilder::mta_limits(MtaLimits& limits, std::vector<rules::MtaLimitItem> const& items) {
    for (auto const& item : items) {
        if (!item.number) { // inet4 | inet6
            limits.family =
                item.name.text == "inet4" ? MtaLimits::Family::Inet4 : MtaLimits::Family::Inet6;
            continue;
        }
        auto const key = std::find(kMtaLimitNames.begin(), kMtaLimitNames.end(), item.name.text);
        if (key == kMtaLimitNames.end()) {
            error(item.name, "invalid mta limit " + quote_for_message(item.name.text) +
                                 ": expected max-conn-per-host, max-conn-per-domain, "
                                 "session-mail-max, session-transaction-delay, ... (see "
                                 "smtpd.conf(5))");
            continue;
        }
        auto const value = parse_number(item.number->text, 0, INT_MAX);
        if (!value) {
            error(*item.number, "invalid " + item.name.text + " " +
                                    quote_for_message(item.number->text) +
                                    ": expected a number from 0 to " + std::to_string(INT_MAX));
            continue;
        }
        limits.values.at(static_cast<std::size_t>(key - kMtaLimitNames.begin())) =
            static_cast<std::int64_t>(*value);
    }
}

void ConfigBuilder::operator()(rules::MtaStmt const& s) {
    std::size_t const before = error_count();
    if (s.option.text == "max-deferred") {
        auto const n = parse_number(s.number->text, 0, kMaxMaxDeferred);
        if (!n) {
            error(*s.number, "invalid max-deferred " + quote_for_message(s.number->text) +
                                 ": expected a number from 0 to " +
                                 std::to_string(kMaxMaxDeferred));
            return;
        }
        config_.mta.max_deferred = *n;
        return;
    }
    std::optional<std::string> domain;
    if (s.domain) {
        domain = lowercase(s.domain->text);
        if (!is_domain_name(*domain)) {
            error(*s.domain, "invalid domain " + quote_for_message(s.domain->text));
            return;
        }
    }
    auto& map = config_.mta.domain_limits;
    auto const found = domain ? map.find(*domain) : map.end();
    MtaLimits limits = found != map.end() ? found->second : config_.mta.limits;
    mta_limits(limits, s.limits);
    if (error_count() != before) {
        return;
    }
    if (domain) {
        map.insert_or_assign(*domain, limits);
    } else {
        config_.mta.limits = limits;
    }
}

void ConfigBuilder::operator()(rules::SrsStmt const& s) {
    if (s.option.text == "key") {
        if (s.value.text.empty()) {
            error(s.value, "empty srs key");
            return;
        }
        (s.backup ? config_.srs.backup_key : config_.srs.key) = s.value.text;
        return;
    }
    auto const ttl = parse_duration(s.value.text);
    if (!ttl) {
        error(s.value, "invalid srs ttl " + quote_for_message(s.value.text) +
                           ": expected a number followed by s, m, h or d");
        return;
    }
    if (*ttl < kDay) {
        error(s.value, "srs ttl " + quote_for_message(s.value.text) +
                           " is too short: SRS counts in days, at least 1d");
        return;
    }
    config_.srs.ttl = std::chrono::duration_cast<std::chrono::days>(*ttl);
}

} // namespace smtpd::conf
