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
                                                                      {3, 452},
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

testing::WireMessage message() {
    auto const n = *rc::gen::inRange<std::size_t>(0, 5);
    std::vector<std::string> to;
    for (std::size_t i = 0; i < n; ++i) {
        to.push_back("r" + std::to_string(i));
    }
    auto m = testing::client_message(
        to, *rc::gen::element<std::string>("", "x\r\n", ".\r\n.x\r\n", "a\nb\r\n"));
    // Rarely: a message needing an extension mostly ends before MAIL.
    m.mail.body =
        *rc::gen::weightedElement<Body>({{9, Body::Unspecified}, {1, Body::EightBitMime}});
    m.mail.smtputf8 = *rc::gen::weightedElement<bool>({{9, false}, {1, true}});
    return m;
}

/// The driver's answer in a state where the session waits for it, or nullopt.
std::optional<ClientEvent> driver_event(ClientState state, Move m,
                                        std::vector<ClientMessage>& queued) {
    if (state == ClientState::Handshake) {
        return ClientTlsDone{m.code != 554};
    }
    if (state == ClientState::Body) {
        return ClientBodyWritten{m.offer % 4U};
    }
    if (state != ClientState::Idle) {
        return std::nullopt;
    }
    if (queued.empty() || m.code == 0) {
        return ClientQuitRequest{};
    }
    ClientEvent next = ClientSubmit{queued.back()};
    queued.pop_back();
    return next;
}

RC_GTEST_PROP(ClientSessionProps, RandomRepliesKeepProtocolOrderAndEnd, ()) {
    ClientSession s = client_session(params(), message());
    std::vector<ClientMessage> queued;
    for (auto n = *rc::gen::inRange(0, 3); n > 0; --n) {
        queued.push_back(message());
    }
    auto const moves = *rc::gen::container<std::vector<Move>>(move());
    ClientOrder order(s);
    // Greeting, EHLO, HELO, STARTTLS, the handshake, EHLO, HELO, three AUTH replies, QUIT; per
    // message: RSET, MAIL, one per RCPT, DATA, the body, one per accepted RCPT after it (LMTP),
    // the driver's answer when Idle: at most 12 + the sum of 6 + 2n events.
    std::size_t bound = 12 + 6 + 2 * s.message.recipients.size();
    for (auto const& m : queued) {
        bound += 6 + 2 * m.recipients.size();
    }
    std::size_t events = 0;
    for (std::size_t i = 0; s.state != ClientState::Closed; ++i) {
        ClientEvent event = ClientPeerClosed{};
        if (i < moves.size()) {
            auto answer = driver_event(s.state, moves[i], queued);
            event = answer ? std::move(*answer) : to_event(moves[i], s.state);
        } else if (s.state == ClientState::Idle) {
            event = ClientQuitRequest{};
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

RC_GTEST_PROP(ClientSessionProps, ResultRepliesAreBoundedSingleLines, ()) {
    // Whatever bytes the server puts in its replies' text, a result carries at most
    // kMaxResultLines lines of kMaxResultText octets in all, with no control octet.
    auto const text = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
    std::vector<std::string> lines(*rc::gen::inRange<std::size_t>(1, 120), text);
    grammar::Reply const hostile{550, std::nullopt, lines};
    grammar::Reply const r = bounded_reply(hostile);
    std::size_t total = 0;
    RC_ASSERT(r.lines.size() <= kMaxResultLines);
    for (auto const& line : r.lines) {
        total += line.size();
        for (char c : line) {
            RC_ASSERT(static_cast<unsigned char>(c) >= 0x20U);
            RC_ASSERT(c != 0x7f);
        }
    }
    RC_ASSERT(total <= kMaxResultText);
    std::string const one = client_reply_text(hostile);
    RC_ASSERT(one.find_first_of(std::string("\r\n\0", 3)) == std::string::npos);
    RC_ASSERT(one.size() <= 4 + kMaxResultText + kMaxResultLines);
}

} // namespace
} // namespace smtpd::sm
