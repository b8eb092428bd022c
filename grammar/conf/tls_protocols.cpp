// parse_tls_protocols (see tls_protocols.hpp): one pass over the keywords, a table of names.
// Depends on: tls_protocols.hpp.
#include "tls_protocols.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace smtpd::conf {

namespace {

constexpr auto kKeywords = std::to_array<std::pair<std::string_view, std::uint32_t>>({
    {"all", kTlsProtocolsAll},
    {"legacy", kTlsProtocolsAll},
    {"secure", kTlsProtocolsDefault},
    {"default", kTlsProtocolsDefault},
    {"tlsv1", kTlsProtocolsV1},
    {"tlsv1.0", kTlsV1_0},
    {"tlsv1.1", kTlsV1_1},
    {"tlsv1.2", kTlsV1_2},
    {"tlsv1.3", kTlsV1_3},
});

bool same_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

std::optional<std::uint32_t> parse_tls_protocols(std::string_view text) {
    std::uint32_t set = 0;
    std::size_t start = 0;
    for (;;) {
        std::size_t const end = text.find_first_of(",:", start);
        std::string_view word =
            text.substr(start, end == std::string_view::npos ? end : end - start);
        word.remove_prefix(std::min(word.find_first_not_of(" \t"), word.size()));
        bool const negate = !word.empty() && word.front() == '!';
        if (negate) {
            word.remove_prefix(1);
            if (set == 0) {
                set = kTlsProtocolsAll;
            }
        }
        auto const known = std::find_if(kKeywords.begin(), kKeywords.end(), [&](auto const& k) {
            return same_ignoring_case(k.first, word);
        });
        if (known == kKeywords.end()) {
            return std::nullopt;
        }
        set = negate ? (set & ~known->second) : (set | known->second);
        if (end == std::string_view::npos) {
            return set;
        }
        start = end + 1;
    }
}

} // namespace smtpd::conf
