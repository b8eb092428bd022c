// command_verb: which of our verbs a command line starts with, whatever its arguments.
// RFC 5321 §2.4: verbs are case-insensitive. Depends on: command.hpp.
#include "smtpd/grammar/command.hpp"

#include <algorithm>

namespace smtpd::grammar {

namespace {

constexpr Verb kAllVerbs[] = {Verb::Helo, Verb::Ehlo, Verb::Mail, Verb::Rcpt, Verb::Data,
                              Verb::Rset, Verb::Noop, Verb::Quit, Verb::Vrfy, Verb::Help};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
               return lower(x) == lower(y);
           });
}

} // namespace

std::optional<Verb> command_verb(std::string_view line) {
    // RFC 5321 §4.1.1: the verb is the leading run of letters, as parse_command reads it.
    std::size_t end = 0;
    while (end < line.size() &&
           ((line[end] >= 'A' && line[end] <= 'Z') || (line[end] >= 'a' && line[end] <= 'z'))) {
        ++end;
    }
    std::string_view const word = line.substr(0, end);
    for (Verb v : kAllVerbs) {
        if (equals_ignoring_case(word, verb_name(v))) {
            return v;
        }
    }
    return std::nullopt;
}

} // namespace smtpd::grammar
