// The client session's engine: classifies an event by reply class (RFC 5321 §4.2.1; 421 apart,
// §3.8), finds the first row of client_table() that matches (state, kind, guard), sends what the
// row's send column renders, runs its effect, and leaves a decision state (Ready, RcptDone) at
// once with Proceed. No row: an error value, the session unchanged (h11). Also the names and the
// markdown export of the table. Depends on: client.hpp.
#include "smtpd/sm/client.hpp"

#include <array>
#include <utility>

namespace smtpd::sm {

namespace {

constexpr std::array<std::string_view, kClientStateCount> kStateNames{
    "Greeting",      "Ehlo",          "Helo",       "Ready", "StartTls", "Handshake",
    "AuthLoginUser", "AuthLoginPass", "AuthResult", "Mail",  "Rcpt",     "RcptDone",
    "Data",          "Content",       "Discard",    "Quit",  "Closed"};

constexpr std::array<std::string_view, kClientEventKindCount> kKindNames{
    "Positive", "Intermediate", "Transient", "Permanent",  "Closing", "BadReply",
    "TlsDone",  "TlsFailed",    "Timeout",   "PeerClosed", "Proceed"};

constexpr std::array<std::string_view, 16> kSendNames{
    "",     "EHLO",           "HELO", "STARTTLS", "AUTH PLAIN", "AUTH LOGIN", "user", "password",
    "MAIL", "MAIL+RCPT+DATA", "RCPT", "DATA",     "body",       "BDAT LAST",  ".",    "QUIT"};

bool is_decision(ClientState s) {
    return s == ClientState::Ready || s == ClientState::RcptDone;
}

ClientRow const* find_row(std::span<ClientRow const> rows, ClientSession const& s,
                          ClientEvent const& e) {
    return table::first_match<ClientSide>(rows, s, e, client_kind_of(e));
}

void apply(ClientRow const& row, ClientSession& s, ClientEvent const& event, ClientStep& step) {
    std::string bytes = render_send(row.output, s);
    row.effect.fn(s, event, step.actions);
    if (row.to != ClientState::Same) {
        s.state = row.to;
    }
    s.quit_sent = s.quit_sent || row.output == ClientSendKind::Quit;
    s.content_sent = s.content_sent || row.output == ClientSendKind::Body ||
                     row.output == ClientSendKind::Bdat || row.output == ClientSendKind::Dot;
    if (!bytes.empty()) {
        step.actions.emplace_back(ClientSend{std::move(bytes)});
    }
    step.rows.push_back(row.id);
}

} // namespace

std::string_view client_state_name(ClientState state) {
    return state == ClientState::Same ? "Same" : kStateNames.at(static_cast<std::size_t>(state));
}

std::string_view client_event_kind_name(ClientEventKind kind) {
    return kKindNames.at(static_cast<std::size_t>(kind));
}

std::string_view client_send_name(ClientSendKind kind) {
    return kSendNames.at(static_cast<std::size_t>(kind));
}

ClientEventKind client_kind_of(ClientEvent const& event) {
    using K = ClientEventKind;
    if (auto const* r = std::get_if<ClientReply>(&event)) {
        unsigned const code = r->reply.code;
        if (code == 421) {
            return K::Closing;
        }
        switch (code / 100) {
        case 2:
            return K::Positive;
        case 3:
            return K::Intermediate;
        case 4:
            return K::Transient;
        case 5:
            return K::Permanent;
        default:
            return K::BadReply; // grammar::parse_reply gives 2yz..5yz only
        }
    }
    if (auto const* t = std::get_if<ClientTlsDone>(&event)) {
        return t->ok ? K::TlsDone : K::TlsFailed;
    }
    if (std::holds_alternative<ClientBadReply>(event)) {
        return K::BadReply;
    }
    if (std::holds_alternative<ClientTimeout>(event)) {
        return K::Timeout;
    }
    return std::holds_alternative<ClientPeerClosed>(event) ? K::PeerClosed : K::Proceed;
}

ClientSession client_session(ClientParams params, ClientMessage message) {
    ClientSession s;
    s.tls = params.implicit_tls;
    s.params = std::move(params);
    s.outcomes.resize(message.recipients.size());
    s.message = std::move(message);
    return s;
}

ClientStep client_step(ClientSession session, ClientEvent const& event) {
    return client_step(std::move(session), event, client_table());
}

ClientStep client_step(ClientSession session, ClientEvent const& event,
                       std::span<ClientRow const> rows) {
    if (session.state == ClientState::Closed) {
        return ClientStep{std::move(session), {}, ClientStepError::SessionClosed, {"closed"}};
    }
    ClientRow const* row = find_row(rows, session, event);
    if (row == nullptr) {
        return ClientStep{std::move(session), {}, ClientStepError::UnexpectedEvent, {"unexpected"}};
    }
    ClientStep step{{}, {}, ClientStepError::None, {}};
    apply(*row, session, event, step);
    // A decision state's rows end in one with an empty guard, and none leads to a decision
    // state, so this runs at most once; the bound keeps it so if the table changes.
    for (int i = 0; i < 4 && is_decision(session.state); ++i) {
        row = find_row(rows, session, ClientProceed{});
        if (row == nullptr) {
            break;
        }
        apply(*row, session, ClientProceed{}, step);
    }
    step.next = std::move(session);
    return step;
}

std::string client_table_markdown() {
    std::string out = "| row | from | on | guard | to | sends | effect |\n"
                      "|---|---|---|---|---|---|---|\n";
    for (ClientRow const& row : client_table()) {
        out += "| `" + std::string(row.id) + "` | " +
               table::join(row.from, kClientStateCount, client_state_name, ", ") + " | " +
               table::join(row.on, kClientEventKindCount, client_event_kind_name, ", ") + " | " +
               row.guard.text([](ClientPred p) { return client_pred_info(p).name; }) + " | " +
               (row.to == ClientState::Same ? std::string("(same)")
                                            : std::string(client_state_name(row.to))) +
               " | " + std::string(client_send_name(row.output)) + " | `" +
               std::string(row.effect.name) + "` |\n";
    }
    return out;
}

} // namespace smtpd::sm
