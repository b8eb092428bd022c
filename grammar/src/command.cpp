// The one translation unit that instantiates the RFC 5321 command grammar (command_def.hpp), and
// command.hpp on top of it: verb dispatch (RFC 5321 §4.1.1), X3 expectation failures turned into
// ParseErrors, and the size limits of RFC 5321 §4.5.3.1 checked after a successful parse.
// Invariant: nothing X3 throws leaves this file; every entry point returns a value or an error.
// Depends on: command_def.hpp, smtpd/grammar/limits.hpp.
#include "smtpd/grammar/command.hpp"

#include "command_def.hpp"
#include "smtpd/grammar/limits.hpp"

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace smtpd::grammar {

namespace rfc5321 {
using iterator_type = char const*;
BOOST_SPIRIT_INSTANTIATE(decltype(ehlo), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(helo), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(mail), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(rcpt), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(data), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(rset), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(vrfy), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(help), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(noop), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(quit), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(Mailbox), iterator_type, abnf::context_type)
BOOST_SPIRIT_INSTANTIATE(decltype(Domain), iterator_type, abnf::context_type)
} // namespace rfc5321

namespace {

namespace x3 = boost::spirit::x3;

struct VerbRow {
    std::string_view name;
    Verb verb;
};

// RFC 5321 §4.1.1: the verbs we implement. EXPN, STARTTLS, AUTH, BDAT, ... are unknown for now.
constexpr std::array<VerbRow, 10> kVerbs{{{"HELO", Verb::Helo},
                                          {"EHLO", Verb::Ehlo},
                                          {"MAIL", Verb::Mail},
                                          {"RCPT", Verb::Rcpt},
                                          {"DATA", Verb::Data},
                                          {"RSET", Verb::Rset},
                                          {"NOOP", Verb::Noop},
                                          {"QUIT", Verb::Quit},
                                          {"VRFY", Verb::Vrfy},
                                          {"HELP", Verb::Help}}};

constexpr bool is_alpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// RFC 5321 §2.4: verbs are not case sensitive.
bool same_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (abnf::abnf_string::fold(a[i]) != abnf::abnf_string::fold(b[i])) {
            return false;
        }
    }
    return true;
}

/// How many octets at `at` match the ABNF quoted string `quoted` (with its quotes).
std::size_t matched_prefix(std::string const& quoted, std::string_view rest) {
    std::string_view const literal = std::string_view(quoted).substr(1, quoted.size() - 2);
    std::size_t n = 0;
    while (n < literal.size() && n < rest.size() &&
           abnf::abnf_string::fold(literal[n]) == abnf::abnf_string::fold(rest[n])) {
        ++n;
    }
    return n;
}

/// Parses all of `text` with `parser` into `attr`. An expectation failure becomes a Syntax error
/// at the failed '>' naming the rule that was expected, or if that was no rule (a literal) the
/// innermost rule holding it, or else `fallback`.
template <class Parser, class Attr>
std::optional<ParseError> run(std::string_view text, Parser const& parser, Attr& attr,
                              std::string_view fallback) {
    char const* first = text.data();
    char const* const last = first + text.size();
    abnf::Failure failure;
    try {
        if (x3::parse(first, last, x3::with<abnf::failure_tag>(std::ref(failure))[parser], attr)) {
            return std::nullopt;
        }
        return ParseError{0, fallback, ErrorKind::Syntax};
    } catch (x3::expectation_failure<char const*> const& e) {
        auto offset = static_cast<std::size_t>(e.where() - text.data());
        std::string const which = e.which();
        std::string_view rule = rfc5321::rule_named(which);
        if (rule.empty()) {
            rule = failure.enclosing.empty() ? fallback : failure.enclosing;
        }
        if (which.size() >= 2 && which.front() == '"') {
            offset += matched_prefix(which, text.substr(offset));
        }
        return ParseError{offset, rule, ErrorKind::Syntax};
    }
}

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

std::optional<ParseError> parse_arguments(Verb verb, std::string_view line, Command& command) {
    namespace g = rfc5321;
    switch (verb) {
    case Verb::Helo:
        return run(line, g::helo, command, g::helo.name);
    case Verb::Ehlo:
        return run(line, g::ehlo, command, g::ehlo.name);
    case Verb::Mail:
        return run(line, g::mail, command, g::mail.name);
    case Verb::Rcpt:
        return run(line, g::rcpt, command, g::rcpt.name);
    case Verb::Data:
        return run(line, g::data, command, g::data.name);
    case Verb::Rset:
        return run(line, g::rset, command, g::rset.name);
    case Verb::Noop:
        return run(line, g::noop, command, g::noop.name);
    case Verb::Quit:
        return run(line, g::quit, command, g::quit.name);
    case Verb::Vrfy:
        return run(line, g::vrfy, command, g::vrfy.name);
    case Verb::Help:
        return run(line, g::help, command, g::help.name);
    }
    return ParseError{0, "command", ErrorKind::UnknownVerb};
}

} // namespace

Parsed<Command> parse_command(std::string_view line) {
    // RFC 5321 §4.1.1: "The commands themselves are alphabetic characters terminated by <SP> if
    // parameters follow and <CRLF> otherwise." The verb is the leading run of ALPHA; what
    // follows it is the command rule's business (so "DATA\0" is a Syntax error, "DATAX" unknown).
    std::size_t n = 0;
    while (n < line.size() && is_alpha(line[n])) {
        ++n;
    }
    VerbRow const* row = nullptr;
    for (VerbRow const& candidate : kVerbs) {
        if (same_ignoring_case(candidate.name, line.substr(0, n))) {
            row = &candidate;
        }
    }
    if (row == nullptr) {
        return ParseError{0, "command", ErrorKind::UnknownVerb};
    }
    Command command;
    if (auto error = parse_arguments(row->verb, line, command)) {
        return *error;
    }
    command.verb = row->verb;
    if (command.verb == Verb::Mail || command.verb == Verb::Rcpt) {
        // The path starts right after the colon of "MAIL FROM:" / "RCPT TO:".
        if (auto error = check_path(command.path, line.find(':') + 1)) {
            return *error;
        }
    }
    if ((command.verb == Verb::Helo || command.verb == Verb::Ehlo) &&
        command.domain.size() > kMaxDomain) {
        bool const literal = command.domain.front() == '[';
        return ParseError{n + 1, literal ? "address-literal" : "Domain", ErrorKind::DomainTooLong};
    }
    return command;
}

Parsed<Mailbox> parse_mailbox(std::string_view text) {
    Mailbox mailbox;
    if (auto error = run(text, x3::eps > rfc5321::Mailbox > x3::eoi, mailbox, "Mailbox")) {
        return *error;
    }
    if (auto error = check_mailbox(mailbox, 0)) {
        return *error;
    }
    return mailbox;
}

Parsed<std::string> parse_domain(std::string_view text) {
    std::string domain;
    auto const capture = [&domain](auto& ctx) { domain = rfc5321::text_of(x3::_attr(ctx)); };
    x3::unused_type none;
    if (auto error =
            run(text, x3::eps > x3::raw[rfc5321::Domain][capture] > x3::eoi, none, "Domain")) {
        return *error;
    }
    if (domain.size() > kMaxDomain) {
        return ParseError{0, "Domain", ErrorKind::DomainTooLong};
    }
    return domain;
}

std::string_view verb_name(Verb verb) {
    for (VerbRow const& row : kVerbs) {
        if (row.verb == verb) {
            return row.name;
        }
    }
    return {};
}

} // namespace smtpd::grammar
