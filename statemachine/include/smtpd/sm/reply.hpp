// Every reply the server can send, in one table: ReplyId -> {code, enhanced code, text}.
// RFC 5321 §4.2 (reply codes), RFC 2034 / RFC 3463 (enhanced status codes: every 2xx/4xx/5xx
// reply carries one, except the greeting and the HELO/EHLO replies, which RFC 2034 §3 exempts).
// Depends on: the standard library only.
#pragma once

#include <string>
#include <string_view>

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
    Bye,
    Help,
    CannotVerify,
    BadSequence,
    Unrecognized,
    LineTooLong,
    ArgumentSyntax,
    SenderSyntax,
    RecipientSyntax,
    ArgumentTooLong,
    ParameterNotImplemented,
    UnknownUser,
    RelayDenied,
    LookupTempFail,
    TooManyRecipients,
    TooManyMessages,
    TextLineTooLong,
    QueueNoSpace,
    QueueTempFail,
    Timeout,
};

/// One row of the reply table.
struct ReplyText {
    int code;
    std::string_view enhanced; ///< empty where RFC 2034 §3 exempts the reply
    std::string_view text;
};

/// A reply to send: its id plus the one variable part some replies have (the client's HELO name,
/// the queue id).
struct Reply {
    ReplyId id = ReplyId::None;
    std::string arg;
    friend bool operator==(Reply const&, Reply const&) = default;
};

[[nodiscard]] ReplyText const& reply_text(ReplyId id);
[[nodiscard]] std::string_view reply_id_name(ReplyId id);

/// Renders a reply as the CRLF-terminated line(s) to send. `hostname` is the server's name.
[[nodiscard]] std::string render_reply(Reply const& reply, std::string_view hostname);

} // namespace smtpd::sm
