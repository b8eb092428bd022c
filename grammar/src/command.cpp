// command.hpp on top of the generated ASCII grammar (grammar/gen/ascii.spec): verb dispatch
// (RFC 5321 §4.1.1), the typed values built from the captured rules, the furthest failure of a
// refused line as its ParseError, and the size limits of RFC 5321 §4.5.3.1 checked after a
// successful parse. Whether a line is accepted is decided by the generated parsers alone.
// Depends on: the generated ascii/rules.hpp, smtpd/grammar/limits.hpp.
#include "smtpd/grammar/command.hpp"

#include "ascii/rules.hpp"
#include "smtpd/grammar/ascii_case.hpp"
#include "smtpd/grammar/limits.hpp"
#include "src/idna.hpp"
#include "utf8/rules.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace smtpd::grammar {

namespace {

namespace ascii = gen::ascii;
namespace utf8 = gen::utf8;
using abnf_x3::Capture;
using Cap = ascii::Cap;

/// A verb, its name, and the generated entries that parse its line: the ASCII grammar's, and
/// the SMTPUTF8 grammar's where RFC 6531 §3.3 changes its arguments (std::nullopt elsewhere).
struct VerbRow {
    std::string_view name;
    Verb verb;
    ascii::Entry entry;
    std::optional<utf8::Entry> utf8_entry;
};

// RFC 5321 §4.1.1, then RFC 3207 §4, RFC 4954 §4, RFC 3030 §2.
constexpr std::array<VerbRow, kVerbCount> kVerbs{{
    {"HELO", Verb::Helo, ascii::Entry::rfc5321_helo, std::nullopt},
    {"EHLO", Verb::Ehlo, ascii::Entry::rfc5321_ehlo, std::nullopt},
    {"MAIL", Verb::Mail, ascii::Entry::rfc5321_mail, utf8::Entry::rfc5321_mail},
    {"RCPT", Verb::Rcpt, ascii::Entry::rfc5321_rcpt, utf8::Entry::rfc5321_rcpt},
    {"DATA", Verb::Data, ascii::Entry::rfc5321_data, std::nullopt},
    {"RSET", Verb::Rset, ascii::Entry::rfc5321_rset, std::nullopt},
    {"NOOP", Verb::Noop, ascii::Entry::rfc5321_noop_line, std::nullopt},
    {"QUIT", Verb::Quit, ascii::Entry::rfc5321_quit, std::nullopt},
    {"VRFY", Verb::Vrfy, ascii::Entry::rfc5321_vrfy, utf8::Entry::rfc6531_vrfy},
    {"HELP", Verb::Help, ascii::Entry::rfc5321_help, std::nullopt},
    {"EXPN", Verb::Expn, ascii::Entry::rfc5321_expn, utf8::Entry::rfc6531_expn},
    {"STARTTLS", Verb::Starttls, ascii::Entry::rfc3207_starttls, std::nullopt},
    {"AUTH", Verb::Auth, ascii::Entry::rfc4954_auth_line, std::nullopt},
    {"BDAT", Verb::Bdat, ascii::Entry::rfc3030_bdat_cmd, std::nullopt},
}};

constexpr bool verbs_indexed_by_verb() {
    for (std::size_t i = 0; i < kVerbs.size(); ++i) {
        if (static_cast<std::size_t>(kVerbs[i].verb) != i) {
            return false;
        }
    }
    return true;
}
static_assert(verbs_indexed_by_verb(), "kVerbs is in the order of Verb");

// The SMTPUTF8 grammar captures the rules the typed values are built from with the same ids
// (utf8.spec lists them in ascii.spec's order), so one builder reads both.
template <class A, class U> constexpr bool same_id(A a, U u) {
    return static_cast<std::uint16_t>(a) == static_cast<std::uint16_t>(u);
}
static_assert(same_id(Cap::rfc5321_domain, utf8::Cap::rfc5321_domain) &&
                  same_id(Cap::rfc5321_address_literal, utf8::Cap::rfc5321_address_literal) &&
                  same_id(Cap::rfc5321_a_d_l, utf8::Cap::rfc5321_a_d_l) &&
                  same_id(Cap::rfc5321_local_part, utf8::Cap::rfc5321_local_part) &&
                  same_id(Cap::rfc5321_esmtp_keyword, utf8::Cap::rfc5321_esmtp_keyword) &&
                  same_id(Cap::rfc5321_esmtp_value, utf8::Cap::rfc5321_esmtp_value) &&
                  same_id(Cap::rfc5321_string, utf8::Cap::rfc5321_string),
              "utf8.spec captures in ascii.spec's order");

/// The captures of one accepted input, read in input order.
class Captures {
  public:
    Captures(std::string_view input, std::vector<Capture> list)
        : input_(input), list_(std::move(list)) {}

