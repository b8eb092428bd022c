// A small regular ABNF grammar with the traps PEG falls into (unordered alternation of "a" / "ab",
// Ldh-str's backtracking repetition, %s and case-folded strings), and the same language as an
// ECMAScript regex, which std::regex_match checks with full backtracking. Shared by the oracle's
// property test (tests/grammar/oracle_test.cpp) and its fuzz target, which include it through the
// smtpd_grammar_testing library. Depends on: the standard library only.
#pragma once

#include <string_view>

namespace smtpd::oracle::testing {

inline constexpr std::string_view kRegularGrammar = "top = word *( sep word ) [ tail ]\n"
                                                    "word = 1*( \"a\" / \"ab\" / %s\"B\" )\n"
                                                    "sep = \"-\" / \"--\" / ( \"-\" %x2E )\n"
                                                    "tail = 2*3( %x30-39 ) / ldh\n"
                                                    "ldh = *( ALPHA / DIGIT / \"-\" ) let-dig\n"
                                                    "let-dig = ALPHA / DIGIT\n"
                                                    "ALPHA = %x41-5A / %x61-7A\n"
                                                    "DIGIT = %x30-39\n";

/// `top` of kRegularGrammar.
inline constexpr char const* kRegularTopRegex =
    "(?:[aA]|[aA][bB]|B)+(?:(?:-|--|-\\.)(?:[aA]|[aA][bB]|B)+)*"
    "(?:[0-9]{2,3}|[A-Za-z0-9-]*[A-Za-z0-9])?";

} // namespace smtpd::oracle::testing
