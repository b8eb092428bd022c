// Test support: the client table's row scenarios (one per row id: a session and an event that
// must make exactly that row fire first) and their run, with the totality sweep, against any
// table (the real one, or a mutant in the mutation tests). Depends on: statemachine/, and
// client_wire.hpp.
#pragma once

#include "client_wire.hpp"

#include <map>
#include <span>
#include <string>
#include <string_view>

namespace smtpd::sm::testing {

struct ClientScenario {
    ClientSession session;
    ClientEvent event;
};

/// Every row's scenario, by row id.
std::map<std::string_view, ClientScenario> const& client_scenarios();

/// What a step shows: next state, facts, outcomes, the actions (not the rows that fired).
std::string observe(ClientStep const& step);

/// The first scenario or totality sample whose observed step differs between the real table
/// and `rows`, described; empty if none does.
std::string client_rows_differ(std::span<ClientRow const> rows);

} // namespace smtpd::sm::testing