    [[nodiscard]] std::vector<Capture> const& all() const { return list_; }
    [[nodiscard]] std::string text(Capture const& c) const { return std::string(c.in(input_)); }
    [[nodiscard]] Capture const* first(Cap id) const {
        for (auto const& c : list_) {
            if (c.is(id)) {
                return &c;
            }
        }
        return nullptr;
    }
    [[nodiscard]] std::string_view input() const { return input_; }

  private:
    std::string_view input_;
    std::vector<Capture> list_;
};

bool inside(Capture const& inner, Capture const* outer) {
    return outer != nullptr && inner.begin >= outer->begin && inner.end <= outer->end;
}

/// Parses all of `text` as `entry` of the ASCII or the SMTPUTF8 grammar; the captures, or the
/// furthest failure as a ParseError.
template <class Entry>
std::variant<Captures, ParseError> run(Entry entry, std::string_view text,
                                       std::string_view fallback) {
    std::vector<Capture> list;
    abnf_x3::Failure failure;
    bool ok = false;
    if constexpr (std::is_same_v<Entry, utf8::Entry>) {
        ok = utf8::parse(entry, text, list, &failure);
    } else {
        ok = ascii::parse(entry, text, list, &failure);
    }
    if (ok) {
        return Captures(text, std::move(list));
    }
    return ParseError{failure.offset, failure.rule.empty() ? fallback : failure.rule,
                      ErrorKind::Syntax};
}

/// Snum = 1*3DIGIT: "representing a decimal integer value in the range 0 through 255".
bool snums_in_range(std::string_view ipv4) {
    unsigned value = 0;
    for (char const c : ipv4) {
        value = c == '.' ? 0 : value * 10 + static_cast<unsigned>(c - '0');
        if (value > 255) {
            return false;
        }
    }
    return true;
}

/// RFC 5321 §4.1.3 in prose: IPv6-comp has "no more than 6 groups in addition to the '::'",
/// IPv6v4-comp "no more than 4 groups in addition to the '::' and IPv4-address-literal".
bool ipv6_groups_in_range(std::string_view addr) {
    auto const dot = addr.find('.');
    std::string_view const hex =
        addr.substr(0, dot == std::string_view::npos ? addr.size() : addr.rfind(':', dot) + 1);
    if (hex.find("::") == std::string_view::npos) {
        return true; // IPv6-full and IPv6v4-full: the ABNF counts their groups exactly
    }
    std::size_t groups = 0;
    for (std::size_t i = 0; i < hex.size(); ++i) {
        groups += (hex[i] != ':' && (i == 0 || hex[i - 1] == ':')) ? 1 : 0;
    }
    return groups <= (dot == std::string_view::npos ? 6U : 4U);
}

/// What RFC 5321 §4.1.3 says of address literals beyond their ABNF: Snums up to 255, the group
/// counts of the compressed IPv6 forms, and "IPv6" being the registered tag of IPv6 addresses
/// (so "[IPv6:...]" must be an IPv6-address-literal, not any General-address-literal).
bool literal_valid(std::string_view literal) {
    std::string_view const inner = literal.substr(1, literal.size() - 2); // "[" ... "]"
    std::vector<Capture> ignored;
    if (ascii::parse(ascii::Entry::rfc5321_ipv4_address_literal, inner, ignored)) {
        return snums_in_range(inner);
    }
    if (inner.size() >= 5 && ascii_case::equal(inner.substr(0, 5), "IPv6:")) {
        bool const with_ipv4 = inner.find('.') != std::string_view::npos;
        return ascii::parse(ascii::Entry::rfc5321_ipv6_address_literal, inner, ignored) &&
               ipv6_groups_in_range(inner.substr(5)) &&
               (!with_ipv4 || snums_in_range(inner.substr(inner.rfind(':') + 1)));
    }
    return true; // a General-address-literal: its content is its standard's business
}

/// The checks the RFCs state beyond the ABNF: address literals (RFC 5321 §4.1.3), U-labels
/// (RFC 6531 §3.3, RFC 5891).
bool domain_valid(Mailbox const& m) {
    return m.domain_is_literal ? literal_valid(m.domain) : u_labels_valid(m.domain);
}

/// Mailbox = Local-part "@" ( Domain / address-literal ), from its captures outside `route`.
std::optional<Mailbox> mailbox_of(Captures const& caps, Capture const* route) {
    Mailbox m;
    bool found = false;
    for (auto const& c : caps.all()) {
        if (inside(c, route)) {
            continue;
        }
        if (c.is(Cap::rfc5321_local_part)) {
            m.local_part = caps.text(c);
            found = true;
        } else if (c.is(Cap::rfc5321_domain) || c.is(Cap::rfc5321_address_literal)) {
            m.domain = caps.text(c);
            m.domain_is_literal = c.is(Cap::rfc5321_address_literal);
            if (!found) {
                // rcpt's "<Postmaster@" Domain ">": the local-part is the literal before "@".
                constexpr std::size_t kPostmaster = std::string_view("Postmaster").size();
                m.local_part =
                    std::string(caps.input().substr(c.begin - 1 - kPostmaster, kPostmaster));
            }
            return m;
        }
    }
    return std::nullopt;
}

/// Path (with its source route), "<>" or "<Postmaster>", and the parameters after it.
void path_and_params(Verb verb, Captures const& caps, Command& command) {
    Capture const* route = caps.first(Cap::rfc5321_a_d_l);
    for (auto const& c : caps.all()) {
        if (c.is(Cap::rfc5321_domain) && inside(c, route)) {
            command.path.source_route.push_back(caps.text(c));
        } else if (c.is(Cap::rfc5321_esmtp_keyword)) {
            command.params.push_back({caps.text(c), std::nullopt});
        } else if (c.is(Cap::rfc5321_esmtp_value) && !command.params.empty()) {
            command.params.back().value = caps.text(c);
        }
    }
    command.path.mailbox = mailbox_of(caps, route);
    command.path.postmaster = verb == Verb::Rcpt && !command.path.mailbox;
}

/// A decimal number as a count of octets; one too large for uint64_t saturates, so that it is
/// over any limit (RFC 3030 chunk-size is 1*DIGIT, unbounded).
std::uint64_t saturating_decimal(std::string_view digits) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t value = 0;
    for (char const c : digits) {
        auto const digit = static_cast<std::uint64_t>(c - '0');
        if (value > (kMax - digit) / 10) {
            return kMax;
        }
        value = value * 10 + digit;
    }
    return value;
}

