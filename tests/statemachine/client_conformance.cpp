// The client-side conformance driver: a case's setup read into the relay's parameters and its
// messages (the envelope in MAIL/RCPT syntax, parsed by grammar/ and params.hpp as a server
// would), the peer's bytes fed through ClientWire, and the case's C: and O: steps checked with
// the matching rules of conformance/README.md (alternatives, `closed`, the runner's Expect).
// Depends on: client_conformance.hpp, replay.hpp (path_text), statemachine/, grammar/.
#include "client_conformance.hpp"

#include "replay.hpp"

#include "smtpd/grammar/command.hpp"
#include "smtpd/sm/params.hpp"

#include <algorithm>
#include <sstream>

namespace smtpd::sm::testing {

namespace {

grammar::Extensions every_extension() {
    grammar::Extensions all;
    for (std::size_t i = 0; i < grammar::kExtensionCount; ++i) {
        all = all.with(static_cast<grammar::Extension>(i));
    }
    return all;
}

std::vector<std::string> split_words(std::string const& text) {
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

/// relay: tls none|opportunistic|required, helo NAME, auth USER PASS, auth-in-clear,
/// server-name NAME.
std::string read_relay(std::string const& value, ClientParams& p) {
    auto const w = split_words(value);
    for (std::size_t i = 0; i < w.size(); ++i) {
        bool const has_arg = i + 1 < w.size();
        if (w[i] == "tls" && has_arg) {
            std::string const& policy = w[++i];
            p.tls = policy == "none"       ? ClientTlsPolicy::None
                    : policy == "required" ? ClientTlsPolicy::Required
                                           : ClientTlsPolicy::Opportunistic;
        } else if (w[i] == "helo" && has_arg) {
            p.helo = w[++i];
        } else if (w[i] == "server-name" && has_arg) {
            p.server_name = w[++i];
        } else if (w[i] == "auth" && i + 2 < w.size()) {
            p.credentials = ClientCredentials{w[i + 1], w[i + 2]};
            i += 2;
        } else if (w[i] == "auth-in-clear") {
            p.auth_in_clear = true;
        } else {
            return "relay: unknown option '" + w[i] + "'";
        }
    }
    return "";
}

std::optional<grammar::Command> command(std::string const& line) {
    auto parsed = grammar::parse_command(line, grammar::Syntax::Utf8);
    return parsed ? std::optional(std::move(parsed).value()) : std::nullopt;
}

std::string_view fate_name(ClientOutcome o) {
    switch (o) {
    case ClientOutcome::Delivered:
        return "delivered";
    case ClientOutcome::TempFail:
        return "tempfail";
    case ClientOutcome::PermFail:
        return "permfail";
    case ClientOutcome::Deferred:
        return "deferred";
    }
    return "?";
}

std::vector<std::string> reply_lines(grammar::Reply const& reply) {
    std::vector<std::string> lines;
    std::string const text = grammar::format_reply(reply);
    std::string_view rest = text;
    while (!rest.empty()) {
        auto const end = rest.find("\r\n");
        lines.emplace_back(rest.substr(0, end));
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
    }
    return lines;
}

/// One replay: ClientWire, the runtime's events, and the record it leaves.
class Player {
  public:
    explicit Player(ClientSetup const& setup) : wire_(setup.params, setup.messages.front()) {
        wire_.queued.assign(setup.messages.begin() + 1, setup.messages.end());
        wire_.run();
    }

    void server(std::string_view bytes) { wire_.server(bytes); }

    void event(CaseStep::Kind kind, std::string const& what) {
        if (wire_.session.state == ClientState::Closed) {
            return; // the client is gone: the suite's event reaches nobody
        }
        if (kind == CaseStep::Kind::Tls) {
            if (!wire_.tls_requested || wire_.session.state != ClientState::Handshake) {
                faults_.emplace_back("T: but the client started no TLS handshake");
                return;
            }
            wire_.tls_requested = false;
            wire_.feed(ClientTlsDone{what == "ok"});
        } else if (what == "timeout") {
            wire_.feed(ClientTimeout{});
        } else {
            wire_.feed(ClientPeerClosed{});
        }
    }

    [[nodiscard]] ClientWire& wire() { return wire_; }

    /// The suite closes its socket after the case's last step.
    ClientRecord finish() {
        event(CaseStep::Kind::Event, "closed");
        ClientRecord r;
        r.sent = sent_ + wire_.sent;
        for (auto const& row : wire_.rows) {
            r.log.emplace_back(row);
        }
        for (std::size_t i = 0; i < wire_.results.size(); ++i) {
            auto const& res = wire_.results[i];
            r.log.push_back("result " + path_text(wire_.result_paths.at(i)) + " " +
                            std::string(fate_name(res.outcome)) + " " +
                            client_reply_text(res.reply));
        }
        if (wire_.done) {
            r.log.push_back("done " + std::to_string(wire_.done->delivered) + " " +
                            std::to_string(wire_.done->temp_failed) + " " +
                            std::to_string(wire_.done->perm_failed) + " " +
                            std::to_string(wire_.done->deferred));
        }
        if (wire_.unexpected) {
            faults_.emplace_back("the table refused an event (a step error value)");
        }
        r.faults = faults_;
        return r;
    }

    /// What the client sent since the last call (the record keeps it too).
    std::string take_sent() {
        std::string s = wire_.take_sent();
        sent_ += s;
        return s;
    }

  private:
    ClientWire wire_;
    std::string sent_;
    std::vector<std::string> faults_;
};

/// Does `sent` read as one alternative of each line in turn? `ended`: a `closed` matched.
bool match_lines(std::string_view sent, std::span<std::vector<std::string> const* const> lines,
                 bool closed, bool& ended) {
    if (lines.empty()) {
        return sent.empty();
    }
    for (auto const& alt : *lines.front()) {
        if (alt.empty()) {
            if (closed && sent.empty()) {
                ended = true;
                return true;
            }
            continue;
        }
        if (sent.starts_with(alt) &&
            match_lines(sent.substr(alt.size()), lines.subspan(1), closed, ended)) {
            return true;
        }
    }
    return false;
}

std::string shown(std::string_view bytes) {
    std::string out;
    for (char const c : bytes.substr(0, 400)) {
        out += c == '\r' ? std::string("\\r") : c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return out;
}

std::string check_outcomes(Case const& c, ClientWire const& w) {
    std::vector<CaseStep const*> stated;
    for (auto const& s : c.steps) {
        if (s.kind == CaseStep::Kind::Outcome) {
            stated.push_back(&s);
        }
    }
    std::string got;
    for (std::size_t i = 0; i < w.results.size(); ++i) {
        got += " [" + path_text(w.result_paths.at(i)) + " " +
               std::string(fate_name(w.results[i].outcome)) + " " +
               client_reply_text(w.results[i].reply) + "]";
    }
    if (stated.size() != w.results.size()) {
        return std::to_string(w.results.size()) + " results, the case states " +
               std::to_string(stated.size()) + ":" + got;
    }
    for (std::size_t i = 0; i < stated.size(); ++i) {
        auto const& r = w.results[i];
        std::string const want =
            path_text(w.result_paths.at(i)) + " " + std::string(fate_name(r.outcome));
        if (want != stated[i]->bytes || !stated[i]->expect.matches(reply_lines(r.reply))) {
            return "result " + std::to_string(i + 1) + " is '" + want + " " +
                   client_reply_text(r.reply) + "', the case states '" + stated[i]->bytes + " " +
                   stated[i]->expect.spec + "'";
        }
    }
    return "";
}

} // namespace

ClientSetup client_setup(Case const& c) {
    ClientSetup s;
    s.params.helo = "client.example";
    s.params.tls = ClientTlsPolicy::Opportunistic; // `action ... relay`'s default
    grammar::Extensions const all = every_extension();
    for (auto const& [key, value] : c.setup) {
        if (key == "relay") {
            s.error = read_relay(value, s.params);
        } else if (key == "mail") {
            auto const cmd = command("MAIL FROM:" + value);
            if (!cmd) {
                s.error = "mail: not a reverse-path with parameters: '" + value + "'";
                break;
            }
            WireMessage m;
            m.sender = cmd->path;
            m.mail = check_mail_params(cmd->params, all, 0).mail;
            s.messages.push_back(std::move(m));
        } else if (s.messages.empty()) {
            s.error = key + ": before any mail:";
        } else if (key == "rcpt") {
            auto const cmd = command("RCPT TO:" + value);
            if (!cmd) {
                s.error = "rcpt: not a forward-path with parameters: '" + value + "'";
                break;
            }
            s.messages.back().recipients.push_back(
                Recipient{cmd->path, check_rcpt_params(cmd->params, all).rcpt});
        } else {
            s.messages.back().content += value + (key == "content" ? "\r\n" : "");
        }
        if (!s.error.empty()) {
            break;
        }
    }
    for (auto& m : s.messages) {
        m.size = m.content.size();
        m.mail.size.reset();
    }
    if (s.error.empty() && s.messages.empty()) {
        s.error = "no mail: header";
    }
    return s;
}

ServerStream server_stream(Case const& c) {
    ServerStream s;
    for (auto const& step : c.steps) {
        if (step.kind == CaseStep::Kind::Send) {
            s.bytes += step.bytes;
        } else if (step.kind == CaseStep::Kind::Tls || step.kind == CaseStep::Kind::Event) {
            s.events.push_back(ServerStream::Event{s.bytes.size(), step.kind, step.bytes});
        }
    }
    return s;
}

ClientRecord replay_client(ServerStream const& stream, ClientSetup const& setup,
                           std::span<std::size_t const> cuts) {
    std::vector<std::size_t> ends(cuts.begin(), cuts.end());
    for (auto const& e : stream.events) {
        ends.push_back(e.at);
    }
    ends.push_back(stream.bytes.size());
    std::ranges::sort(ends);
    Player player(setup);
    std::size_t at = 0;
    std::size_t event = 0;
    for (std::size_t const end : ends) {
        if (end > at) {
            player.server(std::string_view(stream.bytes).substr(at, end - at));
            at = end;
        }
        for (; event < stream.events.size() && stream.events[event].at == at; ++event) {
            player.event(stream.events[event].kind, stream.events[event].what);
        }
    }
    player.take_sent();
    return player.finish();
}

ClientCheck check_client_case(Case const& c, ClientSetup const& setup) {
    Player player(setup);
    ClientCheck out;
    std::vector<std::vector<std::string> const*> expected;
    std::string pending;
    std::string last_fed = "(the connection)";
    bool ended = false;
    auto checkpoint = [&]() {
        std::string const sent = player.take_sent();
        if (!ended && out.why.empty() &&
            !match_lines(sent, expected, player.wire().session.state == ClientState::Closed,
                         ended)) {
            std::string want;
            for (auto const* alts : expected) {
                want += shown(alts->front().empty() ? "(closed)" : alts->front());
            }
            out.why = "after '" + shown(last_fed) + "' the client sent '" + shown(sent) +
                      "', expected '" + want + "'";
        }
        expected.clear();
    };
    auto flush = [&]() {
        if (!pending.empty()) {
            player.server(pending);
            last_fed = std::exchange(pending, {});
        }
    };
    CaseStep::Kind previous = CaseStep::Kind::ClientLine;
    for (auto const& step : c.steps) {
        if (ended || !out.why.empty()) {
            break;
        }
        if (step.kind == CaseStep::Kind::Outcome) {
            continue;
        }
        if (step.kind == CaseStep::Kind::Send) {
            if (previous != CaseStep::Kind::Send) {
                checkpoint();
            }
            pending += step.bytes;
        } else {
            flush();
        }
        if (step.kind == CaseStep::Kind::ClientLine) {
            expected.push_back(&step.alternatives);
        } else if (step.kind == CaseStep::Kind::Wait) {
            checkpoint();
        } else if (step.kind == CaseStep::Kind::Tls || step.kind == CaseStep::Kind::Event) {
            checkpoint();
            player.event(step.kind, step.bytes);
            last_fed = (step.kind == CaseStep::Kind::Tls ? "T: " : "E: ") + step.bytes;
        }
        previous = step.kind;
    }
    flush();
    checkpoint();
    out.record = player.finish();
    if (out.why.empty() && !out.record.faults.empty()) {
        out.why = out.record.faults.front();
    }
    if (out.why.empty()) {
        out.why = check_outcomes(c, player.wire());
    }
    return out;
}

} // namespace smtpd::sm::testing
