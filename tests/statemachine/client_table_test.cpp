// One test per row of the client transition table (TEST_P over client_table(), named by row id):
// each row has a scenario (client_rows.cpp) that must make exactly that row fire first, so a new
// row without a test fails the suite; the facts the fired rows declare (and their send column
// implies) must be what the session shows after. Totality and the docs:
// client_table_totality_test.cpp. The same scenarios run against every mutant in the table
// mutation tests.
#include "client_rows.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace smtpd::sm {
namespace {

using S = ClientState;
using Scenario = testing::ClientScenario;

std::map<std::string_view, Scenario> const& scenarios() {
    return testing::client_scenarios();
}

ClientRow const& row_named(std::string_view id) {
    for (ClientRow const& row : client_table()) {
        if (row.id == id) {
            return row;
        }
    }
    throw std::logic_error("no row " + std::string(id));
}

std::uint16_t bit(ClientFact f) {
    return static_cast<std::uint16_t>(1U << static_cast<unsigned>(f));
}

/// The facts after `rows` fired, from their declarations and send columns.
std::uint16_t declared_after(std::uint16_t facts, std::vector<std::string_view> const& rows) {
    for (auto id : rows) {
        ClientRow const& row = row_named(id);
        facts =
            static_cast<std::uint16_t>((facts | row.effect.model.set) & ~row.effect.model.clear);
        if (row.output == ClientSendKind::Quit) {
            facts = static_cast<std::uint16_t>(facts | bit(ClientFact::QuitSent));
        }
        if (row.output == ClientSendKind::Body || row.output == ClientSendKind::Bdat ||
            row.output == ClientSendKind::Dot) {
            facts = static_cast<std::uint16_t>(facts | bit(ClientFact::ContentSent));
        }
    }
    return facts;
}

class ClientTableRow : public ::testing::TestWithParam<ClientRow> {};

TEST_P(ClientTableRow, FiresInItsScenario) {
    ClientRow const& row = GetParam();
    auto it = scenarios().find(row.id);
    ASSERT_NE(it, scenarios().end()) << "row '" << row.id << "' has no scenario";
    Scenario const& sc = it->second;
    ClientStep const r = client_step(sc.session, sc.event);
    ASSERT_EQ(r.error, ClientStepError::None);
    ASSERT_FALSE(r.rows.empty());
    EXPECT_EQ(r.rows.front(), row.id);
    bool const decides = row.to == S::Ready || row.to == S::RcptDone;
    EXPECT_EQ(r.rows.size(), decides ? 2U : 1U);
    if (!decides) {
        EXPECT_EQ(r.next.state, row.to == S::Same ? sc.session.state : row.to);
    }
    EXPECT_EQ(client_fact_bits(r.next), declared_after(client_fact_bits(sc.session), r.rows));
    bool const sends = std::any_of(r.actions.begin(), r.actions.end(), [](auto const& a) {
        return std::holds_alternative<ClientSend>(a) || std::holds_alternative<ClientSendBody>(a);
    });
    if (!decides) {
        EXPECT_EQ(sends, row.output != ClientSendKind::None);
    }
    bool const done = std::any_of(r.actions.begin(), r.actions.end(), [](auto const& a) {
        return std::holds_alternative<ClientDone>(a);
    });
    EXPECT_EQ(done, r.next.state == S::Closed);
}

std::string row_name(::testing::TestParamInfo<ClientRow> const& info) {
    std::string name;
    for (char c : info.param.id) {
        name += (c == '-') ? '_' : c;
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(AllRows, ClientTableRow,
                         ::testing::ValuesIn(client_table().begin(), client_table().end()),
                         row_name);

TEST(ClientTable, EveryScenarioNamesARowAndIdsAreUnique) {
    std::map<std::string_view, int> seen;
    for (ClientRow const& row : client_table()) {
        EXPECT_EQ(++seen[row.id], 1) << row.id;
    }
    for (auto const& [id, make] : scenarios()) {
        EXPECT_EQ(seen.count(id), 1U) << "scenario '" << id << "' names no row";
    }
}

} // namespace
} // namespace smtpd::sm
