// Every conformance case (conformance/cases, read at test time) replayed in memory against
// sm::ServerConnection for both listeners of tests/integration/test_conformance.py: whole (its
// replies must meet the case's S: and M: steps, as over TCP), in the runner's own writes, and
// split in two at every byte offset (at a bounded, deterministic sample of offsets for long
// streams), each of which must give the very same actions as the whole (Beast's parsegrind).
// Prints how many cases were replayed and how many skipped, and why.
// Depends on: conformance_replay.hpp, GoogleTest.
#include "conformance_replay.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>

namespace smtpd::sm::testing {
namespace {

std::string const kConformance = SMTPD_CONFORMANCE_DIR;

/// Cases the in-memory replay does not model, with the reason (none today: every case is
/// either replayed or skipped by the runner's own `requires:` rule).
std::map<std::string, std::string, std::less<>> const kNotModelled{};

std::vector<Case> read_all() {
    std::vector<std::string> errors;
    auto cases = read_cases(kConformance + "/cases", integration_facts(), CaseSide::Server, errors);
    for (auto const& e : errors) {
        ADD_FAILURE() << e;
    }
    return cases;
}

struct Counts {
    std::size_t replayed = 0;
    std::size_t splits = 0;
    std::size_t sampled = 0;
    std::map<std::string, std::size_t> skipped; ///< by reason
};

/// Replays one case every way; returns the failure, or empty.
std::string replay_every_way(Case const& c, Listener const& listener, Counts& counts) {
    CaseFacts const facts = integration_facts();
    ClientStream const stream = client_stream(c);
    Transcript const whole = replay_case(stream, listener, facts, {});
    if (auto why = check_case(c, whole); !why.empty()) {
        return "whole: " + why;
    }
    if (replay_case(stream, listener, facts, stream.writes).log != whole.log) {
        return "the runner's writes give other actions than the whole stream";
    }
    auto const offsets = split_offsets(stream.bytes.size());
    counts.sampled += offsets.size() <= stream.bytes.size() ? 1 : 0;
    for (std::size_t const at : offsets) {
        std::array<std::size_t, 1> const cut{at};
        ++counts.splits;
        if (replay_case(stream, listener, facts, cut).log != whole.log) {
            return "split at offset " + std::to_string(at) + " of " +
                   std::to_string(stream.bytes.size()) + " gives other actions";
        }
    }
    return "";
}

void replay_all(Listener const& listener) {
    auto const cases = read_all();
    auto const known = known_failures(kConformance + "/known-failures");
    ASSERT_GT(cases.size(), 100U) << "no conformance cases under " << kConformance;
    Counts counts;
    for (auto const& c : cases) {
        if ((c.needs("tls") && !listener.tls) || (c.needs("auth") && !listener.auth)) {
            // The runner's own rule: smtpconf.py SKIPs a case whose listener lacks it.
            ++counts.skipped["the listener offers no STARTTLS or AUTH (the runner skips it)"];
            continue;
        }
        if (auto const n = kNotModelled.find(c.id); n != kNotModelled.end()) {
            ++counts.skipped[n->second];
            continue;
        }
        std::string const why = replay_every_way(c, listener, counts);
        auto const listed =
            std::ranges::find_if(known, [&](auto const& k) { return k.first == c.id; });
        if (listed != known.end()) {
            // A known failure over TCP: report what memory says, fail on neither.
            ++counts.skipped["in conformance/known-failures: " + listed->second];
            std::cout << "known failure " << c.id << ": in memory "
                      << (why.empty() ? "passes" : why) << "\n";
            continue;
        }
        if (!why.empty()) {
            ADD_FAILURE() << c.id << " (" << c.path << ") on the " << listener.name
                          << " listener: " << why;
            continue;
        }
        ++counts.replayed;
    }
    std::cout << "conformance in memory, " << listener.name << " listener: " << cases.size()
              << " cases, " << counts.replayed << " replayed (" << counts.splits << " splits; "
              << counts.sampled << " long streams split at a sample of offsets)";
    for (auto const& [reason, n] : counts.skipped) {
        std::cout << ", " << n << " skipped: " << reason;
    }
    std::cout << "\n";
}

TEST(ConformanceReplay, PlainListenerEveryCaseWholeAndSplitAtEveryOffset) {
    replay_all(plain_listener());
}

TEST(ConformanceReplay, StarttlsAuthListenerEveryCaseWholeAndSplitAtEveryOffset) {
    replay_all(starttls_auth_listener());
}

} // namespace
} // namespace smtpd::sm::testing
