// format_command / format_path (command.hpp): typed commands back to RFC 5321 §4.1.1 lines.
// Invariant (tested with ABNF-derived lines): parse_command(format_command(c)) gives back c.
// Depends on: smtpd/grammar/command.hpp.
#include "smtpd/grammar/command.hpp"

#include <string>

namespace smtpd::grammar {

std::string format_path(Path const& path) {
    if (!path.mailbox) {
        return path.postmaster ? "<Postmaster>" : "<>";
    }
    std::string out = "<";
    for (std::size_t i = 0; i < path.source_route.size(); ++i) {
        out += (i == 0 ? "@" : ",@") + path.source_route[i];
    }
    if (!path.source_route.empty()) {
        out += ':';
    }
    // No domain: LMTP's RCPT TO:<user> (RFC 2033 servers such as Dovecot accept a local part).
    std::string const& domain = path.mailbox->domain;
    return out + path.mailbox->local_part + (domain.empty() ? "" : "@" + domain) + ">";
}

std::string format_command(Command const& command) {
    std::string out(verb_name(command.verb));
    switch (command.verb) {
    case Verb::Helo:
    case Verb::Ehlo:
        return out + " " + command.domain;
    case Verb::Mail:
    case Verb::Rcpt:
        out += command.verb == Verb::Mail ? " FROM:" : " TO:";
        out += format_path(command.path);
        for (auto const& param : command.params) {
            out += " " + param.keyword + (param.value ? "=" + *param.value : std::string());
        }
        return out;
    case Verb::Vrfy:
    case Verb::Help:
    case Verb::Noop:
    case Verb::Expn:
        return command.text.empty() ? out : out + " " + command.text;
    case Verb::Auth:
        out += " " + command.mechanism;
        return command.initial_response ? out + " " + *command.initial_response : out;
    case Verb::Bdat:
        out += " " + std::to_string(command.chunk_size);
        return command.last ? out + " LAST" : out;
    case Verb::Data:
    case Verb::Rset:
    case Verb::Quit:
    case Verb::Starttls:
        break;
    }
    return out;
}

} // namespace smtpd::grammar
