// Finite automata for the generator's exactness checks: the grammars of SMTP are regular (no rule
// refers to itself), so the language of an element, with every rule it uses inlined, is a DFA
// over bytes. Used to prove an alternation's language prefix-free (then PEG's ordered choice finds
// the only possible match) and to emit DFA-backed parsers for rules PEG cannot read exactly
// (maximal munch is exact when no byte that may follow the rule can extend one of its matches).
// Depends on: analysis.hpp.
#pragma once

#include "gen/analysis.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smtpd::abnfgen {

struct Dfa {
    std::array<std::uint16_t, 256> byte_class{}; ///< byte -> input class
    unsigned classes = 0;
    std::vector<std::vector<std::int32_t>> next; ///< [state][class] -> state, -1 = no match
    std::vector<bool> accepting;
    std::vector<bool> live; ///< an accepting state is reachable from here (itself included)
    // The start state is 0.
};

/// The DFA of the concatenation of `sequence` (rules inlined). None, with `why`, if an element
/// is a prose-val, a rule is recursive, or the automaton exceeds `max_states`.
[[nodiscard]] std::optional<Dfa> build_dfa(Analysis const& analysis,
                                           std::vector<abnf::Node const*> const& sequence,
                                           std::size_t max_states, std::string& why);

/// True if no string of the language is a proper prefix of another one.
[[nodiscard]] bool prefix_free(Dfa const& dfa);

/// True if, after any match, none of `follow` can continue towards a longer match: then the
/// longest match is the only one a parse in that context can use.
[[nodiscard]] bool longest_match_exact(Dfa const& dfa, ByteSet const& follow);

/// True if no string is in both languages.
[[nodiscard]] bool disjoint(Dfa const& a, Dfa const& b);

/// The longest prefix of `input` the DFA accepts, or -1.
[[nodiscard]] long longest_match(Dfa const& dfa, std::string_view input);

} // namespace smtpd::abnfgen
