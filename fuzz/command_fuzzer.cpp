// libFuzzer target for the RFC 5321 command grammar (grammar/src/command.cpp): any bytes go
// through parse_command, parse_mailbox and parse_domain, in the ASCII and in the SMTPUTF8
// (RFC 6531) syntax, which must return (never throw or crash).
// Property (one, h11-style): the mailbox of a MAIL or RCPT that parses, rendered as
// local_part "@" domain, parses back with parse_mailbox in the same syntax to the same value;
// abort() otherwise.
// Depends on: smtpd/grammar/command.hpp.
#include "smtpd/grammar/command.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace {

void check(std::string_view input, smtpd::grammar::Syntax syntax) {
    using namespace smtpd::grammar;
    (void)parse_mailbox(input, syntax);
    (void)parse_domain(input, syntax);
    auto const parsed = parse_command(input, syntax);
    if (!parsed.ok()) {
        return;
    }
    std::optional<Mailbox> const& parsed_mailbox = parsed.value().path.mailbox;
    if (!parsed_mailbox) {
        return;
    }
    Mailbox const& mailbox = *parsed_mailbox;
    auto const again = parse_mailbox(mailbox.local_part + "@" + mailbox.domain, syntax);
    if (!again.ok() || !(again.value() == mailbox)) {
        std::abort();
    }
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view const input(reinterpret_cast<char const*>(data), size);
    check(input, smtpd::grammar::Syntax::Ascii);
    check(input, smtpd::grammar::Syntax::Utf8);
    return 0;
}
