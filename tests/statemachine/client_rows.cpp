// The client table's row scenarios and the totality sweep (client_rows.hpp), and their run
// against any table: the row tests (client_table_test.cpp) run them against the real table, the
// mutation tests (table_mutation.cpp) against each mutant. Depends on: statemachine/.
#include "client_rows.hpp"

#include <algorithm>
#include <functional>

namespace smtpd::sm::testing {
namespace {

using S = ClientState;
using grammar::Extension;

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

/// In Content after a body of three BDAT commands, `replies` chunk replies read.
ClientSession chunks(std::size_t replies) {
    ClientSession s = in(S::Content);
    s.accepted = {0, 1};
    s.bdat_commands = 3;
    s.chunk_replies = replies;
    s.content_sent = true;
    s.tx_open = true;
    return s;
}

ClientSession with(ClientSession s, std::function<void(ClientSession&)> const& change) {
    change(s);
    return s;
}

std::map<std::string_view, ClientScenario> make_scenarios() {
    using O = ClientTlsPolicy;
    std::map<std::string_view, ClientScenario> m;
    auto add = [&m](std::string_view id, ClientSession s, ClientEvent e) {
        m.emplace(id, ClientScenario{std::move(s), std::move(e)});
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
    add("rcpt-deferred", in(S::Rcpt), reply(452));
    add("rcpt-refused", in(S::Rcpt), reply(550));
    add("rcpt-next-pipelined", rcpt_done(1, {0}, true), ClientProceed{});
    add("rcpt-next", rcpt_done(1, {0}), ClientProceed{});
    add("data-pipelined", rcpt_done(2, {}, true), ClientProceed{});
    add("bdat",
        with(rcpt_done(2, {1}, true),
             [](ClientSession& s) {
                 s.offer.extensions = {Extension::Chunking, Extension::Pipelining};
             }),
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
    add("discarded", with(in(S::Discard), [](ClientSession& s) { s.tx_open = true; }), reply(554));
    add("body-written", with(in(S::Body), [](ClientSession& s) { s.accepted = {0}; }),
        ClientBodyWritten{3});
    add("bdat-chunk-ok", chunks(0), reply(250));
    add("bdat-chunk-refused", chunks(1), reply(452));
    add("next-message-reset", with(in(S::Idle), [](ClientSession& s) { s.tx_open = true; }),
        ClientSubmit{client_message({"d"})});
    add("next-message", in(S::Idle), ClientSubmit{client_message({"d", "e", "f"})});
    add("quit", in(S::Idle), ClientQuitRequest{});
    add("rset-ok", with(in(S::Reset), [](ClientSession& s) { s.tx_open = true; }), reply(250));
    add("rset-refused", in(S::Reset), reply(554));
    add("unexpected-reply", in(S::Data), reply(250));
    return m;
}

/// The events the runtime can feed in `state` (client_table_totality_test.cpp's sweep).
std::vector<ClientEvent> possible(S state) {
    if (state == S::Closed || state == S::Ready || state == S::RcptDone) {
        return {};
    }
    std::vector<ClientEvent> events{ClientTimeout{}, ClientPeerClosed{}};
    if (state == S::Handshake) {
        events.insert(events.end(), {ClientTlsDone{true}, ClientTlsDone{false}});
        return events;
    }
    if (state == S::Body) {
        events.emplace_back(ClientBodyWritten{1});
        return events;
    }
    if (state == S::Idle) {
        events.emplace_back(ClientQuitRequest{});
        events.emplace_back(ClientSubmit{client_message({"d"})});
        return events;
    }
    for (unsigned code : {250U, 354U, 450U, 550U, 421U}) {
        events.push_back(reply(code));
    }
    events.emplace_back(ClientBadReply{});
    return events;
}

} // namespace

std::map<std::string_view, ClientScenario> const& client_scenarios() {
    static std::map<std::string_view, ClientScenario> const m = make_scenarios();
    return m;
}

std::string observe(ClientStep const& step) {
    ClientSession const& s = step.next;
    std::string out = std::string(client_state_name(s.state)) + " e" +
                      std::to_string(int(step.error)) + " f" + std::to_string(client_fact_bits(s)) +
                      " r" + std::to_string(s.rcpt_sent) + "/" + std::to_string(s.rcpt_replies) +
                      " c" + std::to_string(s.content_replies) + "/" +
                      std::to_string(s.chunk_replies) + "/" + std::to_string(s.bdat_commands) +
                      " t" + std::to_string(s.transactions) + ":";
    for (auto const& o : s.outcomes) {
        out += o ? std::to_string(int(*o)) : "-";
    }
    for (ClientAction const& a : step.actions) {
        out += " " + std::to_string(a.index());
        if (auto const* send = std::get_if<ClientSend>(&a)) {
            out += send->bytes;
        } else if (auto const* r = std::get_if<ClientRecipientResult>(&a)) {
            out += std::to_string(r->index) + "=" + std::to_string(int(r->outcome)) + "/" +
                   std::to_string(r->reply.code) + (r->relayed_without_dsn ? "R" : "");
        } else if (auto const* b = std::get_if<ClientSendBody>(&a)) {
            out += std::to_string(int(b->framing));
        }
    }
    return out;
}

std::string client_rows_differ(std::span<ClientRow const> rows) {
    for (auto const& [id, sc] : client_scenarios()) {
        if (observe(client_step(sc.session, sc.event)) !=
            observe(client_step(sc.session, sc.event, rows))) {
            return "scenario " + std::string(id);
        }
    }
    for (std::size_t i = 0; i < kClientStateCount; ++i) {
        auto const state = static_cast<S>(i);
        for (ClientEvent const& e : possible(state)) {
            ClientSession const s = in(state);
            if (observe(client_step(s, e)) != observe(client_step(s, e, rows))) {
                return "totality sample " + std::string(client_state_name(state)) + " on " +
                       std::string(client_event_kind_name(client_kind_of(e)));
            }
        }
    }
    return {};
}

} // namespace smtpd::sm::testing
