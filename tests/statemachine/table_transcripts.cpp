// In-memory transcripts of whole sessions over any table (table_transcripts.hpp). A script is
// lines: client lines (server side) or "S: " server lines (client side) with CRLF added;
// "X: " raw client bytes without CRLF (a BDAT chunk); "E: " events from the runtime (tls-ok,
// tls-fail, timeout, closed, auth-ok, auth-no). RFC 5321 §4.1, RFC 3030, RFC 3207, RFC 4954,
// RFC 2920, RFC 2033. Depends on: statemachine/, wire.hpp, client_wire.hpp.
#include "table_transcripts.hpp"

#include "client_wire.hpp"
#include "wire.hpp"

#include <sstream>

namespace smtpd::sm::testing {
namespace {

struct ServerScript {
    std::string_view name;
    int params; ///< 0 plain, 1 STARTTLS and AUTH offered, 2 TLS required, 3 small limits,
                ///< 4 AUTH required
    std::string_view script;
    std::string_view expected;
};

// clang-format off
constexpr std::array kServer{
    ServerScript{"commands", 0,
        "EHLO c.example\nMAIL FROM:<a@b.example>\nRCPT TO:<g@d.example>\nRCPT TO:<nobody@d.example>\n"
        "DATA\nSubject: x\n\nhi\n.\nRSET\nNOOP\nVRFY a\nEXPN a\nHELP\nFOO\nMAIL FROM: <a>\n"
        "HELO c.example\nRCPT TO:<g@d.example>\nSTARTTLS\nAUTH PLAIN\nQUIT\n", "220 250 250 250 550 354 250 250 250 252 252 214 500 501 250 503 502 502 221 queued 1 Closed"},
    ServerScript{"bdat", 0,
        "EHLO c.example\nBDAT 5\nX: hello\nMAIL FROM:<a@b.example>\nBDAT 3\nX: abc\n"
        "RCPT TO:<g@d.example>\nBDAT 4\nX: abcd\nBDAT 0 LAST\nMAIL FROM:<a@b.example>\n"
        "RCPT TO:<g@d.example>\nBDAT 2\nX: ab\nRSET\nHELO c.example\nMAIL FROM:<a@b.example>\n"
        "RCPT TO:<g@d.example>\nBDAT 3 LAST\nX: abc\nDATA\nx\n.\nQUIT\n", "220 250 503 250 554 250 250 250 250 250 250 250 250 250 250 503 354 250 221 queued 2 Closed"},
    ServerScript{"starttls-auth", 1,
        "EHLO c.example\nAUTH PLAIN\nSTARTTLS\nE: tls-ok\nMAIL FROM:<a@b.example>\nEHLO c.example\n"
        "STARTTLS\nAUTH CRAM-MD5\nAUTH PLAIN\n*\nAUTH PLAIN\nAHVzZXIAcGFzcw==\nE: auth-no\n"
        "AUTH PLAIN dXNlcg==\nAUTH LOGIN\ndXNlcg==\ncGFzcw==\nE: auth-ok\nAUTH PLAIN\n"
        "MAIL FROM:<a@b.example>\nRCPT TO:<g@d.example>\nDATA\nx\n.\nQUIT\n", "220 250 538 220 503 250 503 504 334 501 334 535 501 334 334 235 503 250 250 354 250 221 queued 1 Closed"},
    ServerScript{"auth-exchanges", 1,
        "STARTTLS\nE: tls-ok\nEHLO c.example\nAUTH LOGIN dXNlcg==\nnot base64!\n"
        "AUTH PLAIN AHVzZXIAcGFzcw==\nE: auth-ok\nAUTH LOGIN\nQUIT\n", "220 220 250 334 501 235 503 221 queued 0 Closed"},
    ServerScript{"tls-required", 2,
        "EHLO c.example\nMAIL FROM:<a@b.example>\nBDAT 3\nX: abc\nNOOP\nSTARTTLS\nE: tls-ok\n"
        "EHLO c.example\nMAIL FROM:<a@b.example>\nRCPT TO:<g@d.example>\nBDAT 3 LAST\nX: abc\n"
        "QUIT\n", "220 250 530 530 250 220 250 250 250 250 221 queued 1 Closed"},
    ServerScript{"limits", 3,
        "EHLO c.example\nMAIL FROM:<a@b.example> SIZE=100\nMAIL FROM:<a@b.example> FOO=1\n"
        "MAIL FROM:<a@b.example>\nRCPT TO:<g@d.example>\nRCPT TO:<h@d.example>\nBDAT 70\n"
        "X: 0123456789012345678901234567890123456789012345678901234567890123456789\n"
        "MAIL FROM:<a@b.example>\nRCPT TO:<g@d.example>\nDATA\n"
        "0123456789012345678901234567890123456789012345678901234567890123456789\n.\n"
        "MAIL FROM:<a@b.example>\nRCPT TO:<g@d.example>\nDATA\nx\n.\nMAIL FROM:<a@b.example>\n"
        "FOO\nBAR\nBAZ\nNOOP\n", "220 250 552 555 250 250 452 552 250 250 354 552 250 250 354 250 452 500 421 queued 1 Closed"},
    ServerScript{"auth-required", 4,
        "EHLO c.example\nSTARTTLS\nE: tls-ok\nEHLO c.example\nMAIL FROM:<a@b.example>\n"
        "AUTH PLAIN AHVzZXIAcGFzcw==\nE: auth-ok\nMAIL FROM:<a@b.example>\nRCPT TO:<g@d.example>\n"
        "DATA\nE: timeout\n", "220 250 220 250 530 235 250 250 354 421 queued 0 Closed"},
    ServerScript{"closed", 0, "EHLO c.example\nMAIL FROM:<a@b.example>\nE: closed\n", "220 250 250 queued 0 Closed"},
};
// clang-format on

SessionParams server_params(int kind) {
    SessionParams p;
    p.tls_offered = kind == 1 || kind == 2 || kind == 4;
    p.tls_required = kind == 2;
    p.auth = kind == 4 ? AuthPolicy::Required : kind == 1 ? AuthPolicy::Optional : AuthPolicy::None;
    if (kind == 3) {
        p.max_errors = 6;
        p.max_recipients = 1;
        p.max_messages = 1;
        p.max_message_size = 64;
    }
    return p;
}

void server_event(Wire& w, std::string_view e) {
    if (e == "tls-ok" || e == "tls-fail") {
        w.feed(TlsDone{e == "tls-ok"});
    } else if (e == "auth-ok" || e == "auth-no") {
        w.feed(AuthVerdict{e == "auth-ok" ? AuthVerdict::Kind::Accepted
                                          : AuthVerdict::Kind::Rejected});
    } else if (e == "timeout") {
        w.feed(Timeout{});
    } else if (e == "closed") {
        w.feed(PeerClosed{});
    }
}

struct ClientScript {
    std::string_view name;
    int params;  ///< 0 plain, 1 opportunistic TLS, 2 TLS required, 3 credentials over TLS,
                 ///< 4 credentials in clear, 5 LMTP
    int message; ///< 0 one recipient, 1 two, 2 8-bit, 3 SMTPUTF8, 4 none
    std::string_view script;
    std::string_view expected;
};

// clang-format off
constexpr std::array kClient{
    ClientScript{"plain", 0, 0, "S: 220 mx\nS: 250 mx\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:250 done 1/0/0 Closed"},
    ClientScript{"pipelined", 0, 1, "S: 220 mx\nS: 250-mx\nS: 250-PIPELINING\nS: 250-SIZE 1000\nS: 250 8BITMIME\nS: 250 ok\nS: 550 no\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:550 1:250 done 1/0/1 Closed"},
    ClientScript{"pipelined-none", 0, 1, "S: 220 mx\nS: 250-mx\nS: 250 PIPELINING\nS: 250 ok\nS: 550 no\nS: 450 no\nS: 354 go\nS: 554 no\nS: 221 bye\n", "0:550 1:450 done 0/1/1 Closed"},
    ClientScript{"pipelined-mail-refused", 0, 1, "S: 220 mx\nS: 250-mx\nS: 250 PIPELINING\nS: 550 no\nS: 250 ok\nS: 250 ok\nS: 503 no\nS: 221 bye\n", "0:550 1:550 done 0/0/2 Closed"},
    ClientScript{"chunking", 0, 1, "S: 220 mx\nS: 250-mx\nS: 250-PIPELINING\nS: 250 CHUNKING\nS: 250 ok\nS: 250 ok\nS: 250 ok\nS: 250 queued\nS: 221 bye\n", "0:250 1:250 done 2/0/0 Closed"},
    ClientScript{"chunking-serial", 0, 1, "S: 220 mx\nS: 250-mx\nS: 250 CHUNKING\nS: 250 ok\nS: 550 no\nS: 250 ok\nS: 451 later\nS: 221 bye\n", "0:550 1:451 done 0/1/1 Closed"},
    ClientScript{"starttls", 1, 0, "S: 220 mx\nS: 250-mx\nS: 250 STARTTLS\nS: 220 go\nE: tls-ok\nS: 250-mx\nS: 250 PIPELINING\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:250 done 1/0/0 Closed"},
    ClientScript{"starttls-refused", 1, 0, "S: 220 mx\nS: 250-mx\nS: 250 STARTTLS\nS: 454 no\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:250 done 1/0/0 Closed"},
    ClientScript{"starttls-refused-required", 2, 0, "S: 220 mx\nS: 250-mx\nS: 250 STARTTLS\nS: 454 no\nS: 221 bye\n", "0:454 done 0/1/0 Closed"},
    // A server that offers STARTTLS again after the handshake: no second STARTTLS (RFC 3207 §4.2).
    ClientScript{"starttls-required", 2, 0, "S: 220 mx\nS: 250-mx\nS: 250 STARTTLS\nS: 220 go\nE: tls-ok\nS: 250-mx\nS: 250 STARTTLS\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:250 done 1/0/0 Closed"},
    ClientScript{"8bit-offered", 0, 2, "S: 220 mx\nS: 250-mx\nS: 250 8BITMIME\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:250 done 1/0/0 Closed"},
    ClientScript{"utf8-offered", 0, 3, "S: 220 mx\nS: 250-mx\nS: 250-8BITMIME\nS: 250 SMTPUTF8\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:250 done 1/0/0 Closed"},
    ClientScript{"tls-unavailable", 2, 0, "S: 220 mx\nS: 250 mx\nS: 221 bye\n", "0:451 done 0/1/0 Closed"},
    ClientScript{"tls-failed", 1, 0, "S: 220 mx\nS: 250-mx\nS: 250 STARTTLS\nS: 220 go\nE: tls-fail\n", "0:451 done 0/1/0 Closed"},
    ClientScript{"auth-plain", 3, 0, "S: 220 mx\nS: 250-mx\nS: 250 STARTTLS\nS: 220 go\nE: tls-ok\nS: 250-mx\nS: 250 AUTH PLAIN LOGIN\nS: 235 ok\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:250 done 1/0/0 Closed"},
    ClientScript{"auth-login", 3, 0, "S: 220 mx\nS: 250-mx\nS: 250 STARTTLS\nS: 220 go\nE: tls-ok\nS: 250-mx\nS: 250 AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nS: 334 UGFzc3dvcmQ6\nS: 535 no\nS: 221 bye\n", "0:535 done 0/0/1 Closed"},
    ClientScript{"auth-unavailable", 3, 0, "S: 220 mx\nS: 250-mx\nS: 250 STARTTLS\nS: 220 go\nE: tls-ok\nS: 250 mx\nS: 221 bye\n", "0:451 done 0/1/0 Closed"},
    ClientScript{"auth-in-clear", 4, 0, "S: 220 mx\nS: 250-mx\nS: 250 AUTH LOGIN\nS: 334 VXNlcm5hbWU6\nS: 334 UGFzc3dvcmQ6\nS: 235 ok\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:250 done 1/0/0 Closed"},
    ClientScript{"auth-needs-tls", 3, 0, "S: 220 mx\nS: 250-mx\nS: 250 AUTH PLAIN\nS: 221 bye\n", "0:451 done 0/1/0 Closed"},
    ClientScript{"helo", 0, 0, "S: 220 mx\nS: 502 no\nS: 250 mx\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 queued\nS: 221 bye\n", "0:250 done 1/0/0 Closed"},
    ClientScript{"hello-refused", 0, 0, "S: 220 mx\nS: 502 no\nS: 550 no\nS: 221 bye\n", "0:550 done 0/0/1 Closed"},
    ClientScript{"lmtp", 5, 1, "S: 220 mx\nS: 250-mx\nS: 250 PIPELINING\nS: 250 ok\nS: 250 ok\nS: 250 ok\nS: 354 go\nS: 250 one\nS: 452 two\nS: 221 bye\n", "0:250 1:452 done 1/1/0 Closed"},
    ClientScript{"lmtp-lhlo-refused", 5, 0, "S: 220 mx\nS: 500 no\nS: 221 bye\n", "0:500 done 0/0/1 Closed"},
    ClientScript{"needs-8bit", 0, 2, "S: 220 mx\nS: 250 mx\nS: 221 bye\n", "0:554 done 0/0/1 Closed"},
    ClientScript{"needs-utf8", 0, 3, "S: 220 mx\nS: 250-mx\nS: 250 8BITMIME\nS: 221 bye\n", "0:553 done 0/0/1 Closed"},
    ClientScript{"too-big", 0, 0, "S: 220 mx\nS: 250-mx\nS: 250 SIZE 5\nS: 221 bye\n", "0:552 done 0/0/1 Closed"},
    ClientScript{"no-recipients", 0, 4, "S: 220 mx\nS: 250 mx\nS: 221 bye\n", "done 0/0/0 Closed"},
    ClientScript{"serial-refusals", 0, 1, "S: 220 mx\nS: 250 mx\nS: 250 ok\nS: 550 no\nS: 451 no\nS: 221 bye\n", "0:550 1:451 done 0/1/1 Closed"},
    ClientScript{"data-refused", 0, 0, "S: 220 mx\nS: 250 mx\nS: 250 ok\nS: 250 ok\nS: 554 no\nS: 221 bye\n", "0:554 done 0/0/1 Closed"},
    ClientScript{"mail-refused", 0, 0, "S: 220 mx\nS: 250 mx\nS: 451 no\nS: 221 bye\n", "0:451 done 0/1/0 Closed"},
    ClientScript{"greeting-refused", 0, 0, "S: 554 no\nS: 221 bye\n", "0:554 done 0/0/1 Closed"},
    ClientScript{"closing", 0, 1, "S: 220 mx\nS: 250 mx\nS: 250 ok\nS: 421 bye\n", "0:421 1:421 done 0/2/0 Closed"},
    ClientScript{"unexpected", 0, 0, "S: 220 mx\nS: 250 mx\nS: 250 ok\nS: 250 ok\nS: 250 what\nS: 221 bye\n", "0:451 done 0/1/0 Closed"},
    ClientScript{"bad-reply", 0, 0, "S: 220 mx\nS: 250 mx\nS: 2x0 ok\n", "0:451 done 0/1/0 Closed"},
    ClientScript{"timeout", 0, 0, "S: 220 mx\nS: 250 mx\nE: timeout\n", "0:451 done 0/1/0 Closed"},
    ClientScript{"closed", 0, 0, "S: 220 mx\nE: closed\n", "0:451 done 0/1/0 Closed"},
};
// clang-format on

ClientParams client_params_of(int kind) {
    ClientParams p = client_params(kind == 2                ? ClientTlsPolicy::Required
                                   : kind == 1 || kind == 3 ? ClientTlsPolicy::Opportunistic
                                                            : ClientTlsPolicy::None);
    if (kind == 3 || kind == 4) {
        p.credentials = ClientCredentials{"user", "pass"};
        p.auth_in_clear = kind == 4;
    }
    p.lmtp = kind == 5;
    return p;
}

testing::WireMessage client_message_of(int kind) {
    auto m = client_message(kind == 1 || kind == 5 ? std::vector<std::string>{"b", "c"}
                            : kind == 4            ? std::vector<std::string>{}
                                                   : std::vector<std::string>{"b"});
    m.mail.body = kind == 2 ? Body::EightBitMime : Body::Unspecified;
    m.mail.smtputf8 = kind == 3;
    return m;
}

template <class Script, std::size_t N>
Script const& find(std::array<Script, N> const& all, std::string_view name) {
    for (Script const& s : all) {
        if (s.name == name) {
            return s;
        }
    }
    return all.front();
}

template <class Script, std::size_t N>
std::vector<TranscriptCase> cases(std::array<Script, N> const& all) {
    std::vector<TranscriptCase> out;
    out.reserve(N);
    for (Script const& s : all) {
        out.push_back({s.name, s.expected});
    }
    return out;
}

} // namespace

std::vector<TranscriptCase> server_transcripts() {
    return cases(kServer);
}

std::string run_server_transcript(std::string_view name, std::span<Row const> rows, bool full) {
    ServerScript const& t = find(kServer, name);
    Wire w(server_params(t.params), rows);
    w.lookup = [](grammar::Path const& p) {
        return p.mailbox && p.mailbox->local_part == "nobody" ? RcptVerdict::Kind::UnknownUser
                                                              : RcptVerdict::Kind::Accepted;
    };
    std::istringstream in{std::string(t.script)};
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("E: ")) {
            server_event(w, std::string_view(line).substr(3));
        } else {
            w.send(line.starts_with("X: ") ? line.substr(3) : line + "\r\n");
        }
    }
    std::string out;
    for (int code : w.codes()) {
        out += std::to_string(code) + " ";
    }
    out += "queued " + std::to_string(w.queue_ids) + " " + std::string(state_name(w.session.state));
    if (full) {
        for (Reply const& r : w.replies) {
            out += "\n" + std::string(reply_id_name(r.id)) + " " + r.arg;
        }
        out += "\n" + w.content + std::to_string(w.queued.size()) + " errors " +
               std::to_string(w.session.errors);
    }
    return out;
}

