// Fuzz target: arbitrary server bytes through the client's reply assembler and session, driven as
// the runtime drives them (the handshake answered when asked), with the relay's options chosen
// by the first byte and a fixed two-recipient message. Properties: every step is accepted, the
// session keeps protocol order (tests/statemachine/client_order.hpp: the message only after a
// 354 or in BDAT, nothing after QUIT, one result per recipient, ClientDone last), and it ends
// within a bounded number of replies, with the assembler's memory bounded.
#include "../tests/statemachine/client_order.hpp"
#include "smtpd/sm/client.hpp"
#include "smtpd/sm/client_reply.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace smtpd::sm;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

ClientMessage fixed_message(std::uint8_t options) {
    ClientMessage m;
    for (char const* local : {"b", "c"}) {
        smtpd::grammar::Path p;
        p.mailbox = smtpd::grammar::Mailbox{local, "example.net", false};
        m.recipients.push_back(Recipient{p, {}});
    }
    m.sender.mailbox = smtpd::grammar::Mailbox{"a", "example.org", false};
    m.content = "Subject: x\r\n\r\n.line\r\nbody\r\n";
    m.mail.body = (options & 64U) != 0 ? Body::EightBitMime : Body::Unspecified;
    m.mail.smtputf8 = (options & 128U) != 0;
    return m;
}

ClientParams fixed_params(std::uint8_t options) {
    ClientParams p;
    p.helo = "client.example";
    p.tls = static_cast<ClientTlsPolicy>(options % 3U);
    p.lmtp = (options & 4U) != 0;
    p.implicit_tls = (options & 8U) != 0;
    if ((options & 16U) != 0) {
        p.credentials = ClientCredentials{"user", "pass"};
    }
    p.auth_in_clear = (options & 32U) != 0;
    return p;
}

struct Harness {
    ClientSession session;
    smtpd::sm::testing::ClientOrder order{session};
    std::size_t events = 0;
    bool tls_ok = true;

    explicit Harness(ClientSession s) : session(std::move(s)) {}

    void feed(ClientEvent const& event) {
        ClientStep r = client_step(session, event);
        check(r.error == ClientStepError::None);
        check(order.observe(event, r));
        session = std::move(r.next);
        // At most 14 + 2 per recipient events end a session (client_props_test.cpp).
        check(++events <= 18);
        if (session.state == ClientState::Handshake) {
            feed(ClientTlsDone{tls_ok});
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::uint8_t const options = size > 0 ? data[0] : 0;
    Harness h(client_session(fixed_params(options), fixed_message(options)));
    h.tls_ok = size < 2 || (data[1] & 1U) == 0;
    std::string_view bytes(reinterpret_cast<char const*>(data), size);
    bytes.remove_prefix(std::min<std::size_t>(size, 1));
    ClientReplyAssembler assembler;
    while (!bytes.empty() && h.session.state != ClientState::Closed) {
        bytes.remove_prefix(assembler.feed(bytes));
        if (auto r = assembler.take()) {
            if (auto const* reply = std::get_if<smtpd::grammar::Reply>(&*r)) {
                h.feed(ClientReply{*reply});
            } else {
                h.feed(ClientBadReply{std::get<ClientReplyError>(*r)});
            }
        }
    }
    if (h.session.state != ClientState::Closed) {
        h.feed(ClientPeerClosed{});
    }
    check(h.session.state == ClientState::Closed && h.order.done());
    return 0;
}
