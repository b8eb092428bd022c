// libFuzzer target for the AUTH exchange's lines (grammar/src/sasl.cpp, RFC 4954 §4): any bytes
// go through parse_sasl_response and decode_initial_response, which must return.
// Property (one): base64 decodes to exactly 3 octets per group of 4 less the padding, and both
// entry points decode the same text alike; abort() otherwise.
// Depends on: smtpd/grammar/command.hpp.
#include "smtpd/grammar/command.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace smtpd::grammar;
    std::string_view const input(reinterpret_cast<char const*>(data), size);
    auto const initial = decode_initial_response(input);
    auto const response = parse_sasl_response(input);
    if (!response.ok() || response.value().cancel || input.empty()) {
        return 0;
    }
    std::size_t const padding = input.ends_with("==") ? 2 : input.ends_with('=') ? 1 : 0;
    if (response.value().decoded.size() != input.size() / 4 * 3 - padding || !initial ||
        *initial != response.value().decoded) {
        std::abort();
    }
    return 0;
}
