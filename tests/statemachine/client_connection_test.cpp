// sm::ClientConnection, the object every client driver uses: the same actions whatever the split
// of the server's bytes (Beast's parsegrind over replies), NeedData until a reply is whole
// (RFC 5321 §4.2), Paused while the handshake runs and the clear text behind the 220 dropped
// (RFC 3207 §4.2), Finished once done, and the table
// it is given driven. Depends on: statemachine/, client_wire.hpp, GoogleTest.
#include "client_wire.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace smtpd::sm {
namespace {

using testing::client_message;
using testing::client_params;

/// Every action of a connection fed `pieces` of server bytes, rendered, with no markers.
std::vector<std::string> client_log(std::vector<std::string_view> const& pieces,
                                    ClientParams params, ClientMessage const& message) {
    ClientConnection c(std::move(params), message);
    std::vector<std::string> log;
    auto drive = [&] {
        for (;;) {
            ClientNext next = c.next_action();
            if (std::holds_alternative<ClientNeedData>(next) ||
                std::holds_alternative<ClientFinished>(next)) {
                return;
            }
            if (std::holds_alternative<ClientPaused>(next)) {
                log.emplace_back("handshake");
                c.tls_done(true);
            } else if (std::holds_alternative<ClientIdle>(next)) {
                log.emplace_back("idle");
                c.quit();
            } else if (std::holds_alternative<ClientSendBody>(next)) {
                log.emplace_back("body");
                c.body_written(0);
            } else if (auto const* s = std::get_if<ClientSend>(&next)) {
                log.push_back("send " + s->bytes);
            } else if (auto const* r = std::get_if<ClientRecipientResult>(&next)) {
                log.push_back("result " + std::to_string(r->index) + " " +
                              std::to_string(r->reply.code));
            } else if (std::holds_alternative<ClientDone>(next)) {
                log.emplace_back("done");
            } else if (std::holds_alternative<ClientClose>(next)) {
                log.emplace_back("close");
            } else if (std::holds_alternative<ClientStartTls>(next)) {
                log.emplace_back("starttls");
            }
        }
    };
    drive();
    for (auto piece : pieces) {
        c.receive(piece);
        drive();
    }
    if (!c.closed()) {
        log.emplace_back("peer closed");
        c.peer_closed();
        drive();
    }
    return log;
}

constexpr std::string_view kLmtpServer = "220 store.example LMTP\r\n"
                                         "250-store.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
                                         "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 no\r\n"
                                         "354 go\r\n250 2.0.0 b delivered\r\n221 2.0.0 Bye\r\n";

constexpr std::string_view kSmtpServer = "220 mx.example ESMTP\r\n"
                                         "250-mx.example\r\n250-STARTTLS\r\n250 SIZE 100000\r\n"
                                         "220 2.0.0 go ahead\r\n"
                                         "250-mx.example\r\n250 SIZE 100000\r\n"
                                         "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
                                         "354 go\r\n250 2.0.0 queued\r\n221 2.0.0 Bye\r\n";

/// The server's bytes cut at `at` and at `tls_at` (where the handshake runs: what follows is
/// read from inside TLS, after it, never with the clear text before it).
std::vector<std::string_view> cut(std::string_view server, std::size_t at, std::size_t tls_at) {
    std::vector<std::size_t> ends{std::min(at, server.size()), std::min(tls_at, server.size()),
                                  server.size()};
    std::ranges::sort(ends);
    std::vector<std::string_view> pieces;
    std::size_t from = 0;
    for (std::size_t const end : ends) {
        pieces.push_back(server.substr(from, end - from));
        from = end;
    }
    return pieces;
}

TEST(ClientConnection, EverySplitOfTheServerBytesTakesTheSameActions) {
    ClientParams lmtp = client_params();
    lmtp.lmtp = true;
    struct Case {
        std::string_view server;
        ClientParams params;
        ClientMessage message;
        std::size_t tls_at = std::string_view::npos;
    };
    std::string_view const go_ahead = "220 2.0.0 go ahead\r\n";
    std::vector<Case> const cases{
        {kLmtpServer, lmtp, client_message({"b", "c"})},
        {kSmtpServer, client_params(ClientTlsPolicy::Opportunistic), client_message({"b", "c"}),
         kSmtpServer.find(go_ahead) + go_ahead.size()},
    };
    for (auto const& k : cases) {
        auto const expected = client_log(cut(k.server, 0, k.tls_at), k.params, k.message);
        ASSERT_FALSE(expected.empty());
        EXPECT_EQ(expected.back(), "done") << k.server;
        EXPECT_NE(std::ranges::find(expected, "send QUIT\r\n"), expected.end()) << k.server;
        for (std::size_t at = 0; at <= k.server.size(); ++at) {
            ASSERT_EQ(client_log(cut(k.server, at, k.tls_at), k.params, k.message), expected)
                << "split at " << at;
        }
    }
}

TEST(ClientConnection, NeedsDataUntilAReplyIsWhole) {
    ClientConnection c(client_params(), client_message({"b"}));
    EXPECT_TRUE(std::holds_alternative<ClientNeedData>(c.next_action()));
    c.receive("220-mx.example\r\n220 ES");
    EXPECT_TRUE(std::holds_alternative<ClientNeedData>(c.next_action()));
    c.receive("MTP\r\n");
    ClientNext const ehlo = c.next_action();
    ASSERT_TRUE(std::holds_alternative<ClientSend>(ehlo));
    EXPECT_EQ(std::get<ClientSend>(ehlo).bytes, "EHLO client.example\r\n");
    EXPECT_TRUE(std::holds_alternative<ClientNeedData>(c.next_action()));
}

TEST(ClientConnection, PausesWhileTheHandshakeRuns) {
    ClientConnection c(client_params(ClientTlsPolicy::Required), client_message({"b"}));
    c.receive("220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250 mx\r\n");
    std::vector<std::string> sent;
    ClientNext next = c.next_action();
    while (auto const* s = std::get_if<ClientSend>(&next)) {
        sent.push_back(s->bytes);
        next = c.next_action();
    }
    EXPECT_EQ(sent, (std::vector<std::string>{"EHLO client.example\r\n", "STARTTLS\r\n"}));
    ASSERT_TRUE(std::holds_alternative<ClientStartTls>(next));
    EXPECT_TRUE(std::holds_alternative<ClientPaused>(c.next_action()));
    c.tls_done(true);
    EXPECT_TRUE(c.session().tls);
    next = c.next_action();
    ASSERT_TRUE(std::holds_alternative<ClientSend>(next));
    EXPECT_EQ(std::get<ClientSend>(next).bytes, "EHLO client.example\r\n");
    // "250 mx" came in clear behind the 220 (RFC 3207 §4.2): dropped, not the answer to this EHLO.
    EXPECT_TRUE(std::holds_alternative<ClientNeedData>(c.next_action()));
    c.receive("250 mx\r\n");
    next = c.next_action();
    ASSERT_TRUE(std::holds_alternative<ClientSend>(next));
    EXPECT_EQ(std::get<ClientSend>(next).bytes, "MAIL FROM:<a@example.org>\r\n");
}

TEST(Regression, StartTlsResponseInjectionIsNotReadInsideTls) {
    // The plaintext behind the 220, and bytes handed in while the handshake runs, would offer
    // PIPELINING to the EHLO inside TLS; neither is read (conformance/client/hostile/).
    ClientConnection c(client_params(ClientTlsPolicy::Required), client_message({"b"}));
    c.receive("220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250-x\r\n");
    for (ClientNext next = c.next_action(); !std::holds_alternative<ClientPaused>(next);
         next = c.next_action()) {
        ASSERT_FALSE(std::holds_alternative<ClientNeedData>(next));
    }
    c.receive("250 PIPELINING\r\n");
    c.tls_done(true);
    ClientNext next = c.next_action();
    ASSERT_TRUE(std::holds_alternative<ClientSend>(next));
    EXPECT_EQ(std::get<ClientSend>(next).bytes, "EHLO client.example\r\n");
    EXPECT_TRUE(std::holds_alternative<ClientNeedData>(c.next_action()));
    c.receive("250 mx\r\n");
    next = c.next_action();
    ASSERT_TRUE(std::holds_alternative<ClientSend>(next));
    EXPECT_EQ(std::get<ClientSend>(next).bytes, "MAIL FROM:<a@example.org>\r\n");
}

TEST(ClientConnection, FinishedAfterTheServerGoesAway) {
    ClientConnection c(client_params(), client_message({"b"}));
    c.peer_closed();
    std::vector<std::string> kinds;
    for (ClientNext next = c.next_action(); !std::holds_alternative<ClientFinished>(next);
         next = c.next_action()) {
        ASSERT_FALSE(std::holds_alternative<ClientNeedData>(next));
        if (auto const* r = std::get_if<ClientRecipientResult>(&next)) {
            EXPECT_EQ(r->outcome, ClientOutcome::TempFail);
        }
    }
    EXPECT_TRUE(c.closed());
}

TEST(ClientConnection, DrivesTheTableItIsGiven) {
    std::vector<ClientStepError> errors;
    ClientConnection mutant(client_params(), client_message({"b"}), std::span<ClientRow const>{});
    mutant.set_observer([&](ClientStepRecord const& r) { errors.push_back(r.step.error); });
    mutant.receive("220 mx\r\n");
    EXPECT_TRUE(std::holds_alternative<ClientNeedData>(mutant.next_action()));
    EXPECT_EQ(errors, std::vector<ClientStepError>{ClientStepError::UnexpectedEvent});
}

} // namespace
} // namespace smtpd::sm