// The typed values of each verb from its captures, one small function per kind of command.

void build_domain(Captures const& caps, Command& command) {
    for (auto const& c : caps.all()) {
        if (c.is(Cap::rfc5321_domain) || c.is(Cap::rfc5321_address_literal)) {
            command.domain = caps.text(c);
        }
    }
}

void build_text(Captures const& caps, Command& command) {
    if (auto const* s = caps.first(Cap::rfc5321_string)) {
        command.text = caps.text(*s);
    }
}

void build_auth(Captures const& caps, Command& command) {
    if (auto const* m = caps.first(Cap::rfc4954_sasl_mech)) {
        command.mechanism = caps.text(*m);
    }
    if (auto const* r = caps.first(Cap::rfc4954_initial_response)) {
        command.initial_response = caps.text(*r);
    }
}

void build_bdat(Captures const& caps, Command& command) {
    if (auto const* size = caps.first(Cap::rfc3030_chunk_size)) {
        command.chunk_size = saturating_decimal(caps.text(*size));
    }
    command.last = caps.first(Cap::rfc3030_end_marker) != nullptr;
}

void build_mail(Captures const& caps, Command& command) {
    path_and_params(Verb::Mail, caps, command);
}

void build_rcpt(Captures const& caps, Command& command) {
    path_and_params(Verb::Rcpt, caps, command);
}

