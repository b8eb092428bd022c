// The typed value of one SMTP command line (RFC 5321 §4.1.1) and its parser. This header is the
// stable public face of the command grammar: the parsers behind it are generated from
// grammar/abnf/ (grammar/gen/ascii.spec); a refused line's ParseError gives the furthest offset
// the parse reached and the rule it was in there.
// Depends on: the standard library; parse.hpp.
#pragma once

#include "smtpd/grammar/parse.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::grammar {

/// The commands of RFC 5321 §4.1.1, then those of the extensions: STARTTLS (RFC 3207), AUTH
/// (RFC 4954), BDAT (RFC 3030).
enum class Verb : unsigned char {
    Helo,
    Ehlo,
    Mail,
    Rcpt,
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    Expn,
    Starttls,
    Auth,
    Bdat,
};
inline constexpr std::size_t kVerbCount = static_cast<std::size_t>(Verb::Bdat) + 1;

/// Which grammar reads a command's arguments: RFC 5321's ASCII one, or RFC 6531's, in which
/// local-parts and domains may hold UTF-8 (used in a transaction whose MAIL carries SMTPUTF8,
/// RFC 6531 §3.4; only MAIL, RCPT, VRFY and EXPN differ).
enum class Syntax : unsigned char { Ascii, Utf8 };

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
/// MAIL/RCPT: `path` and `params`; VRFY/EXPN/HELP: `text` (the String argument, may be empty;
/// NOOP's argument is any printable text, ignored as RFC 5321 §4.1.1.9 says, and not kept); AUTH:
/// `mechanism` and `initial_response`; BDAT: `chunk_size` and `last`.
struct Command {
    Verb verb = Verb::Noop;
    std::string domain;
    Path path;
    std::vector<EsmtpParam> params;
    std::string text;
    std::string mechanism;                       ///< sasl-mech, upper case (RFC 4422 §3.1)
    std::optional<std::string> initial_response; ///< as sent: base64, or "=" for an empty one
    std::uint64_t chunk_size = 0;                ///< saturates at the largest uint64_t
    bool last = false;                           ///< BDAT ... LAST

    friend bool operator==(Command const&, Command const&) = default;
};

/// A client's answer to a 334 challenge of AUTH (RFC 4954 §4): "*" cancels the exchange,
/// anything else is base64 (possibly empty), decoded here.
struct SaslResponse {
    bool cancel = false;
    std::string decoded;

    friend bool operator==(SaslResponse const&, SaslResponse const&) = default;
};

/// Parses one command line without its CRLF. Verbs and the "FROM:"/"TO:" keywords are
/// case-insensitive (RFC 5321 §2.4). Errors: UnknownVerb when the verb is not one of Verb,
/// Syntax when the arguments do not match the RFC 5321 §4.1 grammar, PathTooLong when a path
/// exceeds kMaxPath. The line length limit (limits.hpp) is the caller's business.
[[nodiscard]] Parsed<Command> parse_command(std::string_view line, Syntax syntax = Syntax::Ascii);

/// Parses one line of the client's side of an AUTH exchange, without its CRLF (RFC 4954 §4:
/// base64, possibly empty, or "*").
[[nodiscard]] Parsed<SaslResponse> parse_sasl_response(std::string_view line);

/// Decodes an AUTH initial-response as sent ("=" is the empty response, RFC 4954 §4); nullopt
/// when it is not base64.
[[nodiscard]] std::optional<std::string> decode_initial_response(std::string_view text);

/// Parses a whole string as a Mailbox (RFC 5321 §4.1.2), e.g. for tables and tests.
[[nodiscard]] Parsed<Mailbox> parse_mailbox(std::string_view text, Syntax syntax = Syntax::Ascii);

/// Parses a whole string as a Domain (RFC 5321 §4.1.2; with U-labels under RFC 6531).
[[nodiscard]] Parsed<std::string> parse_domain(std::string_view text,
                                               Syntax syntax = Syntax::Ascii);

/// The command line (without CRLF) that parses back to `command`: the verb in upper case, the
/// arguments as they were sent. For the client side, and for round-trip tests.
[[nodiscard]] std::string format_command(Command const& command);

/// The path as sent: "<>", "<Postmaster>", or "<" [route ":"] local-part "@" domain ">".
[[nodiscard]] std::string format_path(Path const& path);

/// The verb's name as its RFC spells it ("HELO", "MAIL", "STARTTLS", ...).
[[nodiscard]] std::string_view verb_name(Verb verb);

/// The verb a command line starts with (case-insensitive, its leading run of letters), when
/// it is one of Verb; used to pick the reply to a line whose arguments did not parse.
[[nodiscard]] std::optional<Verb> command_verb(std::string_view line);

} // namespace smtpd::grammar
