// u_labels_valid (idna.hpp): each non-ASCII label through idn2_register_u8, which applies
// IDNA2008's registration rules (RFC 5891 §4.1-4.2) to a U-label without mapping it: upper case,
// a string not in NFC, disallowed code points and bad bidi all fail. Depends on: libidn2.
#include "src/idna.hpp"

#include <idn2.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace smtpd::grammar {

namespace {

bool is_u_label(std::string const& label) {
    std::uint8_t* ascii = nullptr;
    int const rc =
        idn2_register_u8(reinterpret_cast<std::uint8_t const*>(label.c_str()), nullptr, &ascii, 0);
    std::free(ascii); // NOLINT(cppcoreguidelines-no-malloc): libidn2 allocates with malloc
    return rc == IDN2_OK;
}

} // namespace

bool u_labels_valid(std::string_view domain) {
    while (!domain.empty()) {
        auto const dot = domain.find('.');
        std::string_view const label = domain.substr(0, dot);
        bool const non_ascii = std::any_of(label.begin(), label.end(), [](char c) {
            return static_cast<unsigned char>(c) >= 0x80;
        });
        if (non_ascii && !is_u_label(std::string(label))) {
            return false;
        }
        domain = dot == std::string_view::npos ? std::string_view() : domain.substr(dot + 1);
    }
    return true;
}

} // namespace smtpd::grammar
