// libFuzzer target for the ABNF oracle (grammar/oracle/) on a fixed, ambiguous, regular grammar
// (unordered alternation of "a" / "ab", Ldh-str's backtracking repetition, %s and case-folded
// strings): any bytes (the first 256) are matched against each rule without crashing or hanging.
// Property (one): on inputs of at most 24 bytes the verdict for `top` equals std::regex_match
// with the same language written as an ECMAScript regex; abort() otherwise.
// Depends on: oracle/oracle.hpp, reader/abnf.hpp.
#include "oracle/oracle.hpp"
#include "reader/abnf.hpp"
#include "smtpd/grammar/testing/regular_grammar.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <regex>
#include <string_view>
#include <utility>

namespace {

smtpd::abnf::Grammar const& grammar() {
    static smtpd::abnf::Grammar const linked = [] {
        auto file = smtpd::abnf::read(smtpd::oracle::testing::kRegularGrammar, "g");
        auto result = smtpd::abnf::link({file.file.value()});
        return std::move(result.grammar.value());
    }();
    return linked;
}

} // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static smtpd::oracle::Oracle oracle(grammar());
    static std::regex const top(smtpd::oracle::testing::kRegularTopRegex);
    std::string_view const input(reinterpret_cast<char const*>(data), size < 256 ? size : 256);
    for (char const* rule : {"g:word", "g:sep", "g:tail", "g:ldh"}) {
        (void)oracle.matches(rule, input);
    }
    bool const matched = oracle.matches("g:top", input);
    if (input.size() <= 24 && matched != std::regex_match(input.begin(), input.end(), top)) {
        std::abort();
    }
    oracle.reset_coverage();
    return 0;
}
