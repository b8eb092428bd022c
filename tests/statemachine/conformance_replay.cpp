// The in-memory conformance driver: a sm::ServerConnection fed a case's client bytes in the
// pieces asked for, its questions answered as our smtpd's conformance configuration would
// (runtime/lookup/recipients.cpp's local domains, the one credentials table, the queue always
// durable), and the runner's checks applied to what it did.
// Depends on: conformance_replay.hpp, statemachine/, grammar/ (ascii_case.hpp).
#include "conformance_replay.hpp"

#include "smtpd/grammar/ascii_case.hpp"

#include <algorithm>
#include <array>
#include <regex>

namespace smtpd::sm::testing {

namespace {

/// The server's name in rendered replies (`pki mx.test` in the integration configuration).
constexpr std::string_view kHostname = "mx.test";

/// runtime/lookup/recipients.cpp is_local_domain: `match for local` covers these.
bool local_domain(std::string_view domain, CaseFacts const& facts) {
    using grammar::ascii_case::equal;
    return equal(domain, facts.domain) || equal(domain, "localhost") || equal(domain, kHostname) ||
           equal(domain, "[127.0.0.1]") || equal(domain, "[IPv6:::1]");
}

std::string path_text(grammar::Path const& p) {
    if (p.mailbox) {
        return "<" + p.mailbox->local_part + "@" + p.mailbox->domain + ">";
    }
    return p.postmaster ? "<Postmaster>" : "<>";
}

/// One connection, the answers it gets, and what it did.
class Driver {
  public:
    Driver(Listener const& listener, CaseFacts const& facts)
        : connection_(listener.params), facts_(facts) {
        connection_.start();
        drive();
    }

    void receive(std::string_view bytes) {
        if (handshake_) {
            // The TLS layer owns the bytes while the handshake runs: the client's plaintext
            // sent behind STARTTLS never reaches the session (RFC 3207 §4.2).
            return;
        }
        connection_.receive(bytes);
        drive();
    }

    /// T: the client's handshake, after every byte before it was sent.
    void handshake() {
        if (!handshake_) {
            t_.faults.emplace_back("T: but the server started no TLS handshake");
            return;
        }
        handshake_ = false;
        t_.log.emplace_back("tls done");
        connection_.answer(TlsDone{true});
        drive();
    }

    /// The runner closes its socket after the case's last step.
    Transcript finish() && {
        if (handshake_) {
            // STARTTLS without T:: the client never sends a ClientHello.
            handshake_ = false;
            t_.log.emplace_back("tls failed");
            connection_.answer(TlsDone{false});
            drive();
        }
        t_.server_closed = connection_.closed();
        if (!t_.server_closed) {
            t_.log.emplace_back("peer closed");
            connection_.peer_closed();
            drive();
        }
        return std::move(t_);
    }

  private:
    void drive() {
        for (;;) {
            ServerNext next = connection_.next_action();
            if (std::holds_alternative<NeedData>(next) || std::holds_alternative<Finished>(next)) {
                return;
            }
            if (std::holds_alternative<Paused>(next)) {
                if (!handshake_) {
                    t_.faults.emplace_back("paused with no question pending");
                }
                return;
            }
            std::visit([this](auto& action) { take(action); }, next);
        }
    }

    void take(ReplyAction const& a) {
        std::string rendered = render_reply(a.reply, kHostname);
        t_.log.push_back("reply " + rendered);
        t_.replies.push_back(std::move(rendered));
    }
    void take(CheckRecipient const& a) {
        // `table vusers { "@" = user }`: every local-part of a local domain has a mailbox.
        bool const ours = !a.recipient.mailbox || local_domain(a.recipient.mailbox->domain, facts_);
        t_.log.push_back("check " + path_text(a.recipient) + (ours ? " ours" : " relay"));
        connection_.answer(
            RcptVerdict{ours ? RcptVerdict::Kind::Accepted : RcptVerdict::Kind::RelayDenied});
    }
    void take(CheckCredentials const& a) {
        bool const ok = a.user == facts_.auth_user && a.password == facts_.auth_pass;
        t_.log.push_back("credentials " + a.user + (ok ? " ok" : " refused"));
        connection_.answer(
            AuthVerdict{ok ? AuthVerdict::Kind::Accepted : AuthVerdict::Kind::Rejected});
    }
    void take(StartTls const& /*a*/) {
        t_.log.emplace_back("starttls");
        handshake_ = true; // answered when the case's T: comes
    }
    void take(OpenMessage const& a) {
        std::string entry = "open " + path_text(a.envelope.sender);
        for (auto const& r : a.envelope.recipients) {
            entry += " " + path_text(r.path);
        }
        t_.log.push_back(entry);
        content_.clear();
    }
    void take(WriteData const& a) {
        if (t_.log.empty() || !t_.log.back().starts_with("data ")) {
            t_.log.emplace_back("data ");
        }
        t_.log.back() += a.bytes;
        content_ += a.bytes;
    }
    void take(CommitMessage const& /*a*/) {
        t_.log.emplace_back("commit");
        t_.messages.push_back(std::exchange(content_, {}));
        connection_.answer(
            QueueVerdict{QueueVerdict::Kind::Queued, "q" + std::to_string(t_.messages.size())});
    }
    void take(AbortMessage const& /*a*/) { t_.log.emplace_back("abort"); }
    void take(CloseConnection const& /*a*/) { t_.log.emplace_back("close"); }
    template <typename Marker> void take(Marker const& /*a*/) {}

