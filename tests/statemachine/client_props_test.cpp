// rapidcheck properties of the client session: whatever the server answers (random reply codes,
// random EHLO offers, 421s, broken replies, timeouts, failed handshakes) and whatever the relay's
// configuration, the session keeps protocol order (client_order.hpp: the message only after a
// 354 or inside BDAT, nothing after QUIT, one result per recipient, ClientDone last) and ends
// within a bounded number of events.
#include "client_wire.hpp"
#include "smtpd/sm/testing/client_order.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace smtpd::sm {
namespace {

using testing::ClientOrder;

/// One move of the server or the runtime.
struct Move {
    unsigned code = 250; ///< 0: timeout, 1: peer closed, 2: broken reply, 3: what is expected
    std::uint16_t offer = 0;
};

std::vector<std::string> ehlo_lines(std::uint16_t offer) {
    static std::vector<std::string> const keywords{
        "PIPELINING", "SIZE 100000", "8BITMIME",           "SMTPUTF8",
        "DSN",        "CHUNKING",    "STARTTLS",           "AUTH PLAIN",
        "AUTH LOGIN", "SIZE 10",     "ENHANCEDSTATUSCODES"};
    std::vector<std::string> lines{"mx.example"};
    for (std::size_t i = 0; i < keywords.size(); ++i) {
        if (((offer >> i) & 1U) != 0) {
            lines.push_back(keywords[i]);
        }
    }
    return lines;
}

/// The reply a cooperative server gives in this state (Move code 1).
unsigned expected_code(ClientState s) {
    switch (s) {
    case ClientState::Greeting:
    case ClientState::StartTls:
        return 220;
    case ClientState::AuthLoginUser:
    case ClientState::AuthLoginPass:
        return 334;
    case ClientState::AuthResult:
        return 235;
    case ClientState::Data:
        return 354;
    default:
        return 250;
    }
}

ClientEvent to_event(Move m, ClientState state) {
    if (m.code == 3) {
        m.code = expected_code(state);
    }
    switch (m.code) {
    case 0:
        return ClientTimeout{};
    case 1:
        return ClientPeerClosed{};
    case 2:
        return ClientBadReply{};
    default:
        return ClientReply{grammar::Reply{m.code, std::nullopt, ehlo_lines(m.offer)}};
    }
}

rc::Gen<Move> move() {
    return rc::gen::build<Move>(
        rc::gen::set(&Move::code, rc::gen::weightedElement<unsigned>({{10, 220},
                                                                      {20, 250},
                                                                      {4, 235},
                                                                      {4, 334},
                                                                      {6, 354},
                                                                      {2, 221},
                                                                      {2, 421},
                                                                      {4, 450},
                                                                      {3, 454},
                                                                      {4, 550},
                                                                      {3, 502},
                                                                      {2, 535},
                                                                      {2, 554},
                                                                      {1, 0},
                                                                      {1, 1},
                                                                      {1, 2},
                                                                      {60, 3}})),
        rc::gen::set(&Move::offer, rc::gen::inRange<std::uint16_t>(0, 1U << 11U)));
}

ClientParams params() {
    ClientParams p = testing::client_params(*rc::gen::element(
        ClientTlsPolicy::None, ClientTlsPolicy::Opportunistic, ClientTlsPolicy::Required));
    p.lmtp = *rc::gen::arbitrary<bool>();
    p.implicit_tls = *rc::gen::arbitrary<bool>();
    p.auth_in_clear = *rc::gen::arbitrary<bool>();
    if (*rc::gen::weightedElement<bool>({{3, false}, {1, true}})) {
        p.credentials = ClientCredentials{"user", "pass"};
    }
    return p;
}

ClientMessage message() {
    auto const n = *rc::gen::inRange<std::size_t>(0, 5);
    std::vector<std::string> to;
    for (std::size_t i = 0; i < n; ++i) {
        to.push_back("r" + std::to_string(i));
    }
    ClientMessage m = testing::client_message(
        to, *rc::gen::element<std::string>("", "x\r\n", ".\r\n.x\r\n", "a\nb\r\n"));
    // Rarely: a message needing an extension mostly ends before MAIL.
    m.mail.body =
        *rc::gen::weightedElement<Body>({{9, Body::Unspecified}, {1, Body::EightBitMime}});
    m.mail.smtputf8 = *rc::gen::weightedElement<bool>({{9, false}, {1, true}});
    return m;
}

RC_GTEST_PROP(ClientSessionProps, RandomRepliesKeepProtocolOrderAndEnd, ()) {
    ClientSession s = client_session(params(), message());
    auto const moves = *rc::gen::container<std::vector<Move>>(move());
    ClientOrder order(s);
    // Greeting, EHLO, HELO, STARTTLS, the handshake, EHLO, HELO, three AUTH replies, MAIL, one
    // per RCPT, DATA, one per accepted RCPT after the message, QUIT: at most 14 + 2n events.
    std::size_t const bound = 14 + 2 * s.message.recipients.size();
    std::size_t events = 0;
    for (std::size_t i = 0; s.state != ClientState::Closed; ++i) {
        ClientEvent event = ClientPeerClosed{};
        if (i < moves.size()) {
            event = s.state == ClientState::Handshake
                        ? ClientEvent{ClientTlsDone{moves[i].code != 554}}
                        : to_event(moves[i], s.state);
        }
        ClientStep r = client_step(s, event);
        RC_ASSERT(r.error == ClientStepError::None);
        RC_ASSERT(order.observe(event, r));
        s = std::move(r.next);
        RC_ASSERT(++events <= bound);
        RC_ASSERT(r.rows.size() <= 2U);
    }
    RC_ASSERT(order.done());
    RC_ASSERT(order.error().empty());
}

RC_GTEST_PROP(ClientSessionProps, RandomBytesEndCleanly, ()) {
    auto const bytes = *rc::gen::container<std::string>(
        rc::gen::element<char>('2', '5', '0', '-', ' ', '\r', '\n', 'x', '3', '4'));
    testing::ClientWire w(testing::client_params(), testing::client_message({"b", "c"}));
    w.server(bytes);
    if (w.session.state != ClientState::Closed) {
        w.feed(ClientPeerClosed{});
    }
    RC_ASSERT(!w.unexpected);
    RC_ASSERT(w.session.state == ClientState::Closed);
    RC_ASSERT(w.done.has_value());
    RC_ASSERT(w.results.size() == 2U);
}

} // namespace
} // namespace smtpd::sm
