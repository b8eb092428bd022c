// The client (relay) SMTP session, sans I/O: messages to one server, one transaction each,
// replies in, commands and per-recipient results out; the body is streamed by the driver
// (ClientSendBody, body_encoder.hpp). client_step() is pure; the transition table
// (client_table.cpp) is the only place client transitions live, rows {from, on, guard, to, send,
// effect, id}, the first match wins. Decision states (Ready, RcptDone) are left at once by the
// engine's own Proceed event. Every recipient of a message gets exactly one ClientRecipientResult
// before the session is Idle (asks for the next message) or Closed (ClientDone last).
// RFC 5321 §3.3, §4.2 (reply classes), RFC 2920 §3.1, RFC 3207, RFC 4954, RFC 1870, RFC 6152,
// RFC 6531, RFC 3461, RFC 3030, RFC 2033 (LMTP). Depends on: grammar/, action.hpp,
// client_reply.hpp.
#pragma once

#include "smtpd/grammar/extensions.hpp"
#include "smtpd/grammar/reply.hpp"
#include "smtpd/sm/action.hpp"
#include "smtpd/sm/client_reply.hpp"
#include "smtpd/sm/table.hpp"
#include "smtpd/sm/verdicts.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace smtpd::sm {

enum class ClientState : unsigned char {
    Greeting,      ///< connected; waiting for the 220
    Ehlo,          ///< EHLO (LHLO under LMTP) sent
    Helo,          ///< EHLO refused with 5xx; HELO sent
    Ready,         ///< decision: STARTTLS, AUTH, or the transaction (left at once)
    StartTls,      ///< STARTTLS sent
    Handshake,     ///< the runtime runs the TLS handshake; waiting for ClientTlsDone
    AuthLoginUser, ///< AUTH LOGIN sent; waiting for 334
    AuthLoginPass, ///< the user name sent; waiting for 334
    AuthResult,    ///< AUTH PLAIN with its initial response, or LOGIN's password, sent
    Mail,          ///< MAIL sent (with the RCPTs and DATA when pipelining)
    Rcpt,          ///< waiting for the reply to recipient `rcpt_replies`
    RcptDone,      ///< decision: next RCPT, DATA, BDAT or QUIT (left at once)
    Data,          ///< DATA sent; waiting for 354
    Body,          ///< the driver streams the body (ClientSendBody); waiting for body_written
    Content,       ///< the message sent; waiting for its reply (LMTP: one per accepted RCPT)
    Discard,       ///< pipelined, no recipient accepted, DATA got 354: "." sent (RFC 2920 §3.1)
    Idle,          ///< a transaction is over: waiting for the driver's next message, or quit
    Reset,         ///< RSET sent after a transaction left open (RFC 5321 §4.1.1.5)
    Quit,          ///< QUIT sent; whatever comes, close
    Closed,        ///< done: ClientDone was emitted
    Same,          ///< pseudo-state in table rows: stay where you are
};
inline constexpr std::size_t kClientStateCount = static_cast<std::size_t>(ClientState::Closed) + 1;

[[nodiscard]] std::string_view client_state_name(ClientState state);

/// `relay ... tls`: none, opportunistic (use it when offered), required (fail without it).
enum class ClientTlsPolicy : unsigned char { None, Opportunistic, Required };

struct ClientCredentials {
    std::string user;
    std::string password;
};

/// What is fixed for the session: the relay's configuration.
struct ClientParams {
    std::string helo = "localhost"; ///< our name in EHLO/HELO/LHLO
    bool lmtp = false;              ///< RFC 2033: LHLO, no HELO, one DATA reply per recipient
    ClientTlsPolicy tls = ClientTlsPolicy::Opportunistic;
    bool implicit_tls = false; ///< smtps: TLS from the first byte
    std::optional<ClientCredentials> credentials;
    bool auth_in_clear = false; ///< allow AUTH without TLS (not OpenSMTPD's default)
    /// RFC 6066 §3 SNI: the name ClientStartTls presents, and the one the certificate is
    /// verified against (the MX or smarthost name); empty: none.
    std::string server_name;
};

