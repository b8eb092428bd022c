// Test helper: the server session with its framer, driven from a byte stream as the runtime
// drives them (line_context, framer modes, chunks), with the runtime's answers given by the
// test. Collects the rendered replies. Depends on: statemachine/.
#pragma once

#include "smtpd/grammar/limits.hpp"
#include "smtpd/sm/session.hpp"

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::sm::testing {

struct Wire {
    Session session;
    Framer framer{
        grammar::max_command_line({grammar::Extension::Size, grammar::Extension::Dsn,
                                   grammar::Extension::EightBitMime, grammar::Extension::SmtpUtf8,
                                   grammar::Extension::Auth}),
        grammar::kMaxTextLine, grammar::kMaxSaslLine};
    /// The recipient lookup; everyone is accepted unless the test says otherwise.
    std::function<RcptVerdict::Kind(grammar::Path const&)> lookup = [](grammar::Path const&) {
        return RcptVerdict::Kind::Accepted;
    };
    std::vector<Reply> replies;
    std::vector<Envelope> queued;
    std::string content;
    std::size_t queue_ids = 0;

    std::span<Row const> table = server_table(); ///< the table step() applies (a mutant's, too)

    explicit Wire(SessionParams params = {}, std::span<Row const> rows = server_table())
        : table(rows) {
        session.params = params;
        feed(Connected{});
    }

    void feed(Event const& event) {
        Step r = step(session, event, table);
        session = std::move(r.next);
        std::vector<Event> answers;
        for (auto const& a : r.actions) {
            if (auto const* reply = std::get_if<ReplyAction>(&a)) {
                replies.push_back(reply->reply);
            } else if (auto const* mode = std::get_if<SetFramerMode>(&a)) {
                framer.set_mode(mode->mode);
            } else if (auto const* chunk = std::get_if<ReadChunk>(&a)) {
                framer.read_chunk(chunk->octets, chunk->skip);
            } else if (auto const* check = std::get_if<CheckRecipient>(&a)) {
                answers.emplace_back(RcptVerdict{lookup(check->recipient)});
            } else if (auto const* open = std::get_if<OpenMessage>(&a)) {
                queued.push_back(open->envelope);
                content.clear();
            } else if (auto const* data = std::get_if<WriteData>(&a)) {
                content += data->bytes;
            } else if (std::holds_alternative<CommitMessage>(a)) {
                answers.emplace_back(
                    QueueVerdict{QueueVerdict::Kind::Queued, "q" + std::to_string(++queue_ids)});
            }
        }
        for (auto const& e : answers) {
            feed(e);
        }
    }

    /// Sends bytes from the client and runs every complete frame.
    void send(std::string_view bytes) {
        framer.push(bytes);
        while (session.state != State::Closed && !awaiting_answer(session)) {
            auto frame = framer.next();
            if (!frame) {
                break;
            }
            feed(to_event(std::move(*frame), line_context(session)));
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