void build_nothing(Captures const&, Command&) {}

using Builder = void (*)(Captures const&, Command&);

// Indexed by Verb.
constexpr std::array<Builder, kVerbCount> kBuilders{
    build_domain,  build_domain,  build_mail,    build_rcpt, build_nothing,
    build_nothing, build_nothing, build_nothing, build_text, build_text,
    build_text,    build_nothing, build_auth,    build_bdat};

/// Octets of "A-d-l :" as sent: every At-domain is "@" Domain, with a "," between two.
std::size_t route_octets(Path const& path) {
    std::size_t n = 2 * path.source_route.size();
    for (std::string const& domain : path.source_route) {
        n += domain.size();
    }
    return n;
}

/// Octets of the path from "<" to ">" as sent: the parts are kept verbatim, so this is exact.
std::size_t path_octets(Path const& path) {
    if (!path.mailbox) {
        return path.postmaster ? std::string_view("<Postmaster>").size() : 2;
    }
    return 2 + route_octets(path) + path.mailbox->local_part.size() + 1 +
           path.mailbox->domain.size();
}

// RFC 5321 §4.5.3.1.1/.2: servers must accept 64-octet local-parts and 255-octet domains; we
// refuse longer ones, which the RFC allows. Local-parts are measured as sent, quotes included.
std::optional<ParseError> check_mailbox(Mailbox const& mailbox, std::size_t at) {
    if (mailbox.local_part.size() > kMaxLocalPart) {
        return ParseError{at, "Local-part", ErrorKind::LocalPartTooLong};
    }
    if (mailbox.domain.size() > kMaxDomain) {
        return ParseError{at + mailbox.local_part.size() + 1,
                          mailbox.domain_is_literal ? "address-literal" : "Domain",
                          ErrorKind::DomainTooLong};
    }
    return std::nullopt;
}

// RFC 5321 §4.5.3.1.3: a path is at most 256 octets; its source-route domains are then short.
std::optional<ParseError> check_path(Path const& path, std::size_t at) {
    if (path_octets(path) > kMaxPath) {
        return ParseError{at, "Path", ErrorKind::PathTooLong};
    }
    if (path.mailbox) {
        return check_mailbox(*path.mailbox, at + 1 + route_octets(path));
    }
    return std::nullopt;
}

} // namespace

namespace {

/// MAIL and RCPT: the path's limits and its domain's prose rules (RFC 5321 §4.5.3.1, §4.1.3;
/// RFC 6531 §3.3). The path starts right after the colon of "MAIL FROM:" / "RCPT TO:".
std::optional<ParseError> check_path_of(Command const& command, std::string_view line) {
    if (command.verb != Verb::Mail && command.verb != Verb::Rcpt) {
        return std::nullopt;
    }
    if (auto error = check_path(command.path, line.find(':') + 1)) {
        return error;
    }
    Mailbox const* m = command.path.mailbox ? &*command.path.mailbox : nullptr;
    if (m != nullptr && !domain_valid(*m)) {
        return ParseError{line.find(m->domain, line.find(':')),
                          m->domain_is_literal ? "address-literal" : "U-label", ErrorKind::Syntax};
    }
    return std::nullopt;
}

/// HELO and EHLO: the address literal's prose rules and the domain's length, at `at`.
std::optional<ParseError> check_domain_of(Command const& command, std::size_t at) {
    if (command.domain.starts_with('[') && !literal_valid(command.domain)) {
        return ParseError{at, "address-literal", ErrorKind::Syntax};
    }
    if (command.domain.size() > kMaxDomain) {
        return ParseError{at, command.domain.front() == '[' ? "address-literal" : "Domain",
                          ErrorKind::DomainTooLong};
    }
    return std::nullopt;
}

} // namespace