std::vector<TranscriptCase> client_transcripts() {
    return cases(kClient);
}

std::string run_client_transcript(std::string_view name, std::span<ClientRow const> rows,
                                  bool full) {
    ClientScript const& t = find(kClient, name);
    ClientWire w(client_params_of(t.params), client_message_of(t.message), rows);
    std::istringstream in{std::string(t.script)};
    for (std::string line; std::getline(in, line);) {
        std::string_view const text = std::string_view(line).substr(3);
        if (line.starts_with("S: ")) {
            w.server(std::string(text) + "\r\n");
        } else {
            w.event(text);
        }
    }
    std::string out;
    for (auto const& r : w.results) {
        out += std::to_string(r.index) + ":" + std::to_string(r.reply.code) + " ";
    }
    out += w.done
               ? "done " + std::to_string(w.done->delivered) + "/" +
                     std::to_string(w.done->temp_failed) + "/" + std::to_string(w.done->perm_failed)
               : "not done";
    out += std::string(w.unexpected ? " unexpected " : " ") +
           std::string(client_state_name(w.session.state));
    if (full) {
        out += "\n" + w.sent;
    }
    return out;
}

std::string server_transcripts_differ(std::span<Row const> rows) {
    for (ServerScript const& t : kServer) {
        if (run_server_transcript(t.name, rows, true) !=
                run_server_transcript(t.name, server_table(), true) ||
            run_server_transcript(t.name, rows) != t.expected) {
            return "transcript " + std::string(t.name);
        }
    }
    return {};
}

std::string client_transcripts_differ(std::span<ClientRow const> rows) {
    for (ClientScript const& t : kClient) {
        if (run_client_transcript(t.name, rows, true) !=
                run_client_transcript(t.name, client_table(), true) ||
            run_client_transcript(t.name, rows) != t.expected) {
            return "transcript " + std::string(t.name);
        }
    }
    return {};
}

} // namespace smtpd::sm::testing
