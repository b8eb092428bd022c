// The oracle: a deliberately simple backtracking ABNF interpreter that decides whether a whole
// string matches a rule of a linked Grammar, with ABNF's own semantics (alternation unordered,
// repetition backtracking): every element maps a start offset to the SET of offsets where a match
// can end, memoised per (rule, offset). Slow and obviously right; the generated X3 parsers are
// checked against it. It counts which alternatives of each rule matched, for rule coverage.
// Shares nothing with the generator except the ABNF reader. Depends on: grammar/reader/abnf.hpp.
#pragma once

#include "reader/abnf.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::oracle {

/// Identifies one alternative of one Alternation node of a rule: the rule's key, the index of
/// the Alternation node in a pre-order walk of the rule's definition, the alternative's index.
struct AlternativeId {
    abnf::Key rule;
    unsigned alternation = 0;
    unsigned alternative = 0;
    friend auto operator<=>(AlternativeId const&, AlternativeId const&) = default;
};

class Oracle {
  public:
    /// Elements nested deeper than this (counting every element on the way through each rule;
    /// only right recursion over a long input gets there, e.g. r = "a" r / "a" beyond ~1300
    /// bytes) are not followed: matches() then says false rather than overflow the stack. About
    /// 2.5 MB of stack under ASan; a count, not a stack measure, so every build agrees.
    static constexpr unsigned kMaxDepth = 4000;

    /// The grammar must outlive the oracle. ProseVal elements never match.
    explicit Oracle(abnf::Grammar const& grammar);
    ~Oracle();
    Oracle(Oracle const&) = delete;
    Oracle& operator=(Oracle const&) = delete;

    /// True if the whole of `input` matches the rule `key` (e.g. "rfc5321:mailbox").
    /// Unknown keys match nothing. Inputs of any length and content are handled without crashing
    /// (from 4 GiB on they match nothing: offsets are 32-bit).
    [[nodiscard]] bool matches(abnf::Key const& key, std::string_view input);

    /// Every alternative of every Alternation node in the rules reachable from `key`.
    [[nodiscard]] std::vector<AlternativeId> alternatives(abnf::Key const& key) const;

    /// How often each alternative was part of an accepted input's match, over all calls to
    /// matches() that returned true since construction or reset_coverage().
    [[nodiscard]] std::map<AlternativeId, std::size_t> const& coverage() const { return coverage_; }
    void reset_coverage() { coverage_.clear(); }

  private:
    struct Engine; // the compiled rules and the per-call memo (oracle.cpp)
    abnf::Grammar const& grammar_;
    std::unique_ptr<Engine> engine_;
    std::map<AlternativeId, std::size_t> coverage_;
};

} // namespace smtpd::oracle
