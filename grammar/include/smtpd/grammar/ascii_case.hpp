// ASCII case folding for the parts of SMTP that are case-insensitive: verbs and keywords
// (RFC 5321 §2.4), the "IPv6:" tag of address literals. Never for local-parts (§2.4: they may
// be case-sensitive). Depends on: the standard library only.
#pragma once

#include <algorithm>
#include <string_view>

namespace smtpd::grammar::ascii_case {

[[nodiscard]] constexpr char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

/// True if `a` and `b` are the same once ASCII letters are folded to upper case.
[[nodiscard]] constexpr bool equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return upper(x) == upper(y); });
}

} // namespace smtpd::grammar::ascii_case
