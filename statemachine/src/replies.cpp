// The reply table and its rendering. The only place reply texts live.
// RFC 5321 §4.2.2 (codes), §4.1.1.1 (EHLO response: "250-" domain, then one keyword per line),
// RFC 3463 (enhanced codes), RFC 2034 §3 (greeting and HELO/EHLO carry none).
#include "smtpd/sm/reply.hpp"

#include <array>
#include <cstddef>
#include <fmt/format.h>

namespace smtpd::sm {

namespace {

struct Entry {
    ReplyId id;
    std::string_view name;
    ReplyText text;
};

// clang-format off
constexpr std::array kReplies{
    Entry{ReplyId::None,                 "None",                 {0,   "",       ""}},
    Entry{ReplyId::Greeting,             "Greeting",             {220, "",       "ESMTP smtpd"}},
    Entry{ReplyId::HeloOk,               "HeloOk",               {250, "",       "Hello"}},
    Entry{ReplyId::EhloOk,               "EhloOk",               {250, "",       "Hello"}},
    Entry{ReplyId::Ok,                   "Ok",                   {250, "2.0.0",  "Ok"}},
    Entry{ReplyId::SenderOk,             "SenderOk",             {250, "2.1.0",  "Ok"}},
    Entry{ReplyId::RecipientOk,          "RecipientOk",          {250, "2.1.5",  "Destination address valid"}},
    Entry{ReplyId::StartData,            "StartData",            {354, "",       "Enter mail, end with \".\" on a line by itself"}},
    Entry{ReplyId::MessageAccepted,      "MessageAccepted",      {250, "2.0.0",  "Message accepted for delivery"}},
    Entry{ReplyId::ChunkAccepted,        "ChunkAccepted",        {250, "2.0.0",  "octets received"}},
    Entry{ReplyId::Bye,                  "Bye",                  {221, "2.0.0",  "Bye"}},
    Entry{ReplyId::Help,                 "Help",                 {214, "2.0.0",  "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY EXPN HELP STARTTLS AUTH"}},
    Entry{ReplyId::CannotVerify,         "CannotVerify",         {252, "2.5.0",  "Cannot VRFY user, but will accept message and attempt delivery"}},
    Entry{ReplyId::CannotExpand,         "CannotExpand",         {252, "2.5.0",  "Cannot EXPN list, but will accept message and attempt delivery"}},
    Entry{ReplyId::ReadyForTls,          "ReadyForTls",          {220, "2.0.0",  "Ready to start TLS"}},
    Entry{ReplyId::TlsAlreadyActive,     "TlsAlreadyActive",     {503, "5.5.1",  "TLS already active"}},
    Entry{ReplyId::TlsRequired,          "TlsRequired",          {530, "5.7.0",  "Must issue a STARTTLS command first"}},
    Entry{ReplyId::AuthRequired,         "AuthRequired",         {530, "5.7.0",  "Authentication required"}},
    Entry{ReplyId::AuthChallenge,        "AuthChallenge",        {334, "",       ""}},
    Entry{ReplyId::AuthUsername,         "AuthUsername",         {334, "",       "VXNlcm5hbWU6"}},
    Entry{ReplyId::AuthPassword,         "AuthPassword",         {334, "",       "UGFzc3dvcmQ6"}},
    Entry{ReplyId::AuthOk,               "AuthOk",               {235, "2.7.0",  "Authentication succeeded"}},
    Entry{ReplyId::AuthFailed,           "AuthFailed",           {535, "5.7.8",  "Authentication credentials invalid"}},
    Entry{ReplyId::AuthTempFail,         "AuthTempFail",         {454, "4.7.0",  "Temporary authentication failure"}},
    Entry{ReplyId::AuthCancelled,        "AuthCancelled",        {501, "5.7.0",  "Authentication cancelled"}},
    Entry{ReplyId::AuthBadResponse,      "AuthBadResponse",      {501, "5.5.2",  "Cannot decode response"}},
    Entry{ReplyId::AuthLineTooLong,      "AuthLineTooLong",      {500, "5.5.6",  "Authentication Exchange line is too long"}},
    Entry{ReplyId::AuthMechanismUnknown, "AuthMechanismUnknown", {504, "5.5.4",  "Unrecognized authentication type"}},
    Entry{ReplyId::AuthNeedsTls,         "AuthNeedsTls",         {538, "5.7.11", "Encryption required for requested authentication mechanism"}},
    Entry{ReplyId::AlreadyAuthenticated, "AlreadyAuthenticated", {503, "5.5.1",  "Already authenticated"}},
    Entry{ReplyId::NotImplemented,       "NotImplemented",       {502, "5.5.1",  "Command not implemented"}},
    Entry{ReplyId::BadSequence,          "BadSequence",          {503, "5.5.1",  "Bad sequence of commands"}},
    Entry{ReplyId::NoValidRecipients,    "NoValidRecipients",    {554, "5.5.1",  "No valid recipients"}},
    Entry{ReplyId::Unrecognized,         "Unrecognized",         {500, "5.5.1",  "Command unrecognized"}},
    Entry{ReplyId::LineTooLong,          "LineTooLong",          {500, "5.5.2",  "Line too long"}},
    Entry{ReplyId::ArgumentSyntax,       "ArgumentSyntax",       {501, "5.5.4",  "Syntax error in parameters or arguments"}},
    Entry{ReplyId::SenderSyntax,         "SenderSyntax",         {501, "5.1.7",  "Bad sender address syntax"}},
    Entry{ReplyId::RecipientSyntax,      "RecipientSyntax",      {501, "5.1.3",  "Bad recipient address syntax"}},
    Entry{ReplyId::ArgumentTooLong,      "ArgumentTooLong",      {501, "5.5.4",  "Path, local-part or domain too long"}},
    Entry{ReplyId::ParameterNotImplemented, "ParameterNotImplemented", {555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented"}},
    Entry{ReplyId::ParameterInvalid,     "ParameterInvalid",     {501, "5.5.4",  "Invalid parameter value"}},
    Entry{ReplyId::MessageTooBig,        "MessageTooBig",        {552, "5.3.4",  "Message size exceeds fixed maximum message size"}},
    Entry{ReplyId::SenderNonAscii,       "SenderNonAscii",       {550, "5.6.7",  "Non-ASCII addresses not permitted for that sender"}},
    Entry{ReplyId::RecipientNonAscii,    "RecipientNonAscii",    {553, "5.6.7",  "Non-ASCII addresses not permitted for that recipient"}},
    Entry{ReplyId::UnknownUser,          "UnknownUser",          {550, "5.1.1",  "Invalid recipient"}},
    Entry{ReplyId::RelayDenied,          "RelayDenied",          {550, "5.7.1",  "Relaying denied"}},
    Entry{ReplyId::LookupTempFail,       "LookupTempFail",       {451, "4.3.0",  "Temporary failure, try again later"}},
    Entry{ReplyId::TooManyRecipients,    "TooManyRecipients",    {452, "4.5.3",  "Too many recipients"}},
    Entry{ReplyId::TooManyMessages,      "TooManyMessages",      {452, "4.5.3",  "Too many messages for this session"}},
    Entry{ReplyId::TextLineTooLong,      "TextLineTooLong",      {554, "5.6.0",  "Message refused: a text line is longer than 1000 octets"}},
    Entry{ReplyId::QueueNoSpace,         "QueueNoSpace",         {452, "4.3.1",  "Insufficient system storage"}},
    Entry{ReplyId::QueueTempFail,        "QueueTempFail",        {451, "4.3.0",  "Temporary failure, message not accepted"}},
    Entry{ReplyId::Timeout,              "Timeout",              {421, "4.4.2",  "Timeout, closing connection"}},
    Entry{ReplyId::TooManyErrors,        "TooManyErrors",        {421, "4.7.0",  "Too many errors, closing connection"}},
};
// clang-format on

constexpr bool table_is_indexed_by_id() {
    for (std::size_t i = 0; i < kReplies.size(); ++i) {
        if (static_cast<std::size_t>(kReplies[i].id) != i) {
            return false;
        }
    }
    return true;
}
static_assert(table_is_indexed_by_id(), "kReplies must list every ReplyId in enum order");

} // namespace

ReplyText const& reply_text(ReplyId id) {
    return kReplies.at(static_cast<std::size_t>(id)).text;
}

std::string_view reply_id_name(ReplyId id) {
    return kReplies.at(static_cast<std::size_t>(id)).name;
}

std::string render_reply(Reply const& reply, std::string_view hostname) {
    ReplyText const& t = reply_text(reply.id);
    switch (reply.id) {
    case ReplyId::None:
        return {};
    case ReplyId::Greeting:
        return fmt::format("{} {} {}\r\n", t.code, hostname, t.text);
    case ReplyId::HeloOk:
        return fmt::format("{} {} {} {}\r\n", t.code, hostname, t.text, reply.arg);
    case ReplyId::EhloOk: {
        // RFC 5321 §4.1.1.1: the domain on the first line, then one keyword per line.
        std::string out = fmt::format("{}{}{} {} {}\r\n", t.code, reply.lines.empty() ? ' ' : '-',
                                      hostname, t.text, reply.arg);
        for (std::size_t i = 0; i < reply.lines.size(); ++i) {
            out += fmt::format("{}{}{}\r\n", t.code, i + 1 == reply.lines.size() ? ' ' : '-',
                               reply.lines[i]);
        }
        return out;
    }
    case ReplyId::MessageAccepted:
        return fmt::format("{} {} {}: {}\r\n", t.code, t.enhanced, reply.arg, t.text);
    case ReplyId::ChunkAccepted:
        return fmt::format("{} {} {} {}\r\n", t.code, t.enhanced, reply.arg, t.text);
    case ReplyId::AuthChallenge:
    case ReplyId::AuthUsername:
    case ReplyId::AuthPassword:
        return fmt::format("{} {}\r\n", t.code, t.text); // RFC 4954 §4: "334 " [base64]
    case ReplyId::Bye:
    case ReplyId::Timeout:
    case ReplyId::TooManyErrors:
        return fmt::format("{} {} {} {}\r\n", t.code, t.enhanced, hostname, t.text);
    default:
        if (t.enhanced.empty()) {
            return fmt::format("{} {}\r\n", t.code, t.text);
        }
        return fmt::format("{} {} {}\r\n", t.code, t.enhanced, t.text);
    }
}

} // namespace smtpd::sm