Parsed<Command> parse_command(std::string_view line, Syntax syntax) {
    // The verb is the leading run of ALPHA (command_verb); what follows it is the command
    // rule's business (so "DATA\0" is a Syntax error, "DATAX" unknown).
    auto const verb = command_verb(line);
    if (!verb) {
        return ParseError{0, "command", ErrorKind::UnknownVerb};
    }
    VerbRow const& row = kVerbs.at(static_cast<std::size_t>(*verb));
    // The command rules include their CRLF, which the framer has taken off.
    std::string const whole = std::string(line) + "\r\n";
    auto parsed = syntax == Syntax::Utf8 && row.utf8_entry ? run(*row.utf8_entry, whole, row.name)
                                                           : run(row.entry, whole, row.name);
    if (auto const* error = std::get_if<ParseError>(&parsed)) {
        return *error;
    }
    Command command;
    command.verb = row.verb;
    kBuilders.at(static_cast<std::size_t>(row.verb))(std::get<Captures>(parsed), command);
    if (auto error = check_path_of(command, line)) {
        return *error;
    }
    if (auto error = check_domain_of(command, row.name.size() + 1)) {
        return *error;
    }
    return command;
}

Parsed<Mailbox> parse_mailbox(std::string_view text, Syntax syntax) {
    auto parsed = syntax == Syntax::Utf8 ? run(utf8::Entry::rfc5321_mailbox, text, "Mailbox")
                                         : run(ascii::Entry::rfc5321_mailbox, text, "Mailbox");
    if (auto const* error = std::get_if<ParseError>(&parsed)) {
        return *error;
    }
    auto mailbox = mailbox_of(std::get<Captures>(parsed), nullptr);
    if (!mailbox) {
        return ParseError{0, "Mailbox", ErrorKind::Syntax};
    }
    if (!domain_valid(*mailbox)) {
        return ParseError{mailbox->local_part.size() + 1,
                          mailbox->domain_is_literal ? "address-literal" : "U-label",
                          ErrorKind::Syntax};
    }
    if (auto error = check_mailbox(*mailbox, 0)) {
        return *error;
    }
    return *mailbox;
}

Parsed<std::string> parse_domain(std::string_view text, Syntax syntax) {
    auto parsed = syntax == Syntax::Utf8 ? run(utf8::Entry::rfc5321_domain, text, "Domain")
                                         : run(ascii::Entry::rfc5321_domain, text, "Domain");
    if (auto const* error = std::get_if<ParseError>(&parsed)) {
        return *error;
    }
    if (text.size() > kMaxDomain) {
        return ParseError{0, "Domain", ErrorKind::DomainTooLong};
    }
    if (!u_labels_valid(text)) {
        return ParseError{0, "U-label", ErrorKind::Syntax};
    }
    return std::string(text);
}

std::string_view verb_name(Verb verb) {
    return kVerbs.at(static_cast<std::size_t>(verb)).name;
}

std::optional<Verb> command_verb(std::string_view line) {
    // RFC 5321 §4.1.1: the verb is the leading run of letters; §2.4: in any case.
    auto const letters = std::find_if(line.begin(), line.end(), [](char c) {
        char const u = ascii_case::upper(c);
        return u < 'A' || u > 'Z';
    });
    std::string_view const word = line.substr(0, static_cast<std::size_t>(letters - line.begin()));
    for (VerbRow const& row : kVerbs) {
        if (ascii_case::equal(word, row.name)) {
            return row.verb;
        }
    }
    return std::nullopt;
}

} // namespace smtpd::grammar