/// The message to relay: its envelope and the facts about its content. The content itself is
/// not here: the driver streams it from the spool when ClientSendBody asks (body_encoder.hpp).
struct ClientMessage {
    grammar::Path sender;
    std::vector<Recipient> recipients; ///< with their DSN options (RFC 3461 §4)
    MailOptions mail;       ///< body (8-bit: EightBitMime), smtputf8, ret, envid; size is ours
    std::uint64_t size = 0; ///< octets of the content with CRLF line ends (RFC 1870 SIZE)
};

/// What the server's EHLO reply offered (RFC 5321 §4.1.1.1).
struct ClientOffer {
    grammar::Extensions extensions;
    std::uint64_t size_limit = 0; ///< RFC 1870 §4: SIZE's parameter; 0 = none given
    bool auth_plain = false;      ///< AUTH lists PLAIN (RFC 4616)
    bool auth_login = false;      ///< AUTH lists LOGIN
};

/// Reads the EHLO reply's lines after the first (grammar::parse_ehlo_line); unknown ones skip.
[[nodiscard]] ClientOffer parse_offer(grammar::Reply const& ehlo_reply);

/// A recipient's fate. Deferred: 452 to its RCPT (RFC 5321 §4.5.3.1.10, too many recipients):
/// not failed, to be sent again in a new transaction (on this connection, if the driver can).
enum class ClientOutcome : unsigned char { Delivered, TempFail, PermFail, Deferred };

/// What a recipient's fate means for its delivery: Deferred is a later attempt, so TempFail.
constexpr DeliveryStatus delivery_status(ClientOutcome outcome) {
    switch (outcome) {
    case ClientOutcome::Delivered:
        return DeliveryStatus::Delivered;
    case ClientOutcome::PermFail:
        return DeliveryStatus::PermFail;
    case ClientOutcome::TempFail:
    case ClientOutcome::Deferred:
        break;
    }
    return DeliveryStatus::TempFail;
}

// --- events ---

/// A whole reply from the server (ClientReplyAssembler).
struct ClientReply {
    grammar::Reply reply;
};
/// The server's bytes were not a reply; the stream is no longer trusted.
struct ClientBadReply {
    ClientReplyError error = ClientReplyError::Malformed;
};
/// The handshake that ClientStartTls asked for is over.
struct ClientTlsDone {
    bool ok = true;
};
struct ClientTimeout {};
struct ClientPeerClosed {};
/// The driver's next message for this connection (answers Idle).
struct ClientSubmit {
    ClientMessage message;
};
/// The driver has no more messages for this connection (answers Idle).
struct ClientQuitRequest {};
/// The driver wrote the body ClientSendBody asked for; under BDAT, in this many BDAT commands.
struct ClientBodyWritten {
    std::size_t bdat_commands = 0;
};
/// The engine's own event: leaves a decision state. The runtime never sends it.
struct ClientProceed {};

using ClientEvent =
    std::variant<ClientReply, ClientBadReply, ClientTlsDone, ClientTimeout, ClientPeerClosed,
                 ClientSubmit, ClientQuitRequest, ClientBodyWritten, ClientProceed>;

/// Event kinds as rows name them: replies by class (RFC 5321 §4.2.1), 421 apart (§3.8: the
/// server is closing, whatever the command was).
enum class ClientEventKind : unsigned char {
    Positive,     ///< 2yz
    Intermediate, ///< 3yz
    Transient,    ///< 4yz but 421
    Permanent,    ///< 5yz
    Closing,      ///< 421
    BadReply,
    TlsDone,
    TlsFailed,
    Timeout,
    PeerClosed,
    Message,     ///< ClientSubmit
    Quit,        ///< ClientQuitRequest
    BodyWritten, ///< ClientBodyWritten
    Proceed,
};
inline constexpr std::size_t kClientEventKindCount =
    static_cast<std::size_t>(ClientEventKind::Proceed) + 1;

