// Test helper: replays a client byte stream through sm::ServerConnection in the pieces given and
// logs every action it takes (markers left out, adjacent WriteData merged), with fixed answers:
// Green is unknown, the user "good" authenticates, every commit is queued, every handshake works.
// Two replays of the same bytes split differently must log the same (Beast's parsegrind).
// Depends on: statemachine/ (server_connection.hpp).
#pragma once

#include "smtpd/sm/server_connection.hpp"

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::sm::testing {

inline std::string path_text(grammar::Path const& p) {
    return p.mailbox ? "<" + p.mailbox->local_part + "@" + p.mailbox->domain + ">" : "<>";
}

/// Takes every action until the connection needs bytes or is finished, logging each.
inline void drive(ServerConnection& c, std::vector<std::string>& log, std::size_t& queued) {
    for (;;) {
        ServerNext next = c.next_action();
        if (std::holds_alternative<NeedData>(next) || std::holds_alternative<Finished>(next)) {
            return;
        }
        if (std::holds_alternative<Paused>(next)) {
            log.emplace_back("paused"); // every question is answered below: a defect
            return;
        }
        if (auto const* reply = std::get_if<ReplyAction>(&next)) {
            log.push_back(render_reply(reply->reply, "mx.example"));
        } else if (auto const* rcpt = std::get_if<CheckRecipient>(&next)) {
            log.push_back("check " + path_text(rcpt->recipient));
            bool const green =
                rcpt->recipient.mailbox && rcpt->recipient.mailbox->local_part == "Green";
            c.answer(
                RcptVerdict{green ? RcptVerdict::Kind::UnknownUser : RcptVerdict::Kind::Accepted});
        } else if (auto const* auth = std::get_if<CheckCredentials>(&next)) {
            log.push_back("credentials " + auth->user + " " + auth->password);
            c.answer(AuthVerdict{auth->user == "good" ? AuthVerdict::Kind::Accepted
                                                      : AuthVerdict::Kind::Rejected});
        } else if (std::holds_alternative<StartTls>(next)) {
            log.emplace_back("starttls");
            c.answer(TlsDone{true});
        } else if (auto const* open = std::get_if<OpenMessage>(&next)) {
            std::string entry = "open " + path_text(open->envelope.sender);
            for (auto const& r : open->envelope.recipients) {
                entry += " " + path_text(r.path);
            }
            log.push_back(entry);
        } else if (auto const* data = std::get_if<WriteData>(&next)) {
            if (log.empty() || !log.back().starts_with("data ")) {
                log.emplace_back("data ");
            }
            log.back() += data->bytes;
        } else if (std::holds_alternative<CommitMessage>(next)) {
            log.push_back("commit");
            c.answer(QueueVerdict{QueueVerdict::Kind::Queued, "q" + std::to_string(++queued)});
        } else if (std::holds_alternative<AbortMessage>(next)) {
            log.emplace_back("abort");
        } else if (std::holds_alternative<CloseConnection>(next)) {
            log.emplace_back("close");
        }
    }
}

/// The log of a connection that receives `pieces` one after the other, then the peer closes.
inline std::vector<std::string> replay(std::span<std::string_view const> pieces,
                                       SessionParams params = {}) {
    ServerConnection c(params);
    std::vector<std::string> log;
    std::size_t queued = 0;
    c.start();
    drive(c, log, queued);
    for (auto piece : pieces) {
        c.receive(piece);
        drive(c, log, queued);
    }
    if (!c.closed()) {
        log.emplace_back("peer closed");
        c.peer_closed();
        drive(c, log, queued);
    }
    return log;
}

/// Replays `bytes` whole, then split in two at every offset; returns the first offset whose log
/// differs from the whole one's, or npos.
inline std::size_t first_split_difference(std::string_view bytes, SessionParams params = {}) {
    std::array<std::string_view, 1> const whole{bytes};
    auto const expected = replay(whole, params);
    for (std::size_t at = 0; at <= bytes.size(); ++at) {
        std::array<std::string_view, 2> const two{bytes.substr(0, at), bytes.substr(at)};
        if (replay(two, params) != expected) {
            return at;
        }
    }
    return std::string_view::npos;
}

} // namespace smtpd::sm::testing
