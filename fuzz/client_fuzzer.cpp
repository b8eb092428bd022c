// Fuzz target: arbitrary server bytes through sm::ClientConnection, the object the runtime
// drives, over several transactions: the first byte chooses the relay's options, the second the
// driver's (the handshake's result, how many more messages, the body's piece size); the body is
// streamed through sm::BodyEncoder. Properties: every step is accepted; the session keeps
// protocol order (smtpd_sm_testing's ClientOrder: the body only after a 354 or as BDAT, no MAIL
// while a transaction is open, nothing after QUIT, one result per recipient per message,
// ClientDone last); a result's reply is bounded with no control octet (CVE-2020-8794); a time-out
// applies whenever a reply is awaited; the session ends within a bounded number of events.
#include "smtpd/sm/body_encoder.hpp"
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

constexpr std::string_view kContent = "Subject: x\r\n\r\n.line\nbody\r.\r\n";

ClientMessage fixed_message(std::uint8_t options, std::size_t recipients) {
    ClientMessage m;
    for (char const* local : {"b", "c", "d"}) {
        if (m.recipients.size() < recipients) {
            smtpd::grammar::Path p;
            p.mailbox = smtpd::grammar::Mailbox{local, "example.net", false};
            m.recipients.push_back(Recipient{p, {kNotifySuccess, std::nullopt}});
        }
    }
    m.sender.mailbox = smtpd::grammar::Mailbox{"a", "example.org", false};
    m.size = kContent.size();
    m.mail.body = (options & 64U) != 0 ? Body::EightBitMime : Body::Unspecified;
    m.mail.smtputf8 = (options & 128U) != 0;
    return m;
}

ClientParams fixed_params(std::uint8_t options) {
    ClientParams p;
    p.helo = "client.example";
    p.server_name = "mx.example.net";
    p.tls = static_cast<ClientTlsPolicy>(options % 3U);
    p.lmtp = (options & 4U) != 0;
    p.implicit_tls = (options & 8U) != 0;
    if ((options & 16U) != 0) {
        p.credentials = ClientCredentials{"user", "pass"};
    }
    p.auth_in_clear = (options & 32U) != 0;
    return p;
}

void check_result(ClientRecipientResult const& r) {
    std::size_t total = 0;
    check(r.reply.lines.size() <= kMaxResultLines);
    for (auto const& line : r.reply.lines) {
        total += line.size();
        check(std::none_of(line.begin(), line.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20U || c == 0x7f;
        }));
    }
    check(total <= kMaxResultText);
}

/// Writes the body in pieces of `piece` octets; how many BDAT commands it took (each gets a
/// reply of its own: an event beyond the fixed count per message).
std::size_t write_body(ClientConnection& c, ClientSendBody body, std::size_t piece) {
    BodyEncoder encoder(body.framing);
    std::string_view rest = kContent;
    while (!rest.empty()) {
        std::size_t const n = std::min(piece, rest.size());
        (void)encoder.encode(rest.substr(0, n));
        rest.remove_prefix(n);
    }
    (void)encoder.finish();
    c.body_written(encoder.bdat_commands());
    return encoder.bdat_commands();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::uint8_t const options = size > 0 ? data[0] : 0;
    std::uint8_t const driver = size > 1 ? data[1] : 0;
    bool const tls_ok = (driver & 1U) == 0;
    std::size_t more = (driver >> 1U) & 3U; // further messages offered when Idle
    std::size_t const piece = 1 + (driver >> 3U);
    ClientConnection c(fixed_params(options), fixed_message(options, 2));
    smtpd::sm::testing::ClientOrder order{c.session()};
    std::size_t events = 0;
    // Greeting, EHLO, HELO, STARTTLS, handshake, EHLO, HELO, three AUTH replies, QUIT; per
    // message RSET, MAIL, a RCPT each, DATA, the body, an LMTP reply each, the driver's answer;
    // and a reply to each BDAT command (write_body's count: the body is cut in `piece`s).
    std::size_t const bound = 12 + (1 + more) * (6 + 2 * 3);
    std::size_t bdat = 0;
    c.set_observer([&](ClientStepRecord const& r) {
        check(r.step.error == ClientStepError::None);
        check(order.observe(r.event, r.step));
        check(++events <= bound + bdat);
    });
    std::string_view bytes(reinterpret_cast<char const*>(data), size);
    bytes.remove_prefix(std::min<std::size_t>(size, 2));
    c.receive(bytes);
    for (;;) {
        ClientNext const next = c.next_action();
        if (std::holds_alternative<ClientFinished>(next)) {
            break;
        }
        if (auto const* r = std::get_if<ClientRecipientResult>(&next)) {
            check_result(*r);
        } else if (auto const* body = std::get_if<ClientSendBody>(&next)) {
            bdat += write_body(c, *body, piece);
        } else if (std::holds_alternative<ClientIdle>(next)) {
            if (more > 0) {
                c.send_message(fixed_message(options, more--));
            } else {
                c.quit();
            }
        } else if (std::holds_alternative<ClientPaused>(next)) {
            c.tls_done(tls_ok);
        } else if (std::holds_alternative<ClientNeedData>(next)) {
            check(c.current_timeout() != ClientTimeoutKind::None); // a reply is awaited
            c.peer_closed();                                       // every byte was given
        }
    }
    check(c.closed() && order.done());
    return 0;
}
