// One test per row of the client transition table (TEST_P over client_table(), named by row id):
// each row has a scenario here that must make exactly that row fire first, so a new row without
// a test fails the suite; the facts the fired rows declare (and their send column implies) must
// be what the session shows after. Totality and the docs: client_table_totality_test.cpp.
#include "client_wire.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <stdexcept>

namespace smtpd::sm {
namespace {

using testing::client_message;
using testing::client_params;
using S = ClientState;
using grammar::Extension;

struct Scenario {
    ClientSession session;
    ClientEvent event;
};

ClientEvent reply(unsigned code, std::vector<std::string> lines = {"text"}) {
    return ClientReply{grammar::Reply{code, std::nullopt, std::move(lines)}};
}

ClientSession in(S state, ClientParams p = client_params(),
                 ClientMessage m = client_message({"b", "c"})) {
    ClientSession s = client_session(std::move(p), std::move(m));
    s.state = state;
    s.esmtp = state != S::Greeting && state != S::Ehlo && state != S::Helo;
    return s;
}

ClientSession offering(S state, std::initializer_list<Extension> x,
                       ClientParams p = client_params(),
                       ClientMessage m = client_message({"b", "c"})) {
    ClientSession s = in(state, std::move(p), std::move(m));
    s.offer.extensions = grammar::Extensions(x);
    return s;
}

ClientParams credentials() {
    ClientParams p = client_params();
    p.credentials = ClientCredentials{"user", "pass"};
    return p;
}

ClientSession secure(S state, std::initializer_list<Extension> x = {}) {
    ClientSession s = offering(state, x, credentials());
    s.tls = true;
    return s;
}

/// In RcptDone after `replies` RCPT replies, with these recipients accepted.
ClientSession rcpt_done(std::size_t replies, std::vector<std::size_t> accepted,
                        bool pipelined = false) {
    ClientSession s = in(S::RcptDone);
    s.rcpt_replies = replies;
    s.rcpt_sent = pipelined ? 2 : replies;
    s.pipelined = pipelined;
    s.accepted = std::move(accepted);
    for (std::size_t i = 0; i < replies; ++i) {
        if (std::find(s.accepted.begin(), s.accepted.end(), i) == s.accepted.end()) {
            s.outcomes[i] = ClientOutcome::PermFail;
        }
    }
    return s;
}

ClientSession lmtp_content(std::size_t replies) {
    ClientParams p = client_params();
    p.lmtp = true;
    ClientSession s = in(S::Content, p);
    s.accepted = {0, 1};
    s.content_replies = replies;
    s.content_sent = true;
    return s;
}

ClientSession with(ClientSession s, std::function<void(ClientSession&)> const& change) {
    change(s);
    return s;
}

std::map<std::string_view, Scenario> make_scenarios() {
    using O = ClientTlsPolicy;
    std::map<std::string_view, Scenario> m;
    auto add = [&m](std::string_view id, ClientSession s, ClientEvent e) {
        m.emplace(id, Scenario{std::move(s), std::move(e)});
    };
    add("quit-done", in(S::Quit), reply(221));
    add("timeout", in(S::Data), ClientTimeout{});
    add("peer-closed", in(S::Handshake), ClientPeerClosed{});
    add("bad-reply", in(S::Mail), ClientBadReply{});
    add("closing", in(S::Rcpt), reply(421));
    add("greeting", in(S::Greeting), reply(220));
    add("greeting-refused", in(S::Greeting), reply(554));
    add("ehlo", in(S::Ehlo), reply(250, {"mx", "PIPELINING"}));
    add("ehlo-refused-helo", in(S::Ehlo), reply(502));
    add("helo", in(S::Helo), reply(250));
    add("hello-refused", in(S::Helo), reply(550));
    add("starttls", offering(S::Ready, {Extension::StartTls}, client_params(O::Required)),
        ClientProceed{});
    add("tls-unavailable", in(S::Ready, client_params(O::Required)), ClientProceed{});
    add("auth-needs-tls", in(S::Ready, credentials()), ClientProceed{});
    add("auth-plain",
        with(secure(S::Ready, {Extension::Auth}),
             [](ClientSession& s) { s.offer.auth_plain = true; }),
        ClientProceed{});
    add("auth-login",
        with(secure(S::Ready, {Extension::Auth}),
             [](ClientSession& s) { s.offer.auth_login = true; }),
        ClientProceed{});
    add("auth-unavailable", secure(S::Ready), ClientProceed{});
    add("no-recipients", in(S::Ready, client_params(), client_message({})), ClientProceed{});
    add("too-big",
        with(offering(S::Ready, {Extension::Size}),
             [](ClientSession& s) { s.offer.size_limit = 5; }),
        ClientProceed{});
    add("needs-8bitmime",
        with(in(S::Ready), [](ClientSession& s) { s.message.mail.body = Body::EightBitMime; }),
        ClientProceed{});
    add("needs-smtputf8",
        with(in(S::Ready), [](ClientSession& s) { s.message.mail.smtputf8 = true; }),
        ClientProceed{});
    add("mail-pipelined", offering(S::Ready, {Extension::Pipelining}), ClientProceed{});
    add("mail", in(S::Ready), ClientProceed{});
    add("starttls-ready", in(S::StartTls), reply(220));
    add("starttls-refused-required", in(S::StartTls, client_params(O::Required)), reply(454));
    add("starttls-refused", in(S::StartTls, client_params(O::Opportunistic)), reply(454));
    add("tls-done", in(S::Handshake), ClientTlsDone{true});
    add("tls-failed", in(S::Handshake), ClientTlsDone{false});
    add("auth-login-user", secure(S::AuthLoginUser), reply(334));
    add("auth-login-password", secure(S::AuthLoginPass), reply(334));
    add("auth-ok", secure(S::AuthResult), reply(235));
    add("auth-refused", secure(S::AuthResult), reply(535));
    add("mail-ok-pipelined", with(in(S::Mail), [](ClientSession& s) { s.pipelined = true; }),
        reply(250));
    add("mail-ok", in(S::Mail), reply(250));
    add("mail-refused-pipelined", with(in(S::Mail), [](ClientSession& s) { s.pipelined = true; }),
        reply(550));
    add("mail-refused", in(S::Mail), reply(451));
    add("rcpt-ok", in(S::Rcpt), reply(250));
    add("rcpt-refused", in(S::Rcpt), reply(550));
    add("rcpt-next-pipelined", rcpt_done(1, {0}, true), ClientProceed{});
    add("rcpt-next", rcpt_done(1, {0}), ClientProceed{});
    add("data-pipelined", rcpt_done(2, {}, true), ClientProceed{});
    add("bdat",
        with(rcpt_done(2, {1}),
             [](ClientSession& s) { s.offer.extensions = {Extension::Chunking}; }),
        ClientProceed{});
    add("data", rcpt_done(2, {1}), ClientProceed{});
    add("no-recipient-accepted", rcpt_done(2, {}), ClientProceed{});
    add("data-go-ahead", with(in(S::Data), [](ClientSession& s) { s.accepted = {0}; }), reply(354));
    add("data-go-ahead-no-recipient", in(S::Data), reply(354));
    add("data-refused", in(S::Data), reply(554));
    add("lmtp-result", lmtp_content(0), reply(250));
    add("lmtp-last-result", lmtp_content(1), reply(452));
    add("content-result",
        with(in(S::Content),
             [](ClientSession& s) {
                 s.accepted = {0, 1};
             }),
        reply(250));
    add("discarded", in(S::Discard), reply(554));
    add("unexpected-reply", in(S::Data), reply(250));
    return m;
}

std::map<std::string_view, Scenario> const& scenarios() {
    static std::map<std::string_view, Scenario> const m = make_scenarios();
    return m;
}

ClientRow const& row_named(std::string_view id) {
    for (ClientRow const& row : client_table()) {
        if (row.id == id) {
            return row;
        }
    }
    throw std::logic_error("no row " + std::string(id));
}

std::uint8_t bit(ClientFact f) {
    return static_cast<std::uint8_t>(1U << static_cast<unsigned>(f));
}

/// The facts after `rows` fired, from their declarations and send columns.
std::uint8_t declared_after(std::uint8_t facts, std::vector<std::string_view> const& rows) {
    for (auto id : rows) {
        ClientRow const& row = row_named(id);
        facts = static_cast<std::uint8_t>((facts | row.effect.model.set) & ~row.effect.model.clear);
        if (row.output == ClientSendKind::Quit) {
            facts = static_cast<std::uint8_t>(facts | bit(ClientFact::QuitSent));
        }
        if (row.output == ClientSendKind::Body || row.output == ClientSendKind::Bdat ||
            row.output == ClientSendKind::Dot) {
            facts = static_cast<std::uint8_t>(facts | bit(ClientFact::ContentSent));
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
        return std::holds_alternative<ClientSend>(a);
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
