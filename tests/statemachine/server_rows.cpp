// The server table's row scenarios and the totality sweep (server_rows.hpp), and their run
// against any table: the row tests (server_table_test.cpp) run them against the real table, the
// mutation tests (table_mutation.cpp) against each mutant. Depends on: statemachine/.
#include "server_rows.hpp"

#include <variant>

namespace smtpd::sm::testing {
namespace {

using RK = RcptVerdict::Kind;
using QK = QueueVerdict::Kind;
using AK = AuthVerdict::Kind;

grammar::Path path(std::string local, std::string domain) {
    grammar::Path p;
    p.mailbox = grammar::Mailbox{std::move(local), std::move(domain), false};
    return p;
}

/// A session in `state` with the facts that state implies; EHLO'd over TLS where it matters.
Session in(State state, SessionParams params = {}) {
    Session s;
    s.params = params;
    s.state = state;
    if (state != State::Start && state != State::Connected) {
        s.helo = "client.example";
        s.esmtp = true;
        s.advertised = offered_extensions(s);
    }
    bool const tx = state == State::Transaction || state == State::AwaitRcpt ||
                    state == State::Data || state == State::Chunk || state == State::Chunking ||
                    state == State::AwaitQueue;
    if (tx) {
        s.sender = path("a", "example.org");
    }
    if (state == State::Data || state == State::Chunk || state == State::Chunking ||
        state == State::AwaitQueue) {
        s.recipients.push_back(Recipient{path("b", "example.org"), {}});
        s.message_open = true;
    }
    if (state == State::AwaitRcpt) {
        s.pending_recipient = Recipient{path("b", "example.org"), {}};
    }
    return s;
}

Session with_recipient() {
    Session s = in(State::Transaction);
    s.recipients.push_back(Recipient{path("b", "example.org"), {}});
    return s;
}

SessionParams tls_params() {
    SessionParams p;
    p.tls_offered = true;
    p.auth = AuthPolicy::Optional;
    return p;
}

/// Greeted over TLS on a listener with AUTH.
Session secure() {
    Session s = in(State::Greeted, tls_params());
    s.tls = true;
    s.advertised = offered_extensions(s);
    return s;
}

Event cmd(Session const& s, std::string line) {
    return to_event(LineFrame{std::move(line)}, line_context(s));
}

Scenario on(Session s, std::string line) {
    Event e = cmd(s, std::move(line));
    return Scenario{std::move(s), std::move(e)};
}

Scenario auth_line(State state, std::string line) {
    Session s = secure();
    s.state = state;
    s.login_user = "user";
    Event e = to_event(LineFrame{std::move(line)}, line_context(s));
    return Scenario{std::move(s), std::move(e)};
}

} // namespace

std::map<std::string_view, std::function<Scenario()>> const& server_scenarios() {
    static std::map<std::string_view, std::function<Scenario()>> const m{
        {"timeout",
         [] {
             return Scenario{in(State::Data), Timeout{}};
         }},
        {"peer-closed",
         [] {
             return Scenario{in(State::AwaitQueue), PeerClosed{}};
         }},
        {"greet",
         [] {
             return Scenario{in(State::Start), Connected{}};
         }},
        {"too-many-errors",
         [] {
             Session s = in(State::Greeted);
             s.errors = s.params.max_errors;
             return on(s, "NOOP");
         }},
        {"tls-required",
         [] {
             SessionParams p = tls_params();
             p.tls_required = true;
             return on(in(State::Greeted, p), "MAIL FROM:<a@example.org>");
         }},
        {"tls-required-bdat",
         [] {
             SessionParams p = tls_params();
             p.tls_required = true;
             return on(in(State::Greeted, p), "BDAT 10 LAST");
         }},
        {"helo", [] { return on(in(State::Connected), "HELO client.example"); }},
        {"ehlo", [] { return on(in(State::Transaction), "EHLO client.example"); }},
        {"mail-auth-required",
         [] {
             SessionParams p = tls_params();
             p.auth = AuthPolicy::Required;
             return on(in(State::Greeted, p), "MAIL FROM:<a@example.org>");
         }},
        {"mail-too-many-messages",
         [] {
             Session s = in(State::Greeted);
             s.messages = s.params.max_messages;
             return on(s, "MAIL FROM:<a@example.org>");
         }},
        {"mail-parameters-unknown",
         [] { return on(in(State::Greeted), "MAIL FROM:<a@example.org> X-FOO=1"); }},
        {"mail-parameters-invalid",
         [] { return on(in(State::Greeted), "MAIL FROM:<a@example.org> BODY=9BIT"); }},
        {"mail-size-exceeded",
         [] { return on(in(State::Greeted), "MAIL FROM:<a@example.org> SIZE=999999999999"); }},
        {"mail-non-ascii",
         [] { return on(in(State::Greeted), "MAIL FROM:<j\xc3\xb6rg@example.org>"); }},
        {"mail", [] { return on(in(State::Greeted), "MAIL FROM:<> SIZE=100 BODY=8BITMIME"); }},
        {"rcpt-parameters-unknown",
         [] { return on(in(State::Transaction), "RCPT TO:<b@example.org> X=1"); }},
        {"rcpt-parameters-invalid",
         [] { return on(in(State::Transaction), "RCPT TO:<b@example.org> NOTIFY=NEVER,DELAY"); }},
        {"rcpt-non-ascii",
         [] { return on(in(State::Transaction), "RCPT TO:<j\xc3\xb6rg@example.org>"); }},
        {"rcpt-too-many",
         [] {
             Session s = with_recipient();
             s.params.max_recipients = 1;
             return on(s, "RCPT TO:<c@example.org>");
         }},
        {"rcpt", [] { return on(in(State::Transaction), "RCPT TO:<b@example.org> NOTIFY=NEVER"); }},
        {"rcpt-accepted",
         [] {
             return Scenario{in(State::AwaitRcpt), RcptVerdict{RK::Accepted}};
         }},
        {"rcpt-unknown-user",
         [] {
             return Scenario{in(State::AwaitRcpt), RcptVerdict{RK::UnknownUser}};
         }},
        {"rcpt-relay-denied",
         [] {
             return Scenario{in(State::AwaitRcpt), RcptVerdict{RK::RelayDenied}};
         }},
        {"rcpt-tempfail",
         [] {
             return Scenario{in(State::AwaitRcpt), RcptVerdict{RK::TempFail}};
         }},
        {"data", [] { return on(with_recipient(), "DATA"); }},
        {"data-no-recipients", [] { return on(in(State::Transaction), "DATA"); }},
        {"data-chunk",
         [] {
             return Scenario{in(State::Data), DataChunk{"Subject: x\r\n"}};
         }},
        {"data-line-too-long",
         [] {
             return Scenario{in(State::Data), DataEnd{true, 2000}};
         }},
        {"data-too-big",
         [] {
             Session s = in(State::Data);
             s.params.max_message_size = 100;
             return Scenario{s, DataEnd{false, 101}};
         }},
        {"data-end",
         [] {
             return Scenario{in(State::Data), DataEnd{false, 10}};
         }},
        {"bdat-too-big",
         [] {
             Session s = in(State::Chunking);
             s.params.max_message_size = 100;
             s.octets = 60;
             return on(s, "BDAT 41");
         }},
        {"bdat-first", [] { return on(with_recipient(), "BDAT 10"); }},
        {"bdat-no-recipients", [] { return on(in(State::Transaction), "BDAT 10 LAST"); }},
        {"bdat", [] { return on(in(State::Chunking), "BDAT 0 LAST"); }},
        {"bdat-bad-sequence", [] { return on(in(State::Greeted), "BDAT 5"); }},
        {"chunk-data",
         [] {
             return Scenario{in(State::Chunk), DataChunk{std::string("\x00\x01\r", 3)}};
         }},
        {"chunk-last",
         [] {
             Session s = in(State::Chunk);
             s.last_chunk = true;
             return Scenario{s, ChunkEnd{10}};
         }},
        {"chunk-end",
         [] {
             return Scenario{in(State::Chunk), ChunkEnd{10}};
         }},
        {"chunk-skipped",
         [] {
             Session s = in(State::SkipChunk);
             s.deferred = ReplyId::BadSequence;
             s.resume = State::Greeted;
             return Scenario{s, ChunkEnd{10}};
         }},
        {"queued",
         [] {
             return Scenario{in(State::AwaitQueue), QueueVerdict{QK::Queued, "0123"}};
         }},
        {"queue-no-space",
         [] {
             return Scenario{in(State::AwaitQueue), QueueVerdict{QK::NoSpace, {}}};
         }},
        {"queue-tempfail",
         [] {
             return Scenario{in(State::AwaitQueue), QueueVerdict{QK::TempFail, {}}};
         }},
        {"starttls-active", [] { return on(secure(), "STARTTLS"); }},
        {"starttls-not-offered", [] { return on(in(State::Greeted), "STARTTLS"); }},
        {"starttls", [] { return on(in(State::Greeted, tls_params()), "STARTTLS"); }},
        {"tls-done",
         [] {
             return Scenario{in(State::AwaitTls, tls_params()), TlsDone{true}};
         }},
        {"tls-failed",
         [] {
             return Scenario{in(State::AwaitTls, tls_params()), TlsDone{false}};
         }},
        {"auth-not-offered", [] { return on(in(State::Greeted), "AUTH PLAIN"); }},
        {"auth-again",
         [] {
             Session s = secure();
             s.auth_user = "user";
             return on(s, "AUTH PLAIN");
         }},
        {"auth-needs-tls", [] { return on(in(State::Greeted, tls_params()), "AUTH PLAIN"); }},
        {"auth-mechanism-unknown", [] { return on(secure(), "AUTH CRAM-MD5"); }},
        {"auth-login-initial", [] { return on(secure(), "AUTH LOGIN dXNlcg=="); }},
        {"auth-login", [] { return on(secure(), "AUTH LOGIN"); }},
        {"auth-plain-malformed", [] { return on(secure(), "AUTH PLAIN dXNlcg=="); }},
        {"auth-plain-initial", [] { return on(secure(), "AUTH PLAIN AHVzZXIAcGFzcw=="); }},
        {"auth-plain", [] { return on(secure(), "AUTH PLAIN"); }},
        {"auth-plain-response-malformed", [] { return auth_line(State::AuthPlain, "dXNlcg=="); }},
        {"auth-plain-response", [] { return auth_line(State::AuthPlain, "AHVzZXIAcGFzcw=="); }},
        {"auth-login-user", [] { return auth_line(State::AuthLoginUser, "dXNlcg=="); }},
        {"auth-login-password", [] { return auth_line(State::AuthLoginPass, "cGFzcw=="); }},
        {"auth-cancel", [] { return auth_line(State::AuthLoginPass, "*"); }},
        {"auth-bad-response", [] { return auth_line(State::AuthPlain, "not base64!"); }},
        {"auth-line-too-long",
         [] {
             Session s = secure();
             s.state = State::AuthPlain;
             return Scenario{s, LineTooLong{}};
         }},
        {"auth-accepted",
         [] {
             Session s = secure();
             s.state = State::AwaitAuth;
             s.login_user = "user";
             return Scenario{s, AuthVerdict{AK::Accepted}};
         }},
        {"auth-rejected",
         [] {
             Session s = secure();
             s.state = State::AwaitAuth;
             return Scenario{s, AuthVerdict{AK::Rejected}};
         }},
        {"auth-tempfail",
         [] {
             Session s = secure();
             s.state = State::AwaitAuth;
             return Scenario{s, AuthVerdict{AK::TempFail}};
         }},
        {"rset-before-helo", [] { return on(in(State::Connected), "RSET"); }},
        {"rset", [] { return on(in(State::Chunking), "RSET"); }},
        {"noop", [] { return on(in(State::Greeted), "NOOP anything"); }},
        {"vrfy", [] { return on(in(State::Greeted), "VRFY root"); }},
        {"expn", [] { return on(in(State::Greeted), "EXPN staff"); }},
        {"help", [] { return on(in(State::Connected), "HELP"); }},
        {"quit", [] { return on(in(State::Chunking), "QUIT"); }},
        {"unknown-command", [] { return on(in(State::Greeted), "FOO bar"); }},
        {"mail-syntax", [] { return on(in(State::Greeted), "MAIL FROM: <a@b>"); }},
        {"rcpt-syntax", [] { return on(in(State::Transaction), "RCPT TO:<a@>"); }},
        {"syntax", [] { return on(in(State::Greeted), "DATA now"); }},
        {"argument-too-long",
         [] {
             return on(in(State::Transaction),
                       "RCPT TO:<" + std::string(250, 'a') + "@example.org>");
         }},
        {"line-too-long",
         [] {
             return Scenario{in(State::Greeted), LineTooLong{}};
         }},
    };
    return m;
}

Session secure_session() {
    return secure();
}

Event sample(EventKind kind) {
    static std::map<EventKind, Event> const samples = [] {
        std::map<EventKind, Event> m;
        Session const s = secure();
        for (auto const* line :
             {"HELO a", "EHLO a", "MAIL FROM:<>", "RCPT TO:<a@b>", "DATA", "BDAT 1", "RSET", "NOOP",
              "QUIT", "VRFY a", "EXPN a", "HELP", "STARTTLS", "AUTH PLAIN", "FOO",
              "MAIL FROM:", "RCPT TO:", "DATA x"}) {
            Event e = cmd(s, line);
            m.emplace(kind_of(e), e);
        }
        m.emplace(EventKind::Connected, Connected{});
        m.emplace(EventKind::ArgumentTooLong, cmd(s, "RCPT TO:<" + std::string(300, 'a') + "@b>"));
        m.emplace(EventKind::LineTooLong, LineTooLong{});
        m.emplace(EventKind::AuthResponse, AuthLine{grammar::SaslResponse{false, "x"}});
        m.emplace(EventKind::AuthCancel, AuthLine{grammar::SaslResponse{true, ""}});
        m.emplace(EventKind::AuthBadResponse, AuthLine{std::nullopt});
        m.emplace(EventKind::DataChunk, DataChunk{"x"});
        m.emplace(EventKind::DataEnd, DataEnd{false, 1});
        m.emplace(EventKind::ChunkEnd, ChunkEnd{1});
        m.emplace(EventKind::RcptAccepted, RcptVerdict{RK::Accepted});
        m.emplace(EventKind::RcptUnknownUser, RcptVerdict{RK::UnknownUser});
        m.emplace(EventKind::RcptRelayDenied, RcptVerdict{RK::RelayDenied});
        m.emplace(EventKind::RcptTempFail, RcptVerdict{RK::TempFail});
        m.emplace(EventKind::Queued, QueueVerdict{QK::Queued, "id"});
        m.emplace(EventKind::QueueNoSpace, QueueVerdict{QK::NoSpace, {}});
        m.emplace(EventKind::QueueTempFail, QueueVerdict{QK::TempFail, {}});
        m.emplace(EventKind::AuthAccepted, AuthVerdict{AK::Accepted});
        m.emplace(EventKind::AuthRejected, AuthVerdict{AK::Rejected});
        m.emplace(EventKind::AuthTempFail, AuthVerdict{AK::TempFail});
        m.emplace(EventKind::TlsDone, TlsDone{true});
        m.emplace(EventKind::TlsFailed, TlsDone{false});
        m.emplace(EventKind::Timeout, Timeout{});
        m.emplace(EventKind::PeerClosed, PeerClosed{});
        return m;
    }();
    return samples.at(kind);
}

std::string observe(Step const& step) {
    Session const& s = step.next;
    std::string out = std::string(state_name(s.state)) + " e" + std::to_string(int(step.error)) +
                      " f" + std::to_string(fact_bits(s)) + " n" + std::to_string(s.errors) + " m" +
                      std::to_string(s.messages) + " d" + std::string(reply_id_name(s.deferred)) +
                      " r" + std::string(state_name(s.resume)) + " o" + std::to_string(s.octets) +
                      ":";
    for (Action const& a : step.actions) {
        out += " " + std::to_string(a.index());
        if (auto const* r = std::get_if<ReplyAction>(&a)) {
            out += std::string(reply_id_name(r->reply.id)) + r->reply.arg;
            for (auto const& line : r->reply.lines) {
                out += "," + line;
            }
        } else if (auto const* c = std::get_if<ReadChunk>(&a)) {
            out += std::to_string(c->octets) + (c->skip ? "skip" : "");
        } else if (auto const* m = std::get_if<SetFramerMode>(&a)) {
            out += std::to_string(int(m->mode));
        }
    }
    return out;
}

std::string server_rows_differ(std::span<Row const> rows) {
    for (auto const& [id, make] : server_scenarios()) {
        Scenario const sc = make();
        std::string const real = observe(step(sc.session, sc.event));
        std::string const got = observe(step(sc.session, sc.event, rows));
        if (real != got) {
            return "scenario " + std::string(id) + ": " + got + " instead of " + real;
        }
    }
    for (std::size_t i = 0; i < kStateCount; ++i) {
        for (std::size_t k = 0; k < kEventKindCount; ++k) {
            auto const kind = static_cast<EventKind>(k);
            if (!possible_events(static_cast<State>(i)).contains(kind)) {
                continue;
            }
            Session s = secure();
            s.state = static_cast<State>(i);
            if (observe(step(s, sample(kind))) != observe(step(s, sample(kind), rows))) {
                return "totality sample " + std::string(state_name(s.state)) + " on " +
                       std::string(event_kind_name(kind));
            }
        }
    }
    return {};
}

} // namespace smtpd::sm::testing
