// Test helper: a sm::ClientConnection driven from server bytes, a thin wrapper that collects
// what the client sends (the body streamed through a BodyEncoder, in pieces of `piece` octets),
// the per-recipient results and the end; when Idle it sends the next queued message, or quits.
// Also a transcript runner: "S: " lines are the server's, "C: " lines what the client must have
// sent since, "E: tls-ok|tls-fail|timeout|closed" runtime events (chasquid-style scripts).
// Depends on: statemachine/ (client_connection.hpp), GoogleTest.
#pragma once

#include "smtpd/sm/body_encoder.hpp"
#include "smtpd/sm/client_connection.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace smtpd::sm::testing {

inline grammar::Path client_path(std::string local, std::string domain) {
    grammar::Path p;
    p.mailbox = grammar::Mailbox{std::move(local), std::move(domain), false};
    return p;
}

/// A message with its content, as the spool would hold it (the connection gets the envelope).
struct WireMessage : ClientMessage {
    std::string content;
};

/// A message from a@example.org to the given local parts at example.net.
inline WireMessage client_message(std::vector<std::string> const& to,
                                  std::string content = "Subject: hi\r\n\r\nhello\r\n") {
    WireMessage m;
    m.sender = client_path("a", "example.org");
    for (auto const& local : to) {
        m.recipients.push_back(Recipient{client_path(local, "example.net"), {}});
    }
    m.size = content.size();
    m.content = std::move(content);
    return m;
}

inline ClientParams client_params(ClientTlsPolicy tls = ClientTlsPolicy::None) {
    ClientParams p;
    p.helo = "client.example";
    p.tls = tls;
    return p;
}

struct ClientWire {
    ClientConnection connection;
    ClientSession const& session; ///< the connection's session
    std::string sent;
    std::vector<ClientAction> actions; ///< every action, in order
    std::vector<ClientRecipientResult> results;
    std::vector<grammar::Path> result_paths; ///< the recipient of each result
    std::optional<ClientDone> done;
    std::vector<std::string_view> rows;
    bool closed = false;
    bool tls_requested = false;
    bool unexpected = false; ///< a step returned an error value
    std::size_t steps = 0;
    std::string content;            ///< the current message's content
    std::deque<WireMessage> queued; ///< sent one by one when the connection is Idle
    std::size_t piece = 0; ///< the body goes through the encoder in pieces this long; 0: whole
    std::vector<ClientSendBody> bodies; ///< every ClientSendBody, in order

    explicit ClientWire(ClientParams params = client_params(),
                        WireMessage message = client_message({"b"}),
                        std::span<ClientRow const> table = client_table())
        : connection(std::move(params), message, table), session(connection.session()),
          content(std::move(message.content)) {
        connection.set_observer([this](ClientStepRecord const& r) {
            ++steps;
            unexpected = unexpected || r.step.error != ClientStepError::None;
            rows.insert(rows.end(), r.step.rows.begin(), r.step.rows.end());
        });
    }
    ClientWire(ClientWire const&) = delete;
    ClientWire& operator=(ClientWire const&) = delete;

    /// The runtime's events: the handshake's end, the timer, the peer.
    void feed(ClientTlsDone done_tls) {
        connection.tls_done(done_tls.ok);
        run();
    }
    void feed(ClientTimeout /*event*/) {
        connection.timeout();
        run();
    }
    void feed(ClientPeerClosed /*event*/) {
        connection.peer_closed();
        run();
    }

    /// A runtime event named in a script: "tls-ok", "tls-fail", "timeout" or "closed".
    void event(std::string_view name) {
        if (name == "tls-ok" || name == "tls-fail") {
            feed(ClientTlsDone{name == "tls-ok"});
        } else if (name == "timeout") {
            feed(ClientTimeout{});
        } else if (name == "closed") {
            feed(ClientPeerClosed{});
        }
    }

    /// Server bytes through the connection; every action it takes collected.
    void server(std::string_view bytes) {
        connection.receive(bytes);
        run();
    }

