// Every reply the server can send, in one table: ReplyId -> {code, enhanced code, text}.
// RFC 5321 §4.2 (reply codes), RFC 2034 / RFC 3463 (enhanced status codes: every 2xx/4xx/5xx
// reply carries one, except the greeting and the HELO/EHLO replies, which RFC 2034 §3 exempts).
// Depends on: the standard library only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace smtpd::sm {

enum class ReplyId : unsigned char {
    None, ///< no reply
    Greeting,
    HeloOk,
    EhloOk,
    Ok,
    SenderOk,
    RecipientOk,
    StartData,
    MessageAccepted,
    ChunkAccepted,
    Bye,
    Help,
    CannotVerify,
    CannotExpand,
    ReadyForTls,
    TlsAlreadyActive,
    TlsRequired,
    AuthRequired,
    AuthChallenge,
    AuthUsername,
    AuthPassword,
    AuthOk,
    AuthFailed,
    AuthTempFail,
    AuthCancelled,
    AuthBadResponse,
    AuthLineTooLong,
    AuthMechanismUnknown,
    AuthNeedsTls,
    AlreadyAuthenticated,
    NotImplemented,
    BadSequence,
    NoValidRecipients,
    Unrecognized,
    LineTooLong,
    ArgumentSyntax,
    SenderSyntax,
    RecipientSyntax,
    ArgumentTooLong,
    ParameterNotImplemented,
    ParameterInvalid,
    MessageTooBig,
    SenderNonAscii,
    RecipientNonAscii,
    UnknownUser,
    RelayDenied,
    LookupTempFail,
    TooManyRecipients,
    TooManyMessages,
    TextLineTooLong,
    QueueNoSpace,
    QueueTempFail,
    Timeout,
    TooManyErrors,
};

/// One row of the reply table.
struct ReplyText {
    int code;
    std::string_view enhanced; ///< empty where RFC 2034 §3 exempts the reply
    std::string_view text;
};

/// A reply to send: its id plus the variable parts some replies have: `arg` (the client's HELO
/// name, the queue id, a chunk's size) and `lines` (the EHLO keywords, RFC 5321 §4.1.1.1).
struct Reply {
    ReplyId id = ReplyId::None;
    std::string arg;
    std::vector<std::string> lines;
    friend bool operator==(Reply const&, Reply const&) = default;
};

[[nodiscard]] ReplyText const& reply_text(ReplyId id);
[[nodiscard]] std::string_view reply_id_name(ReplyId id);

/// Renders a reply as the CRLF-terminated line(s) to send. `hostname` is the server's name.
[[nodiscard]] std::string render_reply(Reply const& reply, std::string_view hostname);

} // namespace smtpd::sm
