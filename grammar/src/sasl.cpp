// The client's side of an AUTH exchange (RFC 4954 §4): its answers to 334 challenges and the
// initial response, checked against the generated grammar (rfc4954:auth-response-line,
// rfc4954:initial-response), then base64-decoded with OpenSSL (RFC 4648 §4 alphabet, the
// base64 rule of RFC 4954 §8). Depends on: the generated ascii/rules.hpp, OpenSSL's libcrypto.
#include "smtpd/grammar/command.hpp"

#include "ascii/rules.hpp"

#include <openssl/evp.h>

#include <string>
#include <vector>

namespace smtpd::grammar {

namespace {

namespace ascii = gen::ascii;
using Cap = ascii::Cap;

/// Decodes text the base64 rule accepted: groups of four, "=" only as padding at the end.
std::string decode_base64(std::string_view text) {
    std::string out(text.size() / 4 * 3, '\0');
    // EVP_DecodeBlock decodes whole groups and counts padding as zero octets.
    int const n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<unsigned char const*>(text.data()),
                                  static_cast<int>(text.size()));
    std::size_t const padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    out.resize(n < 0 ? 0 : static_cast<std::size_t>(n) - padding);
    return out;
}

} // namespace

Parsed<SaslResponse> parse_sasl_response(std::string_view line) {
    std::string const whole = std::string(line) + "\r\n";
    std::vector<abnf_x3::Capture> captures;
    abnf_x3::Failure failure;
    if (!ascii::parse(ascii::Entry::rfc4954_auth_response_line, whole, captures, &failure)) {
        return ParseError{failure.offset, failure.rule.empty() ? "base64" : failure.rule,
                          ErrorKind::Syntax};
    }
    SaslResponse response;
    for (auto const& c : captures) {
        if (c.is(Cap::rfc4954_cancel_response)) {
            response.cancel = true;
        } else if (c.is(Cap::rfc4954_base64)) {
            response.decoded = decode_base64(c.in(whole));
        }
    }
    return response;
}

std::optional<std::string> decode_initial_response(std::string_view text) {
    std::vector<abnf_x3::Capture> captures;
    if (!ascii::parse(ascii::Entry::rfc4954_initial_response, text, captures)) {
        return std::nullopt;
    }
    // initial-response = base64 / "=": "=" is the empty response.
    return text == "=" ? std::string() : decode_base64(text);
}

} // namespace smtpd::grammar