    /// The driver's part of ClientSendBody: the content through a BodyEncoder, then the end.
    void write_body(ClientSendBody body) {
        bodies.push_back(body);
        BodyEncoder encoder(body.framing);
        std::string_view rest = content;
        while (!rest.empty()) {
            std::size_t const n = std::min(piece == 0 ? rest.size() : piece, rest.size());
            sent += encoder.encode(rest.substr(0, n));
            rest.remove_prefix(n);
        }
        sent += encoder.finish();
        connection.body_written(encoder.bdat_commands());
    }

    /// Takes every action until the connection needs bytes, waits for a handshake or is done.
    void run() {
        for (;;) {
            ClientNext next = connection.next_action();
            if (std::holds_alternative<ClientIdle>(next)) {
                if (queued.empty()) {
                    connection.quit();
                } else {
                    content = queued.front().content;
                    connection.send_message(queued.front());
                    queued.pop_front();
                }
                continue;
            }
            if (auto const* body = std::get_if<ClientSendBody>(&next)) {
                write_body(*body);
                continue;
            }
            if (std::holds_alternative<ClientNeedData>(next) ||
                std::holds_alternative<ClientPaused>(next) ||
                std::holds_alternative<ClientFinished>(next)) {
                return;
            }
            ClientAction action = std::visit(
                [](auto& a) -> ClientAction {
                    if constexpr (std::is_constructible_v<ClientAction, decltype(std::move(a))>) {
                        return std::move(a);
                    } else {
                        return ClientClose{}; // the markers, returned above
                    }
                },
                next);
            if (auto const* s = std::get_if<ClientSend>(&action)) {
                sent += s->bytes;
            } else if (auto const* res = std::get_if<ClientRecipientResult>(&action)) {
                results.push_back(*res);
                result_paths.push_back(session.message.recipients.at(res->index).path);
            } else if (auto const* d = std::get_if<ClientDone>(&action)) {
                done = *d;
            } else if (std::holds_alternative<ClientClose>(action)) {
                closed = true;
            } else if (std::holds_alternative<ClientStartTls>(action)) {
                tls_requested = true;
            }
            actions.push_back(std::move(action));
        }
    }

    std::string take_sent() { return std::exchange(sent, std::string()); }

    [[nodiscard]] std::optional<ClientOutcome> outcome(std::size_t index) const {
        for (auto const& r : results) {
            if (r.index == index) {
                return r.outcome;
            }
        }
        return std::nullopt;
    }
};

/// The greeting and a plain EHLO (8BITMIME only).
inline constexpr std::string_view kEhloPlain = "S: 220 mx.example ESMTP\n"
                                               "C: EHLO client.example\n"
                                               "S: 250-mx.example\n"
                                               "S: 250 8BITMIME\n";

/// The session ended with these counts, every recipient decided, no error value.
inline void expect_done(ClientWire const& w, std::size_t delivered, std::size_t temp,
                        std::size_t perm, std::size_t deferred = 0) {
    ASSERT_TRUE(w.done.has_value());
    EXPECT_EQ(w.done->delivered, delivered);
    EXPECT_EQ(w.done->temp_failed, temp);
    EXPECT_EQ(w.done->perm_failed, perm);
    EXPECT_EQ(w.done->deferred, deferred);
    EXPECT_TRUE(w.closed);
    EXPECT_EQ(w.session.state, ClientState::Closed);
    EXPECT_FALSE(w.unexpected);
    EXPECT_EQ(w.results.size(), delivered + temp + perm + deferred);
}

/// Runs a script against the wire; EXPECTs what the client sends at each turn.
inline void run_transcript(ClientWire& w, std::string_view script) {
    std::istringstream in{std::string(script)};
    std::string expected;
    std::string line;
    auto check = [&] {
        EXPECT_EQ(w.take_sent(), expected) << "before line: " << line;
        expected.clear();
    };
    while (std::getline(in, line)) {
        if (line.size() < 3 || line[1] != ':') {
            continue;
        }
        std::string const text = line.substr(3);
        if (line[0] == 'C') {
            expected += text + "\r\n";
            continue;
        }
        check();
        if (line[0] == 'S') {
            w.server(text + "\r\n");
        } else {
            w.event(text);
        }
    }
    line = "(end)";
    check();
}

} // namespace smtpd::sm::testing