[[nodiscard]] ClientEventKind client_kind_of(ClientEvent const& event);
[[nodiscard]] std::string_view client_event_kind_name(ClientEventKind kind);

// --- actions ---

/// Write these bytes (command lines with CRLF, or the message).
struct ClientSend {
    std::string bytes;
};
/// Run the TLS handshake, presenting `server_name` (SNI, ClientParams::server_name) and
/// verifying the certificate against it as the policy says; answered by ClientTlsDone.
struct ClientStartTls {
    std::string server_name;
};
/// How the body goes out: after DATA's 354, dot-stuffed and ended by "." (RFC 5321 §4.5.2), or
/// in BDAT chunks, the last with LAST (RFC 3030 §2).
enum class BodyFraming : unsigned char { Dot, Bdat };
/// Write the current message's body now, through a BodyEncoder of this framing (CRLF only);
/// then answer with body_written (ClientBodyWritten).
struct ClientSendBody {
    BodyFraming framing = BodyFraming::Dot;
};
/// Close the connection.
struct ClientClose {};

/// A result's reply is bounded and on one line each: at most this many lines, this many octets
/// in all, no control character (CR, LF, NUL...): it goes into envelope files and logs.
inline constexpr std::size_t kMaxResultLines = 4;
inline constexpr std::size_t kMaxResultText = 512;

/// The fate of recipient `index` of the current message, with the reply that decided it (kept
/// for DSNs, bounded as above); a reply made here (a timeout, a missing extension) has a code
/// and enhanced code like a server's.
struct ClientRecipientResult {
    std::size_t index = 0;
    ClientOutcome outcome = ClientOutcome::TempFail;
    grammar::Reply reply;
    /// Delivered, NOTIFY=SUCCESS asked, and the server did not offer DSN: the runtime owes the
    /// sender a "relayed" notice (RFC 3461 §6.2.3).
    bool relayed_without_dsn = false;
};
/// The session is over: the counts of the results above, over every message.
struct ClientDone {
    std::size_t delivered = 0;
    std::size_t temp_failed = 0;
    std::size_t perm_failed = 0;
    std::size_t deferred = 0;
};

using ClientAction = std::variant<ClientSend, ClientStartTls, ClientSendBody, ClientClose,
                                  ClientRecipientResult, ClientDone>;
using ClientActions = std::vector<ClientAction>;

// --- the session ---

struct ClientSession {
    ClientState state = ClientState::Greeting;
    ClientParams params;
    ClientMessage message;
    ClientOffer offer;                 ///< from the last EHLO/LHLO reply; empty after HELO
    bool esmtp = false;                ///< EHLO/LHLO accepted
    bool tls = false;                  ///< TLS active
    bool tls_tried = false;            ///< STARTTLS was refused: go on in clear (opportunistic)
    bool authenticated = false;        ///< 235 seen
    bool tx_open = false;              ///< MAIL sent, and no reply since ended the transaction
    bool pipelined = false;            ///< MAIL, RCPTs (and DATA) went as one group
    bool content_sent = false;         ///< the message (or the lone ".") was sent
    bool quit_sent = false;            ///< QUIT was sent
    bool capped = false;               ///< a RCPT got 452: send no more RCPTs (§4.5.3.1.10)
    std::size_t rcpt_sent = 0;         ///< RCPT commands sent
    std::size_t rcpt_replies = 0;      ///< RCPT replies read
    std::vector<std::size_t> accepted; ///< indices of accepted RCPTs, in order
    std::size_t bdat_commands = 0;     ///< BDAT commands the body went in (ClientBodyWritten)
    std::size_t chunk_replies = 0;     ///< replies read to BDAT chunks before the last
    std::size_t content_replies = 0;   ///< LMTP: replies read after the message
    std::size_t transactions = 1;      ///< messages begun on this connection, this one included
    std::vector<std::optional<ClientOutcome>> outcomes; ///< per recipient, once decided
    ClientDone totals;                                  ///< the results so far, every message
};

