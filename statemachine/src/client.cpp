// The client session's engine: classifies an event by reply class (RFC 5321 §4.2.1; 421 apart,
// §3.8), finds the first row of client_table() that matches (state, kind, guard), sends what the
// row's send column renders (the body: ClientSendBody), runs its effect, and leaves a decision
// state (Ready, RcptDone) at once with Proceed. No row: an error value, the session unchanged
// (h11). Also the time-out of each state (RFC 5321 §4.5.3.2), the bounded reply a result
// carries, the names and the markdown export of the table. Depends on: client.hpp.
#include "smtpd/sm/client.hpp"

#include <array>
#include <utility>

namespace smtpd::sm {

namespace {

constexpr std::array<std::string_view, kClientStateCount> kStateNames{
    "Greeting",      "Ehlo",       "Helo", "Ready", "StartTls", "Handshake", "AuthLoginUser",
    "AuthLoginPass", "AuthResult", "Mail", "Rcpt",  "RcptDone", "Data",      "Body",
    "Content",       "Discard",    "Idle", "Reset", "Quit",     "Closed"};

constexpr std::array<std::string_view, kClientEventKindCount> kKindNames{
    "Positive",  "Intermediate", "Transient",  "Permanent", "Closing", "BadReply",    "TlsDone",
    "TlsFailed", "Timeout",      "PeerClosed", "Message",   "Quit",    "BodyWritten", "Proceed"};

constexpr std::array<std::string_view, 17> kSendNames{
    "",     "EHLO",        "HELO", "STARTTLS",       "AUTH PLAIN", "AUTH LOGIN",
    "user", "password",    "MAIL", "MAIL+RCPT+DATA", "RCPT",       "DATA",
    "body", "BDAT chunks", ".",    "RSET",           "QUIT"};

constexpr std::array<std::string_view, 10> kTimeoutNames{
    "none", "greeting",  "command",    "handshake",        "mail",
    "rcpt", "data-init", "data-block", "data-termination", "quit"};

bool is_decision(ClientState s) {
    return s == ClientState::Ready || s == ClientState::RcptDone;
}

ClientRow const* find_row(std::span<ClientRow const> rows, ClientSession const& s,
                          ClientEvent const& e) {
    return table::first_match<ClientSide>(rows, s, e, client_kind_of(e));
}

void apply(ClientRow const& row, ClientSession& s, ClientEvent const& event, ClientStep& step) {
    std::string bytes = render_send(row.output, s);
    if (row.output == ClientSendKind::Body || row.output == ClientSendKind::Bdat) {
        step.actions.emplace_back(ClientSendBody{
            row.output == ClientSendKind::Bdat ? BodyFraming::Bdat : BodyFraming::Dot});
    }
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
    if (std::holds_alternative<ClientSubmit>(event)) {
        return K::Message;
    }
    if (std::holds_alternative<ClientQuitRequest>(event)) {
        return K::Quit;
    }
    if (std::holds_alternative<ClientBodyWritten>(event)) {
        return K::BodyWritten;
    }
    return std::holds_alternative<ClientPeerClosed>(event) ? K::PeerClosed : K::Proceed;
}

ClientTimeoutKind client_timeout_kind(ClientState state) {
    using T = ClientTimeoutKind;
    switch (state) {
    case ClientState::Greeting:
        return T::Greeting;
    case ClientState::Ehlo:
    case ClientState::Helo:
    case ClientState::StartTls:
    case ClientState::AuthLoginUser:
    case ClientState::AuthLoginPass:
    case ClientState::AuthResult:
    case ClientState::Reset:
        return T::Command;
    case ClientState::Handshake:
        return T::Handshake;
    case ClientState::Mail:
        return T::Mail;
    case ClientState::Rcpt:
        return T::Rcpt;
    case ClientState::Data:
        return T::DataInit;
    case ClientState::Body:
        return T::DataBlock;
    case ClientState::Content:
    case ClientState::Discard:
        return T::DataTermination;
    case ClientState::Quit:
        return T::Quit;
    default:
        return T::None; // Ready, RcptDone (never seen between steps), Idle, Closed
    }
}

std::chrono::seconds client_timeout_duration(ClientTimeoutKind kind) {
    using std::chrono::minutes;
    using T = ClientTimeoutKind;
    switch (kind) {
    case T::None:
        return std::chrono::seconds{0};
    case T::DataInit:
    case T::Quit:
        return minutes{2};
    case T::DataBlock:
        return minutes{3};
    case T::DataTermination:
        return minutes{10};
    default:
        return minutes{5}; // Greeting, Command, Handshake, Mail, Rcpt
    }
}

std::string_view client_timeout_name(ClientTimeoutKind kind) {
    return kTimeoutNames.at(static_cast<std::size_t>(kind));
}

grammar::Reply bounded_reply(grammar::Reply const& reply) {
    grammar::Reply out{reply.code, reply.enhanced, {}};
    std::size_t room = kMaxResultText;
    for (std::size_t i = 0; i < reply.lines.size() && i < kMaxResultLines && room > 0; ++i) {
        std::string line = reply.lines[i].substr(0, room);
        for (char& c : line) {
            auto const u = static_cast<unsigned char>(c);
            c = (u < 0x20U || u == 0x7fU) ? '?' : c; // CR, LF, NUL, TAB...: one safe line
        }
        room -= line.size();
        out.lines.push_back(std::move(line));
    }
    return out;
}

std::string client_reply_text(grammar::Reply const& reply) {
    grammar::Reply const bounded = bounded_reply(reply);
    std::string text = std::to_string(bounded.code);
    for (auto const& line : bounded.lines) {
        text += ' ' + line;
    }
    return text;
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

grammar::Path path_of(std::string_view address) {
    grammar::Path path;
    if (address.empty()) {
        return path; // <>
    }
    auto const at = address.rfind('@');
    std::string_view const local = at == std::string_view::npos ? address : address.substr(0, at);
    std::string_view const domain =
        at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
    path.mailbox =
        grammar::Mailbox{std::string(local), std::string(domain), domain.starts_with('[')};
    return path;
}

} // namespace smtpd::sm
