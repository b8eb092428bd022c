// libFuzzer target for the client-side reply grammar (grammar/src/reply.cpp): any bytes go through
// parse_reply and parse_ehlo_line, which must return (never crash, never hang on endless input).
// Property (one): a reply that parses formats back to text that parses to the same Reply.
// Depends on: smtpd/grammar/reply.hpp.
#include "smtpd/grammar/reply.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace smtpd::grammar;
    std::string_view const input(reinterpret_cast<char const*>(data), size);
    (void)parse_ehlo_line(input);
    auto const parsed = parse_reply(input);
    if (!parsed.ok()) {
        return 0;
    }
    auto const again = parse_reply(format_reply(parsed.value()));
    if (!again.ok() || !(again.value() == parsed.value())) {
        std::abort();
    }
    return 0;
}