    ServerConnection connection_;
    CaseFacts const& facts_;
    Transcript t_;
    std::string content_;
    bool handshake_ = false; ///< StartTls taken, the case's T: not reached
};

std::vector<std::string> reply_lines(std::string_view rendered) {
    std::vector<std::string> lines;
    while (!rendered.empty()) {
        auto const end = rendered.find("\r\n");
        lines.emplace_back(rendered.substr(0, end));
        rendered.remove_prefix(end == std::string_view::npos ? rendered.size() : end + 2);
    }
    return lines;
}

/// smtpconf.py Connection.reply's checks on the form of a reply.
std::string malformed(std::vector<std::string> const& lines) {
    static std::regex const line_form("^[2-5][0-9]{2}([ -].*)?$");
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!std::regex_match(lines[i], line_form)) {
            return "malformed reply line '" + lines[i] + "'";
        }
        if (lines[i].compare(0, 3, lines[0], 0, 3) != 0) {
            return "reply code changed inside a multi-line reply";
        }
        bool const last = lines[i].size() < 4 || lines[i][3] == ' ';
        if (last != (i + 1 == lines.size())) {
            return "reply ends on the wrong line";
        }
    }
    return lines.empty() ? "empty reply" : "";
}

std::string lf_only(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.substr(i, 2) != "\r\n") {
            out += text[i];
        }
    }
    return out;
}

/// smtpconf.py find_delivered and its body check; the delivered file starts with the header
/// lines the runtime adds (Received, written before the content: dispatcher open_message).
std::string check_message(Case const& c, Transcript const& t, std::string const& body) {
    auto const queued = std::ranges::find_if(
        t.messages, [&](auto const& m) { return m.find(c.id) != std::string::npos; });
    if (queued == t.messages.end()) {
        return "no queued message contains " + c.id;
    }
    std::string const delivered = lf_only("Received: from client.example\r\n" + *queued);
    auto const blank = delivered.find("\n\n");
    if (blank == std::string::npos || delivered.substr(blank + 2) != lf_only(body)) {
        return "delivered body '" +
               (blank == std::string::npos ? delivered : delivered.substr(blank + 2))
                   .substr(0, 200) +
               "', expected '" + body.substr(0, 200) + "'";
    }
    return "";
}

} // namespace

Listener plain_listener() {
    return Listener{"plain", SessionParams{}, false, false};
}

Listener starttls_auth_listener() {
    SessionParams params;
    params.tls_offered = true;
    params.auth = AuthPolicy::Optional;
    return Listener{"starttls+auth", params, true, true};
}

CaseFacts integration_facts() {
    // conformance/refservers.py AUTH_USER and AUTH_PASSWORD, the one user of <creds>.
    return CaseFacts{"localhost", "alice", "correct horse"};
}

ClientStream client_stream(Case const& c) {
    ClientStream s;
    for (auto const& step : c.steps) {
        if (step.kind == CaseStep::Kind::Send) {
            s.bytes += step.bytes;
            continue;
        }
        if (!s.bytes.empty() && (s.writes.empty() || s.writes.back() != s.bytes.size())) {
            s.writes.push_back(s.bytes.size());
        }
        if (step.kind == CaseStep::Kind::Tls) {
            s.handshakes.push_back(s.bytes.size());
        }
    }
    return s;
}

Transcript replay_case(ClientStream const& stream, Listener const& listener, CaseFacts const& facts,
                       std::span<std::size_t const> cuts) {
    std::vector<std::size_t> ends(cuts.begin(), cuts.end());
    ends.insert(ends.end(), stream.handshakes.begin(), stream.handshakes.end());
    ends.push_back(stream.bytes.size());
    std::ranges::sort(ends);
    Driver driver(listener, facts);
    std::size_t at = 0;
    std::size_t handshake = 0;
    for (std::size_t const end : ends) {
        if (end > at) {
            driver.receive(std::string_view(stream.bytes).substr(at, end - at));
            at = end;
        }
        for (; handshake < stream.handshakes.size() && stream.handshakes[handshake] == at;
             ++handshake) {
            driver.handshake();
        }
    }
    return std::move(driver).finish();
}

std::string check_case(Case const& c, Transcript const& t) {
    if (!t.faults.empty()) {
        return t.faults.front();
    }
    std::size_t next = 0;
    for (auto const& step : c.steps) {
        if (step.kind == CaseStep::Kind::Message) {
            if (auto why = check_message(c, t, step.bytes); !why.empty()) {
                return why;
            }
        }
        if (step.kind != CaseStep::Kind::Expect) {
            continue;
        }
        if (next == t.replies.size()) {
            if (!t.server_closed) {
                return "no reply (the runner would time out), expected " + step.expect.spec;
            }
            if (step.expect.accepts_close()) {
                return ""; // the rest of the dialogue cannot happen: the case ends here
            }
            return "connection closed, expected " + step.expect.spec;
        }
        auto const lines = reply_lines(t.replies[next++]);
        if (auto why = malformed(lines); !why.empty()) {
            return why;
        }
        if (!step.expect.matches(lines)) {
            return "got '" + lines.back() + "', expected " + step.expect.spec;
        }
    }
    return "";
}

} // namespace smtpd::sm::testing
