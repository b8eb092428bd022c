// extensions.hpp and limits.hpp: the EHLO keyword of each extension, and the command-line limit
// each advertised extension raises. One table, indexed by Extension.
// RFC 5321 §4.5.3.1.4 (512 octets), RFC 1870 §3, RFC 3030 §3, RFC 3461 §5.4, RFC 4954 §3,
// RFC 6531 §3.1 (their additions). Depends on: extensions.hpp, limits.hpp.
#include "smtpd/grammar/extensions.hpp"
#include "smtpd/grammar/limits.hpp"

#include <algorithm>
#include <array>

namespace smtpd::grammar {

namespace {

struct ExtensionRow {
    Extension extension;
    std::string_view keyword;
    std::size_t mail_octets; ///< what it adds to the longest MAIL line
    std::size_t rcpt_octets; ///< what it adds to the longest RCPT line
};

// The MAIL and RCPT additions, each from its RFC:
// SIZE: RFC 1870 §3 (5), "increased by 26 characters".
// 8BITMIME: RFC 6152 gives none; " BODY=8BITMIME" is 14, RFC 3030 §3 (8) allows BODY 16.
// DSN: RFC 3461 §5.4's parameter sizes with their " KEYWORD=": RET 8 + ENVID 100 on MAIL,
//      NOTIFY 28 + ORCPT 500 on RCPT (above its own "1036 characters" for RCPT).
// SMTPUTF8: RFC 6531 §3.1 (5), "increased by 10 characters".
// AUTH: RFC 4954 §3 (5), AUTH= "extends the maximum line length of the MAIL FROM command by 500".
constexpr std::array<ExtensionRow, kExtensionCount> kExtensions{{
    {Extension::Pipelining, "PIPELINING", 0, 0},
    {Extension::Size, "SIZE", 26, 0},
    {Extension::EightBitMime, "8BITMIME", 16, 0},
    {Extension::EnhancedStatusCodes, "ENHANCEDSTATUSCODES", 0, 0},
    {Extension::Dsn, "DSN", 5 + 8 + 7 + 100, 8 + 28 + 7 + 500},
    {Extension::SmtpUtf8, "SMTPUTF8", 10, 0},
    {Extension::Chunking, "CHUNKING", 0, 0},
    {Extension::StartTls, "STARTTLS", 0, 0},
    {Extension::Auth, "AUTH", 500, 0},
    {Extension::Help, "HELP", 0, 0},
}};

constexpr bool indexed_by_extension() {
    for (std::size_t i = 0; i < kExtensions.size(); ++i) {
        if (static_cast<std::size_t>(kExtensions[i].extension) != i) {
            return false;
        }
    }
    return true;
}
static_assert(indexed_by_extension(), "kExtensions is in the order of Extension");

} // namespace

std::string_view extension_keyword(Extension extension) {
    return kExtensions.at(static_cast<std::size_t>(extension)).keyword;
}

std::size_t max_command_line(Verb verb, Extensions advertised) {
    std::size_t octets = kMaxCommandLine;
    for (ExtensionRow const& row : kExtensions) {
        if (advertised.has(row.extension)) {
            octets += verb == Verb::Mail   ? row.mail_octets
                      : verb == Verb::Rcpt ? row.rcpt_octets
                                           : 0;
        }
    }
    return octets;
}

std::size_t max_command_line(Extensions advertised) {
    return std::max(max_command_line(Verb::Mail, advertised),
                    max_command_line(Verb::Rcpt, advertised));
}

} // namespace smtpd::grammar
