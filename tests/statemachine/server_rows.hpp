// Test support: the server table's row scenarios (one per row id: a session and an event that
// must make exactly that row fire), one sample event of each kind, and the run of a scenario or
// of the totality sweep against any table (the real one, or a mutant in the mutation tests).
// Depends on: statemachine/ (session.hpp).
#pragma once

#include "smtpd/sm/session.hpp"

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace smtpd::sm::testing {

struct Scenario {
    Session session;
    Event event;
};

/// Every row's scenario, by row id.
std::map<std::string_view, std::function<Scenario()>> const& server_scenarios();

/// A secure session (Greeted over TLS on a listener with AUTH), the totality sweep's start.
Session secure_session();

/// One event of each kind, for the totality sweep.
Event sample(EventKind kind);

/// What a step shows: next state, facts, counters, the deferred reply, the actions. Not the
/// row id: a mutant counts as killed only by a difference the session or the runtime could see.
std::string observe(Step const& step);

/// The first scenario or totality sample whose observed step differs between the real table
/// and `rows`, described; empty if none does.
std::string server_rows_differ(std::span<Row const> rows);

} // namespace smtpd::sm::testing
