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
    Entry{ReplyId::None,            "None",            {0,   "",      ""}},
    Entry{ReplyId::Greeting,        "Greeting",        {220, "",      "ESMTP smtpd"}},
    Entry{ReplyId::HeloOk,          "HeloOk",          {250, "",      "Hello"}},
    Entry{ReplyId::EhloOk,          "EhloOk",          {250, "",      "Hello"}},
    Entry{ReplyId::Ok,              "Ok",              {250, "2.0.0", "Ok"}},
    Entry{ReplyId::SenderOk,        "SenderOk",        {250, "2.1.0", "Ok"}},
    Entry{ReplyId::RecipientOk,     "RecipientOk",     {250, "2.1.5", "Destination address valid"}},
    Entry{ReplyId::StartData,       "StartData",       {354, "",      "Enter mail, end with \".\" on a line by itself"}},
    Entry{ReplyId::MessageAccepted, "MessageAccepted", {250, "2.0.0", "Message accepted for delivery"}},
    Entry{ReplyId::Bye,             "Bye",             {221, "2.0.0", "Bye"}},
    Entry{ReplyId::Help,            "Help",            {214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP"}},
    Entry{ReplyId::CannotVerify,    "CannotVerify",    {252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"}},
    Entry{ReplyId::BadSequence,     "BadSequence",     {503, "5.5.1", "Bad sequence of commands"}},
    Entry{ReplyId::Unrecognized,    "Unrecognized",    {500, "5.5.1", "Command unrecognized"}},
    Entry{ReplyId::LineTooLong,     "LineTooLong",     {500, "5.5.2", "Line too long"}},
    Entry{ReplyId::ArgumentSyntax,  "ArgumentSyntax",  {501, "5.5.4", "Syntax error in parameters or arguments"}},
    Entry{ReplyId::SenderSyntax,    "SenderSyntax",    {501, "5.1.7", "Bad sender address syntax"}},
    Entry{ReplyId::RecipientSyntax, "RecipientSyntax", {501, "5.1.3", "Bad recipient address syntax"}},
    Entry{ReplyId::ArgumentTooLong, "ArgumentTooLong", {501, "5.5.4", "Path, local-part or domain too long"}},
    Entry{ReplyId::ParameterNotImplemented, "ParameterNotImplemented", {555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented"}},
    Entry{ReplyId::UnknownUser,     "UnknownUser",     {550, "5.1.1", "Invalid recipient"}},
    Entry{ReplyId::RelayDenied,     "RelayDenied",     {550, "5.7.1", "Relaying denied"}},
    Entry{ReplyId::LookupTempFail,  "LookupTempFail",  {451, "4.3.0", "Temporary failure, try again later"}},
    Entry{ReplyId::TooManyRecipients, "TooManyRecipients", {452, "4.5.3", "Too many recipients"}},
    Entry{ReplyId::TooManyMessages, "TooManyMessages", {452, "4.5.3", "Too many messages for this session"}},
    Entry{ReplyId::TextLineTooLong, "TextLineTooLong", {554, "5.6.0", "Message refused: a text line is longer than 1000 octets"}},
    Entry{ReplyId::QueueNoSpace,    "QueueNoSpace",    {452, "4.3.1", "Insufficient system storage"}},
    Entry{ReplyId::QueueTempFail,   "QueueTempFail",   {451, "4.3.0", "Temporary failure, message not accepted"}},
    Entry{ReplyId::Timeout,         "Timeout",         {421, "4.4.2", "Timeout, closing connection"}},
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

// RFC 5321 §4.1.1.1: the EHLO reply names the extensions, one keyword per line.
constexpr std::array<std::string_view, 2> kExtensions{"PIPELINING", "ENHANCEDSTATUSCODES"};

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
        std::string out = fmt::format("{}-{} {} {}\r\n", t.code, hostname, t.text, reply.arg);
        for (std::size_t i = 0; i < kExtensions.size(); ++i) {
            out += fmt::format("{}{}{}\r\n", t.code, i + 1 == kExtensions.size() ? ' ' : '-',
                               kExtensions[i]);
        }
        return out;
    }
    case ReplyId::MessageAccepted:
        return fmt::format("{} {} {}: {}\r\n", t.code, t.enhanced, reply.arg, t.text);
    case ReplyId::Bye:
    case ReplyId::Timeout:
        return fmt::format("{} {} {} {}\r\n", t.code, t.enhanced, hostname, t.text);
    default:
        if (t.enhanced.empty()) {
            return fmt::format("{} {}\r\n", t.code, t.text);
        }
        return fmt::format("{} {} {}\r\n", t.code, t.enhanced, t.text);
    }
}

} // namespace smtpd::sm