/// A session for this message, waiting for the greeting.
[[nodiscard]] ClientSession client_session(ClientParams params, ClientMessage message);

/// RFC 5321 §4.5.3.2: which client time-out applies while the session is in a state. The
/// driver reads it after each action and arms its timer; None: no reply is awaited (the
/// driver's own idle policy applies, or the session is over).
enum class ClientTimeoutKind : unsigned char {
    None,
    Greeting,        ///< §4.5.3.2.1 initial 220: 5 min
    Command,         ///< EHLO, HELO, STARTTLS, AUTH, RSET (our choice: 5 min, as §4.5.3.2.7)
    Handshake,       ///< the TLS handshake (our choice: 5 min)
    Mail,            ///< §4.5.3.2.2: 5 min
    Rcpt,            ///< §4.5.3.2.3: 5 min
    DataInit,        ///< §4.5.3.2.4 DATA initiation: 2 min
    DataBlock,       ///< §4.5.3.2.5 each write of the body: 3 min
    DataTermination, ///< §4.5.3.2.6 the reply to "." or BDAT LAST: 10 min
    Quit,            ///< the reply to QUIT (our choice: 2 min; the session is over anyway)
};
[[nodiscard]] ClientTimeoutKind client_timeout_kind(ClientState state);
[[nodiscard]] std::chrono::seconds client_timeout_duration(ClientTimeoutKind kind);
[[nodiscard]] std::string_view client_timeout_name(ClientTimeoutKind kind);

/// The path of an address as the queue keeps it ("local@domain", the local part as received,
/// quotes included; "" for the null reverse-path <>), split at its last '@'.
[[nodiscard]] grammar::Path path_of(std::string_view address);

/// A reply bounded for a result (kMaxResultLines, kMaxResultText; control octets become '?').
[[nodiscard]] grammar::Reply bounded_reply(grammar::Reply const& reply);
/// A reply on one line for logs and envelope files: "code line line...", bounded as above.
[[nodiscard]] std::string client_reply_text(grammar::Reply const& reply);

enum class ClientStepError : unsigned char { None, UnexpectedEvent, SessionClosed };

struct ClientStep {
    ClientSession next;
    ClientActions actions;
    ClientStepError error = ClientStepError::None;
    std::vector<std::string_view> rows; ///< the rows that fired: the event's, then a decision's
};

/// Applies the table to one event (and Proceed while in a decision state).
[[nodiscard]] ClientStep client_step(ClientSession session, ClientEvent const& event);

/// RFC 5321 §4.5.2: a "." starts every line that starts with "."; bare CR or LF become CRLF
/// (no server may see the end of data inside the body: the SMTP smuggling class,
/// CVE-2023-51764); the content ends in CRLF; then the terminating ".\r\n". The whole-string
/// oracle of the streaming BodyEncoder (body_encoder.hpp).
[[nodiscard]] std::string dot_stuff(std::string_view content);

/// RFC 4648 §4 base64, for AUTH (RFC 4954 §4).
[[nodiscard]] std::string base64_encode(std::string_view bytes);

// --- the table, exposed for tests and docs ---

