// The IPC vocabulary between the role processes: one MsgType per message, one struct per message,
// and kIpcVersion, which is bumped on every change to any of them (a field added, removed,
// retyped or reordered, an enum value added, a type renumbered). Each struct lists its fields once,
// in wire order, in `fields()`; the generic codec (ipc/codec.hpp) encodes and decodes from that
// list (a field may be a struct with a `fields()` of its own). Every request carries a 64-bit
// request id and its reply echoes it. The wire format is in docs/arch/ipc.md. The verdicts are
// statemachine/'s own enums (sm/verdicts.hpp), carried as is. Depends on: the standard library,
// statemachine/ (sm/verdicts.hpp).
#pragma once

#include "smtpd/sm/verdicts.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

namespace smtpd::ipc {

/// Bump on every change to a message, an enum or the frame format (docs/arch/ipc.md).
inline constexpr std::uint16_t kIpcVersion = 12;

using RequestId = std::uint64_t;

/// Wire numbers. A type's value is its index in `Message` plus one (checked in codec.cpp).
enum class MsgType : std::uint16_t {
    Hello = 1,
    Shutdown,
    LookupRecipient,
    RecipientResolved,
    CheckCredentials,
    CredentialsChecked,
    MessageCreate,
    MessageCreated,
    MessageCommit,
    MessageCommitted,
    ScheduleMessage,
    DeliverRequest,
    DeliverResult,
    ControlRequest,
    ControlReply,
    ListenerSocket,
    MessageAbort,
    LocalDelivery,
    LocalDeliveryDone,
    NotifySender,
    ReadForward,
    ForwardRead,
    ResolveRoute,
    RouteResolved,
    RelayRequest,
    RelayDone,
    FindRelayCredentials,
    RelayCredentialsFound,
    MessageRemoved,
    MessagesDue,
    ConnectRelaySocket,
    RelaySocketConnected,
    FindRelayTable,
    RelayTableFound,
};

// Enums on the wire are one byte; `last_value` gives the range the decoder accepts.
enum class Role : std::uint8_t { Parent, Lookup, Queue, Scheduler, Control, Dispatcher };
/// The session's answers, one definition for both layers (statemachine/ sm/verdicts.hpp).
using RcptVerdict = sm::RcptOutcome;
using AuthVerdict = sm::AuthOutcome;
using DeliveryStatus = sm::DeliveryStatus;
/// Schedule and Remove carry one argument: "all", a msgid or an evpid (common/queue_id.hpp);
/// Pause and Resume "mda" or "mta"; the others none. ShowHosts .. ShowHostStats list the MTA's
/// tables (smtpctl show hosts|relays|routes|hoststats), answered by the dispatcher.
enum class ControlVerb : std::uint8_t {
    ShowQueue,
    Schedule,
    Pause,
    Resume,
    Stop,
    Remove,
    ShowHosts,
    ShowRelays,
    ShowRoutes,
    ShowHostStats,
};
/// What a NotifySender asks for: an RFC 3464 "delayed" or, at expiry, "failed" notice.
enum class Notice : std::uint8_t { Delayed, Expired };
/// The table services of the relay options (OpenSMTPD's table(5) services of the same names).
enum class RelayTableService : std::uint8_t { Source, AddrName, RelayHost };

constexpr Role last_value(Role /*tag*/) {
    return Role::Dispatcher;
}
constexpr RcptVerdict last_value(RcptVerdict /*tag*/) {
    return RcptVerdict::TempFail;
}
constexpr AuthVerdict last_value(AuthVerdict /*tag*/) {
    return AuthVerdict::TempFail;
}
constexpr DeliveryStatus last_value(DeliveryStatus /*tag*/) {
    return DeliveryStatus::PermFail;
}
constexpr ControlVerb last_value(ControlVerb /*tag*/) {
    return ControlVerb::ShowHostStats;
}
constexpr Notice last_value(Notice /*tag*/) {
    return Notice::Expired;
}
constexpr RelayTableService last_value(RelayTableService /*tag*/) {
    return RelayTableService::RelayHost;
}

/// Child -> parent, first frame on each channel: who is speaking, and at which version.
struct Hello {
    static constexpr MsgType kType = MsgType::Hello;
    std::uint16_t version = kIpcVersion;
    Role role{};
    static auto fields(auto& m) { return std::tie(m.version, m.role); }
    friend bool operator==(Hello const&, Hello const&) = default;
};

/// Parent -> children: finish in-flight work and exit.
struct Shutdown {
    static constexpr MsgType kType = MsgType::Shutdown;
    static auto fields(auto& /*m*/) { return std::tie(); }
    friend bool operator==(Shutdown const&, Shutdown const&) = default;
};

/// What the match rules read of the session (runtime/lookup/rules.hpp), in LookupRecipient.
struct RcptSession {
    std::string client_address; ///< the client's IP address, as text
    std::string rdns;           ///< its reverse DNS name; "" when unknown
    bool authenticated{};
    std::string auth_user; ///< when authenticated
    std::string helo;
    std::string mail_from; ///< user@domain; "" for the null reverse-path
    std::string tag;       ///< the listener's tag; "" when none
    bool tls{};
    static auto fields(auto& m) {
        return std::tie(m.client_address, m.rdns, m.authenticated, m.auth_user, m.helo, m.mail_from,
                        m.tag, m.tls);
    }
    friend bool operator==(RcptSession const&, RcptSession const&) = default;
};

/// Dispatcher -> lookup: is local@domain ours, and where does it go?
struct LookupRecipient {
    static constexpr MsgType kType = MsgType::LookupRecipient;
    RequestId id{};
    std::string local;
    std::string domain;
    bool client_local{}; ///< the session came from a local address (`match from local`)
    RcptSession session{};
    static auto fields(auto& m) {
        return std::tie(m.id, m.local, m.domain, m.client_local, m.session);
    }
    friend bool operator==(LookupRecipient const&, LookupRecipient const&) = default;
};

/// Lookup -> dispatcher (and queue). `recipients` is empty unless the verdict is Accepted: each
/// destination the address expands to (aliases, ~/.forward), as spool/envelope.hpp's
/// encode_recipient gives it, so it reaches the queue exactly as resolved.
struct RecipientResolved {
    static constexpr MsgType kType = MsgType::RecipientResolved;
    RequestId id{};
    RcptVerdict verdict{};
    std::vector<std::string> recipients;
    static auto fields(auto& m) { return std::tie(m.id, m.verdict, m.recipients); }
    friend bool operator==(RecipientResolved const&, RecipientResolved const&) = default;
};

/// Dispatcher -> lookup: RFC 4954 AUTH credentials, checked against the listener's table.
struct CheckCredentials {
    static constexpr MsgType kType = MsgType::CheckCredentials;
    RequestId id{};
    std::string listener;
    std::string user;
    std::string password;
    static auto fields(auto& m) { return std::tie(m.id, m.listener, m.user, m.password); }
    friend bool operator==(CheckCredentials const&, CheckCredentials const&) = default;
};

struct CredentialsChecked {
    static constexpr MsgType kType = MsgType::CredentialsChecked;
    RequestId id{};
    AuthVerdict verdict{};
    static auto fields(auto& m) { return std::tie(m.id, m.verdict); }
    friend bool operator==(CredentialsChecked const&, CredentialsChecked const&) = default;
};

/// Dispatcher -> queue: open a new message in the spool's incoming directory.
struct MessageCreate {
    static constexpr MsgType kType = MsgType::MessageCreate;
    RequestId id{};
    static auto fields(auto& m) { return std::tie(m.id); }
    friend bool operator==(MessageCreate const&, MessageCreate const&) = default;
};

/// Queue -> dispatcher. On success (`error` empty) the frame carries the message file's fd,
/// open for writing; on failure it carries none and `msgid` is empty.
struct MessageCreated {
    static constexpr MsgType kType = MsgType::MessageCreated;
    RequestId id{};
    std::string msgid;
    std::string error;
    bool no_space{}; ///< the spool is full (ENOSPC, EDQUOT): the client gets 452 4.3.1
    static auto fields(auto& m) { return std::tie(m.id, m.msgid, m.error, m.no_space); }
    friend bool operator==(MessageCreated const&, MessageCreated const&) = default;
};

/// Dispatcher -> queue: the content is written; make it durable with this envelope
/// (spool/envelope.hpp's encoding) before the 250.
struct MessageCommit {
    static constexpr MsgType kType = MsgType::MessageCommit;
    RequestId id{};
    std::string msgid;
    std::string envelope;
    static auto fields(auto& m) { return std::tie(m.id, m.msgid, m.envelope); }
    friend bool operator==(MessageCommit const&, MessageCommit const&) = default;
};

struct MessageCommitted {
    static constexpr MsgType kType = MsgType::MessageCommitted;
    RequestId id{};
    bool ok{};
    std::string error; ///< for the log when !ok
    bool no_space{};   ///< the spool is full (ENOSPC, EDQUOT)
    static auto fields(auto& m) { return std::tie(m.id, m.ok, m.error, m.no_space); }
    friend bool operator==(MessageCommitted const&, MessageCommitted const&) = default;
};

/// Queue -> scheduler: a committed (or, at start, recovered) message to deliver, with the times
/// its envelope records (seconds since the epoch; 0: never). A notification: no reply.
struct ScheduleMessage {
    static constexpr MsgType kType = MsgType::ScheduleMessage;
    std::string msgid;
    std::uint64_t created{};
    std::uint32_t attempts{};
    std::uint64_t last_try{};
    std::uint64_t last_warn{};
    static auto fields(auto& m) {
        return std::tie(m.msgid, m.created, m.attempts, m.last_try, m.last_warn);
    }
    friend bool operator==(ScheduleMessage const&, ScheduleMessage const&) = default;
};

/// Scheduler -> queue: deliver the recipients of a message that are still queued, now: the
/// local ones unless `local` is false (smtpctl pause mda), the relayed ones unless `relay` is
/// false (pause mta); those are held, not tried.
struct DeliverRequest {
    static constexpr MsgType kType = MsgType::DeliverRequest;
    RequestId id{};
    std::string msgid;
    bool local = true;
    bool relay = true;
    static auto fields(auto& m) { return std::tie(m.id, m.msgid, m.local, m.relay); }
    friend bool operator==(DeliverRequest const&, DeliverRequest const&) = default;
};

/// TempFail: some recipient failed for now (one more attempt); Delivered: none did. `held`:
/// recipients of a paused kind were left untried (the message waits for the resume).
struct DeliverResult {
    static constexpr MsgType kType = MsgType::DeliverResult;
    RequestId id{};
    DeliveryStatus status{};
    std::string error; ///< the last error, for the envelope and the log
    bool held{};
    static auto fields(auto& m) { return std::tie(m.id, m.status, m.error, m.held); }
    friend bool operator==(DeliverResult const&, DeliverResult const&) = default;
};

/// Control -> any role: a validated smtpctl request.
struct ControlRequest {
    static constexpr MsgType kType = MsgType::ControlRequest;
    RequestId id{};
    ControlVerb verb{};
    std::vector<std::string> args;
    static auto fields(auto& m) { return std::tie(m.id, m.verb, m.args); }
    friend bool operator==(ControlRequest const&, ControlRequest const&) = default;
};

struct ControlReply {
    static constexpr MsgType kType = MsgType::ControlReply;
    RequestId id{};
    bool ok{};
    std::vector<std::string> lines; ///< the text smtpctl prints
    static auto fields(auto& m) { return std::tie(m.id, m.ok, m.lines); }
    friend bool operator==(ControlReply const&, ControlReply const&) = default;
};

/// Parent -> dispatcher: a bound listening socket (the frame's fd) for the `listen on` line
/// `listen_index` of smtpd.conf (counted from 0). A notification.
struct ListenerSocket {
    static constexpr MsgType kType = MsgType::ListenerSocket;
    std::uint32_t listen_index{};
    static auto fields(auto& m) { return std::tie(m.listen_index); }
    friend bool operator==(ListenerSocket const&, ListenerSocket const&) = default;
};

/// Dispatcher -> queue: a message that will not be committed; its incoming file goes.
struct MessageAbort {
    static constexpr MsgType kType = MsgType::MessageAbort;
    std::string msgid;
    static auto fields(auto& m) { return std::tie(m.msgid); }
    friend bool operator==(MessageAbort const&, MessageAbort const&) = default;
};

/// Queue -> parent: deliver one recipient of a queued message locally. The frame
/// carries the message file, open for reading. `recipient` is the queued recipient (its method,
/// user and target) as spool/envelope.hpp's encode_recipient gives it; `prepend` the header lines
/// to put before the message (LF line ends); `unique` a name derived from the envelope and the
/// recipient, the same at every attempt, by which a Maildir sees a redelivery.
struct LocalDelivery {
    static constexpr MsgType kType = MsgType::LocalDelivery;
    RequestId id{};
    std::string msgid;
    std::string sender;
    std::string recipient;
    std::string prepend;
    std::string unique;
    /// False only on the first attempt of a message committed by this run of the queue: no
    /// copy can exist yet, so the Maildir need not be searched for one (deliver/maildir.hpp).
    bool retry = true;
    static auto fields(auto& m) {
        return std::tie(m.id, m.msgid, m.sender, m.recipient, m.prepend, m.unique, m.retry);
    }
    friend bool operator==(LocalDelivery const&, LocalDelivery const&) = default;
};

struct LocalDeliveryDone {
    static constexpr MsgType kType = MsgType::LocalDeliveryDone;
    RequestId id{};
    DeliveryStatus status{};
    std::string text; ///< what happened, for the log, the envelope and a bounce
    static auto fields(auto& m) { return std::tie(m.id, m.status, m.text); }
    friend bool operator==(LocalDeliveryDone const&, LocalDeliveryDone const&) = default;
};

/// Scheduler -> queue: tell the sender of `msgid` that it is delayed (the message stays queued,
/// and the envelope notes the warning), or that it expired (a failure notice for every recipient
/// left, then the message goes). A notification.
struct NotifySender {
    static constexpr MsgType kType = MsgType::NotifySender;
    std::string msgid;
    Notice notice{};
    static auto fields(auto& m) { return std::tie(m.msgid, m.notice); }
    friend bool operator==(NotifySender const&, NotifySender const&) = default;
};

/// Lookup -> parent: the ~/.forward of a user, which only root may be able to open. The parent
/// reads it with the user's ids (so it reads nothing the user could not) and the checks of
/// lookup/forward.hpp.
struct ReadForward {
    static constexpr MsgType kType = MsgType::ReadForward;
    RequestId id{};
    std::string user;
    std::string home;
    std::uint32_t uid{};
    std::uint32_t gid{};
    static auto fields(auto& m) { return std::tie(m.id, m.user, m.home, m.uid, m.gid); }
    friend bool operator==(ReadForward const&, ReadForward const&) = default;
};

struct ForwardRead {
    static constexpr MsgType kType = MsgType::ForwardRead;
    RequestId id{};
    bool found{};        ///< false: no usable ~/.forward
    std::string content; ///< at most lookup/forward.hpp's kMaxForwardFile
    static auto fields(auto& m) { return std::tie(m.id, m.found, m.content); }
    friend bool operator==(ForwardRead const&, ForwardRead const&) = default;
};

/// Dispatcher -> lookup: where does mail for `domain` go (RFC 5321 §5.1, dns/mx_route.hpp)?
/// With `host_only`, `domain` is a smarthost's name: its A and AAAA records, no MX.
struct ResolveRoute {
    static constexpr MsgType kType = MsgType::ResolveRoute;
    RequestId id{};
    std::string domain;    ///< a domain name or an address literal ("[192.0.2.1]")
    std::string backup_mx; ///< `relay backup mx NAME`: a name of ours too; empty: none
    bool host_only{};      ///< `relay host NAME`: no MX query
    static auto fields(auto& m) { return std::tie(m.id, m.domain, m.backup_mx, m.host_only); }
    friend bool operator==(ResolveRoute const&, ResolveRoute const&) = default;
};

/// One address of a route: the MX host it belongs to, that host's preference (0 for the
/// implicit MX and an address literal) and the address, as text ("192.0.2.1", "2001:db8::1").
/// Not a message: a field of RouteResolved.
struct RouteDestination {
    std::string host;
    std::uint16_t preference{};
    std::string address;
    static auto fields(auto& m) { return std::tie(m.host, m.preference, m.address); }
    friend bool operator==(RouteDestination const&, RouteDestination const&) = default;
};

/// Lookup -> dispatcher. When `ok`: every address to try, in order (never empty). Otherwise
/// why not: `permanent` (the recipients bounce) or temporary (they are retried), the enhanced
/// status code (RFC 3463: "5.1.10", "4.4.3") and a one-line reason for the log and the notice.
struct RouteResolved {
    static constexpr MsgType kType = MsgType::RouteResolved;
    RequestId id{};
    bool ok{};
    std::vector<RouteDestination> destinations;
    bool permanent{};
    std::string status;
    std::string reason;
    static auto fields(auto& m) {
        return std::tie(m.id, m.ok, m.destinations, m.permanent, m.status, m.reason);
    }
    friend bool operator==(RouteResolved const&, RouteResolved const&) = default;
};

/// Queue -> dispatcher: relay recipients `indexes` of the message now (RFC 5321 §5.1). They are
/// all of one relay action and one destination domain. `envelope` is the whole queued envelope
/// (spool/envelope.hpp's encoding); the frame carries the message file, open for reading.
struct RelayRequest {
    static constexpr MsgType kType = MsgType::RelayRequest;
    RequestId id{};
    std::string envelope;
    std::vector<std::uint32_t> indexes;
    static auto fields(auto& m) { return std::tie(m.id, m.envelope, m.indexes); }
    friend bool operator==(RelayRequest const&, RelayRequest const&) = default;
};

/// The fate of one relayed recipient: `text` is the reply that decided it ("250 2.0.0 Ok",
/// "550 5.1.1 unknown", one line, bounded) or our own reason in the same form; `remote_mta`
/// the host that replied ("" when none did). A field of RelayDone.
struct RelayResult {
    std::uint32_t index{};
    DeliveryStatus status{};
    std::string text;
    std::string remote_mta;
    bool relayed{}; ///< delivered to a next hop without DSN, NOTIFY=SUCCESS asked (RFC 3461 §6.2.3)
    static auto fields(auto& m) {
        return std::tie(m.index, m.status, m.text, m.remote_mta, m.relayed);
    }
    friend bool operator==(RelayResult const&, RelayResult const&) = default;
};

/// Dispatcher -> queue: one result per index of the request, in its order.
struct RelayDone {
    static constexpr MsgType kType = MsgType::RelayDone;
    RequestId id{};
    std::vector<RelayResult> results;
    /// Messages deferred earlier at a host that has just taken mail: due again now (smtpd.conf
    /// `mta max-deferred`); the queue passes them on to the scheduler (MessagesDue).
    std::vector<std::string> due_now;
    static auto fields(auto& m) { return std::tie(m.id, m.results, m.due_now); }
    friend bool operator==(RelayDone const&, RelayDone const&) = default;
};

/// Dispatcher -> lookup: the credentials of `label` in the relay action's `auth` table, for
/// AUTH to a smarthost (RFC 4954); they leave the lookup role only for the session that uses
/// them.
struct FindRelayCredentials {
    static constexpr MsgType kType = MsgType::FindRelayCredentials;
    RequestId id{};
    std::string table;
    std::string label;
    static auto fields(auto& m) { return std::tie(m.id, m.table, m.label); }
    friend bool operator==(FindRelayCredentials const&, FindRelayCredentials const&) = default;
};

struct RelayCredentialsFound {
    static constexpr MsgType kType = MsgType::RelayCredentialsFound;
    RequestId id{};
    bool found{};
    std::string user;
    std::string password;
    static auto fields(auto& m) { return std::tie(m.id, m.found, m.user, m.password); }
    friend bool operator==(RelayCredentialsFound const&, RelayCredentialsFound const&) = default;
};

/// Queue -> scheduler: `msgid` left the spool at an administrator's request (smtpctl remove):
/// forget it, and drop the result of a delivery of it still in flight. A notification.
struct MessageRemoved {
    static constexpr MsgType kType = MsgType::MessageRemoved;
    std::string msgid;
    static auto fields(auto& m) { return std::tie(m.msgid); }
    friend bool operator==(MessageRemoved const&, MessageRemoved const&) = default;
};

/// Queue -> scheduler: these messages are due now (a host that had deferred them took mail
/// again; RelayDone.due_now). A notification.
struct MessagesDue {
    static constexpr MsgType kType = MsgType::MessagesDue;
    std::vector<std::string> msgids;
    static auto fields(auto& m) { return std::tie(m.msgids); }
    friend bool operator==(MessagesDue const&, MessagesDue const&) = default;
};

/// Dispatcher -> parent: connect to the unix socket of relay action `action` (`host lmtp` with a
/// socket path); the dispatcher, in its empty chroot, cannot reach the path itself. Only the
/// action's name travels: the parent takes the path from its own configuration.
struct ConnectRelaySocket {
    static constexpr MsgType kType = MsgType::ConnectRelaySocket;
    RequestId id{};
    std::string action;
    static auto fields(auto& m) { return std::tie(m.id, m.action); }
    friend bool operator==(ConnectRelaySocket const&, ConnectRelaySocket const&) = default;
};

/// Parent -> dispatcher: the connected socket (the frame's fd), or why there is none.
struct RelaySocketConnected {
    static constexpr MsgType kType = MsgType::RelaySocketConnected;
    RequestId id{};
    std::string error; ///< empty when the frame carries the socket
    static auto fields(auto& m) { return std::tie(m.id, m.error); }
    friend bool operator==(RelaySocketConnected const&, RelaySocketConnected const&) = default;
};

/// Dispatcher -> lookup: a relay option's table (lookup/relay_tables.hpp). `key` empty: every
/// entry, the list turned by one at each request (Source: `src <table>`, RelayHost: `host
/// <table>`); else the value of `key` (AddrName: a source address, `helo-src <table>`;
/// RelayHost: a domain, `domain <table>`).
struct FindRelayTable {
    static constexpr MsgType kType = MsgType::FindRelayTable;
    RequestId id{};
    RelayTableService service{};
    std::string table;
    std::string key;
    static auto fields(auto& m) { return std::tie(m.id, m.service, m.table, m.key); }
    friend bool operator==(FindRelayTable const&, FindRelayTable const&) = default;
};

/// Lookup -> dispatcher: the entries, or the one value; found false: no such table or key.
struct RelayTableFound {
    static constexpr MsgType kType = MsgType::RelayTableFound;
    RequestId id{};
    bool found{};
    std::vector<std::string> values;
    static auto fields(auto& m) { return std::tie(m.id, m.found, m.values); }
    friend bool operator==(RelayTableFound const&, RelayTableFound const&) = default;
};

/// Every message, in MsgType order.
using Message =
    std::variant<Hello, Shutdown, LookupRecipient, RecipientResolved, CheckCredentials,
                 CredentialsChecked, MessageCreate, MessageCreated, MessageCommit, MessageCommitted,
                 ScheduleMessage, DeliverRequest, DeliverResult, ControlRequest, ControlReply,
                 ListenerSocket, MessageAbort, LocalDelivery, LocalDeliveryDone, NotifySender,
                 ReadForward, ForwardRead, ResolveRoute, RouteResolved, RelayRequest, RelayDone,
                 FindRelayCredentials, RelayCredentialsFound, MessageRemoved, MessagesDue,
                 ConnectRelaySocket, RelaySocketConnected, FindRelayTable, RelayTableFound>;

inline constexpr std::uint16_t kMsgTypeCount = std::variant_size_v<Message>;

/// Each type's name, in MsgType order (logs, and the names of the fuzz seeds).
inline constexpr std::array<std::string_view, kMsgTypeCount> kMsgTypeNames{"Hello",
                                                                           "Shutdown",
                                                                           "LookupRecipient",
                                                                           "RecipientResolved",
                                                                           "CheckCredentials",
                                                                           "CredentialsChecked",
                                                                           "MessageCreate",
                                                                           "MessageCreated",
                                                                           "MessageCommit",
                                                                           "MessageCommitted",
                                                                           "ScheduleMessage",
                                                                           "DeliverRequest",
                                                                           "DeliverResult",
                                                                           "ControlRequest",
                                                                           "ControlReply",
                                                                           "ListenerSocket",
                                                                           "MessageAbort",
                                                                           "LocalDelivery",
                                                                           "LocalDeliveryDone",
                                                                           "NotifySender",
                                                                           "ReadForward",
                                                                           "ForwardRead",
                                                                           "ResolveRoute",
                                                                           "RouteResolved",
                                                                           "RelayRequest",
                                                                           "RelayDone",
                                                                           "FindRelayCredentials",
                                                                           "RelayCredentialsFound",
                                                                           "MessageRemoved",
                                                                           "MessagesDue",
                                                                           "ConnectRelaySocket",
                                                                           "RelaySocketConnected",
                                                                           "FindRelayTable",
                                                                           "RelayTableFound"};

/// The name of a message type.
[[nodiscard]] inline std::string_view type_name(MsgType type) {
    return kMsgTypeNames.at(static_cast<std::size_t>(type) - 1);
}

/// The name of a message's type.
[[nodiscard]] inline std::string_view type_name(Message const& m) {
    return kMsgTypeNames.at(m.index());
}

/// The wire type of a message.
[[nodiscard]] inline MsgType type_of(Message const& m) {
    return std::visit([](auto const& alt) { return std::decay_t<decltype(alt)>::kType; }, m);
}

} // namespace smtpd::ipc
