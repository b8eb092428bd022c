// The typed value of one SMTP command line (RFC 5321 §4.1.1) and its parser. This header is the
// stable public face of the command grammar: the parsers behind it are generated from
// grammar/abnf/ (grammar/gen/ascii.spec); a refused line's ParseError gives the furthest offset
// the parse reached and the rule it was in there.
// Depends on: the standard library; parse.hpp.
#pragma once

#include "smtpd/grammar/parse.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::grammar {

/// The commands of RFC 5321 §4.1.1 that this server implements.
enum class Verb : unsigned char { Helo, Ehlo, Mail, Rcpt, Data, Rset, Noop, Quit, Vrfy, Help };

/// Mailbox = Local-part "@" ( Domain / address-literal )   (RFC 5321 §4.1.2)
struct Mailbox {
    std::string local_part; ///< as on the wire: a Quoted-string keeps its quotes and escapes
    std::string domain;     ///< a Domain, or an address-literal including its brackets
    bool domain_is_literal = false;

    friend bool operator==(Mailbox const&, Mailbox const&) = default;
};

/// Path = "<" [ A-d-l ":" ] Mailbox ">", or the null reverse-path "<>", or RCPT's special
/// "<Postmaster>" (RFC 5321 §4.1.1.3), which has no domain.
struct Path {
    std::vector<std::string> source_route; ///< A-d-l domains, to be ignored (RFC 5321 §4.1.1.3 / C)
    std::optional<Mailbox> mailbox;        ///< empty for "<>" and for "<Postmaster>"
    bool postmaster = false;               ///< RCPT TO:<Postmaster> without a domain

    [[nodiscard]] bool is_null() const { return !mailbox && !postmaster; }
    friend bool operator==(Path const&, Path const&) = default;
};

/// esmtp-param = esmtp-keyword ["=" esmtp-value]   (RFC 5321 §4.1.2)
struct EsmtpParam {
    std::string keyword; ///< as sent; compare case-insensitively
    std::optional<std::string> value;

    friend bool operator==(EsmtpParam const&, EsmtpParam const&) = default;
};

/// One parsed command. Which fields are meaningful depends on the verb:
/// HELO/EHLO: `domain` (a Domain, or for EHLO an address-literal with brackets);
/// MAIL/RCPT: `path` and `params`; VRFY/HELP/NOOP: `text` (the String argument, may be empty).
struct Command {
    Verb verb = Verb::Noop;
    std::string domain;
    Path path;
    std::vector<EsmtpParam> params;
    std::string text;

    friend bool operator==(Command const&, Command const&) = default;
};

/// Parses one command line without its CRLF. Verbs and the "FROM:"/"TO:" keywords are
/// case-insensitive (RFC 5321 §2.4). Errors: UnknownVerb when the verb is not one of Verb,
/// Syntax when the arguments do not match the RFC 5321 §4.1 grammar, PathTooLong when a path
/// exceeds kMaxPath. The line length limit is the framer's business, not this function's.
[[nodiscard]] Parsed<Command> parse_command(std::string_view line);

/// Parses a whole string as a Mailbox (RFC 5321 §4.1.2), e.g. for tables and tests.
[[nodiscard]] Parsed<Mailbox> parse_mailbox(std::string_view text);

/// Parses a whole string as a Domain (RFC 5321 §4.1.2).
[[nodiscard]] Parsed<std::string> parse_domain(std::string_view text);

/// The command line (without CRLF) that parses back to `command`: the verb in upper case, the
/// arguments as they were sent. For the client side, and for round-trip tests.
[[nodiscard]] std::string format_command(Command const& command);

/// The path as sent: "<>", "<Postmaster>", or "<" [route ":"] local-part "@" domain ">".
[[nodiscard]] std::string format_path(Path const& path);

/// The verb's name as RFC 5321 spells it ("HELO", "MAIL", ...).
[[nodiscard]] std::string_view verb_name(Verb verb);

/// The verb a command line starts with (case-insensitive, its leading run of letters), when
/// it is one of Verb; used to pick the reply to a line whose arguments did not parse.
[[nodiscard]] std::optional<Verb> command_verb(std::string_view line);

} // namespace smtpd::grammar
