// Test helper: a sm::ServerConnection driven from a byte stream, the runtime's answers given by
// the test (the recipient lookup, queue ids), collecting the rendered replies, the envelopes
// opened and the content written. A thin wrapper: the loop is the connection's own.
// Depends on: statemachine/ (server_connection.hpp).
#pragma once

#include "smtpd/sm/server_connection.hpp"

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::sm::testing {

struct Wire {
    ServerConnection connection;
    /// The recipient lookup; everyone is accepted unless the test says otherwise.
    std::function<RcptVerdict::Kind(grammar::Path const&)> lookup = [](grammar::Path const&) {
        return RcptVerdict::Kind::Accepted;
    };
    std::vector<Reply> replies;
    std::vector<Envelope> queued;
    std::string content;
    std::size_t queue_ids = 0;
    Session const& session; ///< the connection's session

    explicit Wire(SessionParams params = {}, std::span<Row const> table = server_table())
        : connection(params, table), session(connection.session()) {
        connection.start();
        run();
    }
    Wire(Wire const&) = delete;
    Wire& operator=(Wire const&) = delete;

    /// The runtime's events the test gives itself: a handshake's end, a credential check's
    /// verdict, the timer, the peer.
    void feed(TlsDone done) {
        connection.answer(done);
        run();
    }
    void feed(AuthVerdict verdict) {
        connection.answer(verdict);
        run();
    }
    void feed(Timeout /*event*/) {
        connection.timeout();
        run();
    }
    void feed(PeerClosed /*event*/) {
        connection.peer_closed();
        run();
    }

    /// Sends bytes from the client and runs every complete frame.
    void send(std::string_view bytes) {
        connection.receive(bytes);
        run();
    }

    /// Performs every action the connection asks for, until it needs bytes or is closed.
    void run() {
        for (;;) {
            ServerNext next = connection.next_action();
            if (std::holds_alternative<NeedData>(next) || std::holds_alternative<Finished>(next) ||
                std::holds_alternative<Paused>(next)) {
                return;
            }
            if (auto const* reply = std::get_if<ReplyAction>(&next)) {
                replies.push_back(reply->reply);
            } else if (auto const* check = std::get_if<CheckRecipient>(&next)) {
                connection.answer(RcptVerdict{lookup(check->recipient)});
            } else if (auto const* open = std::get_if<OpenMessage>(&next)) {
                queued.push_back(open->envelope);
                content.clear();
            } else if (auto const* data = std::get_if<WriteData>(&next)) {
                content += data->bytes;
            } else if (std::holds_alternative<CommitMessage>(next)) {
                connection.answer(
                    QueueVerdict{QueueVerdict::Kind::Queued, "q" + std::to_string(++queue_ids)});
            }
        }
    }

    /// The reply codes so far.
    [[nodiscard]] std::vector<int> codes() const {
        std::vector<int> out;
        for (auto const& r : replies) {
            out.push_back(reply_text(r.id).code);
        }
        return out;
    }
};

} // namespace smtpd::sm::testing
