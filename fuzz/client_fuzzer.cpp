// Fuzz target: arbitrary server bytes through sm::ClientConnection, the object the runtime
// drives (the handshake answered when asked), with the relay's options chosen by the first byte
// and a fixed two-recipient message. Properties: every step is accepted, the session keeps
// protocol order (smtpd_sm_testing's ClientOrder: the message only after a 354 or in BDAT,
// nothing after QUIT, one result per recipient, ClientDone last), and it ends within a bounded
// number of replies, with the assembler's memory bounded.
#include "smtpd/sm/client_connection.hpp"
#include "smtpd/sm/testing/client_order.hpp"

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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::uint8_t const options = size > 0 ? data[0] : 0;
    ClientConnection c(fixed_params(options), fixed_message(options));
    smtpd::sm::testing::ClientOrder order{c.session()};
    std::size_t events = 0;
    c.set_observer([&](ClientStepRecord const& r) {
        check(r.step.error == ClientStepError::None);
        check(order.observe(r.event, r.step));
        // At most 14 + 2 per recipient events end a session (client_props_test.cpp).
        check(++events <= 18);
    });
    bool const tls_ok = size < 2 || (data[1] & 1U) == 0;
    std::string_view bytes(reinterpret_cast<char const*>(data), size);
    bytes.remove_prefix(std::min<std::size_t>(size, 1));
    c.receive(bytes);
    for (;;) {
        ClientNext const next = c.next_action();
        if (std::holds_alternative<ClientFinished>(next)) {
            break;
        }
        if (std::holds_alternative<ClientPaused>(next)) {
            c.tls_done(tls_ok);
        } else if (std::holds_alternative<ClientNeedData>(next)) {
            c.peer_closed(); // every byte was given
        }
    }
    check(c.closed() && order.done());
    return 0;
}
