// Random strings derived from the ABNF (rapidcheck generators): a string drawn from a rule matches
// that rule by construction (alternatives picked at random, repetitions of random length within
// their bounds - capped so strings stay short -, "..." in random case, num-val ranges at random);
// and random mutations of such strings (insert, delete or replace a byte), which usually do not.
// Used by the differential properties (generated parser vs oracle). Depends on: grammar/reader/,
// rapidcheck.
#pragma once

#include "reader/abnf.hpp"

#include <rapidcheck.h>

#include <string>

namespace smtpd::abnf::testing {

/// Repetitions beyond their minimum add at most this many extra items.
inline constexpr unsigned kExtraRepeats = 4;

/// Strings matching the rule `key` of `grammar` (which must outlive the generator).
[[nodiscard]] rc::Gen<std::string> matching(Grammar const& grammar, Key const& key);

/// `s` with one random byte inserted, deleted or replaced (bytes favour those the grammar uses).
[[nodiscard]] rc::Gen<std::string> mutated(std::string const& s);

} // namespace smtpd::abnf::testing