enum class ClientPred : unsigned char {
    // facts of the session
    TlsActive,
    Authenticated,
    Pipelined,
    AnyAccepted,
    TlsWanted, ///< policy is not none and STARTTLS was not refused
    TxOpen,    ///< a transaction is open on the server: RSET before the next MAIL
    // config of the relay and the message
    Lmtp,
    TlsRequired,
    HasCredentials,
    AuthInClear,
    HasRecipients,
    Needs8Bit,
    NeedsUtf8,
    // what the server offered
    StartTlsOffered,
    AuthPlainOffered,
    AuthLoginOffered,
    PipeliningOffered,
    ChunkingOffered,
    EightBitOffered,
    Utf8Offered,
    TooBig, ///< SIZE given and the message is larger
    // counters
    MoreRecipients,
    MoreLmtpReplies,
    MoreChunkReplies, ///< replies to BDAT chunks before the last still to read
    // the event
    TooManyRecipients, ///< the reply is 452 (RFC 5321 §4.5.3.1.10)
};
inline constexpr std::size_t kClientPredCount =
    static_cast<std::size_t>(ClientPred::TooManyRecipients) + 1;

struct ClientPredInfo {
    std::string_view name;
    bool (*fn)(ClientSession const&, ClientEvent const&);
};
[[nodiscard]] ClientPredInfo const& client_pred_info(ClientPred pred);

/// The session's facts a row changes (the row tests check the declaration).
enum class ClientFact : unsigned char {
    Tls,
    Esmtp,
    Authenticated,
    TlsTried,
    Pipelined,
    ContentSent,
    QuitSent,
    AnyAccepted, ///< some RCPT was accepted (the model's "no DATA before an accepted RCPT")
    TxOpen,      ///< MAIL sent, the transaction not ended (the model's "RSET before MAIL")
};
inline constexpr std::size_t kClientFactCount = static_cast<std::size_t>(ClientFact::TxOpen) + 1;
[[nodiscard]] std::uint16_t client_fact_bits(ClientSession const& session);

/// What a row sends, rendered from the session before the row's effect.
enum class ClientSendKind : unsigned char {
    None,
    Ehlo, ///< EHLO, or LHLO under LMTP
    Helo,
    StartTls,
    AuthPlain, ///< AUTH PLAIN <initial response>
    AuthLogin, ///< AUTH LOGIN
    LoginUser, ///< base64 user name
    LoginPass, ///< base64 password
    Mail,      ///< MAIL FROM with the offered parameters
    MailGroup, ///< MAIL, every RCPT, and DATA unless CHUNKING (RFC 2920)
    NextRcpt,  ///< RCPT for recipient rcpt_sent
    Data,
    Body, ///< ClientSendBody: the dot-stuffed message with its "." (streamed by the driver)
    Bdat, ///< ClientSendBody: the message in BDAT chunks, the last with LAST (RFC 3030)
    Dot,  ///< a lone "." (RFC 2920 §3.1)
    Rset,
    Quit,
};
[[nodiscard]] std::string_view client_send_name(ClientSendKind kind);

/// The bytes a row sends in this session.
[[nodiscard]] std::string render_send(ClientSendKind kind, ClientSession const& session);

/// The client side of the table scaffolding (table.hpp); a row's output is what it sends.
using ClientSide = table::Side<ClientState, ClientEventKind, ClientPred, ClientSession, ClientEvent,
                               ClientActions, ClientSendKind>;
template <> bool ClientSide::test(ClientPred pred, ClientSession const& s, ClientEvent const& e);

using ClientLiteral = table::Literal<ClientPred>;
using ClientEffect = table::Effect<ClientSide>;
using ClientStateSet = table::EnumSet<ClientState>;
using ClientEventSet = table::EnumSet<ClientEventKind>;
/// In any state of `from`, on any event of `on`, if `guard` holds: send `output`, run `effect`,
/// go to `to`.
using ClientRow = table::Row<ClientSide>;

[[nodiscard]] std::span<ClientRow const> client_table();

/// client_step() over another table (a mutant, in the table mutation tests).
[[nodiscard]] ClientStep client_step(ClientSession session, ClientEvent const& event,
                                     std::span<ClientRow const> rows);

/// The table as markdown rows (docs/statemachine.md, "The client session").
[[nodiscard]] std::string client_table_markdown();

} // namespace smtpd::sm
