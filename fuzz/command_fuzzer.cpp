// libFuzzer target for the RFC 5321 command grammar (grammar/src/command.cpp): any bytes go
// through parse_command, parse_mailbox and parse_domain, which must return (never throw or crash).
// Property (one, h11-style): the mailbox of a MAIL or RCPT that parses, rendered as
// local_part "@" domain, parses back with parse_mailbox to the same value; abort() otherwise.
// Depends on: smtpd/grammar/command.hpp.
#include "smtpd/grammar/command.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace smtpd::grammar;
    std::string_view const input(reinterpret_cast<char const*>(data), size);
    (void)parse_mailbox(input);
    (void)parse_domain(input);
    auto const parsed = parse_command(input);
    if (!parsed.ok()) {
        return 0;
    }
    std::optional<Mailbox> const& parsed_mailbox = parsed.value().path.mailbox;
    if (!parsed_mailbox) {
        return 0;
    }
    Mailbox const& mailbox = *parsed_mailbox;
    auto const again = parse_mailbox(mailbox.local_part + "@" + mailbox.domain);
    if (!again.ok() || !(again.value() == mailbox)) {
        std::abort();
    }
    return 0;
}
