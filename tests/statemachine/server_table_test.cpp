// One test per row of the server transition table (TEST_P over server_table(), named by row id):
// each row has a scenario (server_rows.cpp) that must make exactly that row fire, so a new row
// without a test fails the suite; the row's declared model effect (FactChange) must be what the
// effect really does to the session's facts, since the Promela model is built from the
// declarations. Plus totality: every event the runtime can feed in a state has a row or the 503
// default. The same scenarios run against every mutant in the table mutation tests.
#include "server_rows.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

namespace smtpd::sm {
namespace {

using testing::Scenario;
using testing::server_scenarios;

/// The state a row sends the session to, from `before`.
State expected_state(Row const& row, Session const& before) {
    if (row.to == State::Same) {
        return before.state;
    }
    return row.to == State::Back ? before.resume : row.to;
}

class ServerTableRow : public ::testing::TestWithParam<Row> {};

TEST_P(ServerTableRow, FiresForItsScenario) {
    Row const& row = GetParam();
    auto const it = server_scenarios().find(row.id);
    ASSERT_NE(it, server_scenarios().end())
        << "row '" << row.id << "' has no scenario in this test";
    Scenario const sc = it->second();
    Step const result = step(sc.session, sc.event);
    EXPECT_EQ(result.error, StepError::None);
    ASSERT_EQ(result.row, row.id);
    EXPECT_EQ(result.next.state, expected_state(row, sc.session));
    auto const* reply =
        result.actions.empty() ? nullptr : std::get_if<ReplyAction>(&result.actions.front());
    if (row.to == State::SkipChunk) { // BDAT refused: its chunk is skipped, the reply waits
        auto const* skip =
            result.actions.empty() ? nullptr : std::get_if<ReadChunk>(&result.actions.front());
        ASSERT_NE(skip, nullptr);
        EXPECT_TRUE(skip->skip);
        EXPECT_NE(result.next.deferred, ReplyId::None);
    } else if (row.output != ReplyId::None) {
        ASSERT_NE(reply, nullptr);
        EXPECT_EQ(reply->reply.id, row.output);
    } else if (row.id != "chunk-skipped") {
        EXPECT_EQ(reply, nullptr);
    }
    // Postfix's junk counting: the flag is on exactly the refusals (4xx/5xx, now or deferred)
    // of a command or an AUTH exchange line.
    ReplyId const refusal = row.to == State::SkipChunk ? result.next.deferred : row.output;
    bool const to_command = is_command_kind(kind_of(sc.event)) ||
                            std::holds_alternative<AuthLine>(sc.event) ||
                            (kind_of(sc.event) == EventKind::LineTooLong);
    bool const refused = refusal != ReplyId::None && reply_text(refusal).code >= 400;
    EXPECT_EQ((row.flags & kCountsError) != 0, refused && to_command);
    EXPECT_EQ(result.next.errors, sc.session.errors + ((row.flags & kCountsError) != 0 ? 1 : 0));
}

// The Promela model applies the declared FactChange: it must be what the effect does.
TEST_P(ServerTableRow, DeclaredModelEffectIsTheRealOne) {
    Row const& row = GetParam();
    auto const it = server_scenarios().find(row.id);
    ASSERT_NE(it, server_scenarios().end());
    Scenario const sc = it->second();
    Step const result = step(sc.session, sc.event);
    std::uint8_t const before = fact_bits(sc.session);
    std::uint8_t const after = fact_bits(result.next);
    FactChange const& m = row.effect.model;
    auto expected = static_cast<std::uint8_t>((before | m.set) & ~m.clear);
    if (row.id == "greet") { // its TLS comes from the listener (smtps), as in the model
        expected =
            result.next.tls
                ? static_cast<std::uint8_t>(expected | (1U << static_cast<unsigned>(Fact::Tls)))
                : expected;
    }
    EXPECT_EQ(after, expected) << "facts before " << int(before) << ", after " << int(after);
    bool const commits =
        std::any_of(result.actions.begin(), result.actions.end(),
                    [](auto const& a) { return std::holds_alternative<CommitMessage>(a); });
    EXPECT_EQ(commits, m.enqueues);
}

std::string row_name(::testing::TestParamInfo<Row> const& info) {
    std::string name;
    for (char c : info.param.id) {
        name += (c == '-') ? '_' : c;
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(AllRows, ServerTableRow,
                         ::testing::ValuesIn(server_table().begin(), server_table().end()),
                         row_name);

TEST(ServerTable, EveryScenarioNamesARow) {
    for (auto const& [id, make] : server_scenarios()) {
        bool found = false;
        for (Row const& row : server_table()) {
            found = found || row.id == id;
        }
        EXPECT_TRUE(found) << "scenario '" << id << "' names no row";
    }
}

TEST(ServerTable, RowIdsAreUnique) {
    std::map<std::string_view, int> seen;
    for (Row const& row : server_table()) {
        EXPECT_EQ(++seen[row.id], 1) << row.id;
    }
}

TEST(ServerTable, EveryPossibleEventHasARowOrTheDefault) {
    for (std::size_t k = 0; k < kEventKindCount; ++k) {
        ASSERT_EQ(kind_of(testing::sample(static_cast<EventKind>(k))), static_cast<EventKind>(k))
            << event_kind_name(static_cast<EventKind>(k));
    }
    for (std::size_t i = 0; i < kStateCount; ++i) {
        auto const state = static_cast<State>(i);
        for (std::size_t k = 0; k < kEventKindCount; ++k) {
            auto const kind = static_cast<EventKind>(k);
            if (!possible_events(state).contains(kind)) {
                continue;
            }
            Session s = testing::secure_session();
            s.state = state;
            Step const r = step(s, testing::sample(kind));
            EXPECT_EQ(r.error, StepError::None)
                << state_name(state) << " on " << event_kind_name(kind) << ": " << r.row;
        }
    }
}

} // namespace
} // namespace smtpd::sm
