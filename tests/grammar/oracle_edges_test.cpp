// Unit tests of the oracle's limits and of grammars the linker never produces
// (grammar/oracle/): references to rules missing from a hand-edited Grammar and childless or
// one-valued elements match nothing; the depth limit reached before a later rule is tried; left
// recursion in the coverage walk; the derivation walk's step budget; inputs of 4 GiB; rules
// reached twice when listing alternatives; the memo table across epochs; load_spec.
// Depends on: oracle/oracle.hpp, oracle/memo.hpp, oracle/spec.hpp, reader/abnf.hpp, GoogleTest.
#include "oracle/memo.hpp"
#include "oracle/oracle.hpp"
#include "oracle/spec.hpp"
#include "reader/abnf.hpp"

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SMTPD_TEST_UNDER_ASAN
#endif
#endif

namespace smtpd::oracle {
namespace {

#ifdef SMTPD_TEST_UNDER_ASAN
constexpr bool kInstrumented = true;
#else
constexpr bool kInstrumented = false;
#endif

abnf::Grammar grammar_of(std::string const& text) {
    abnf::ReadResult r = abnf::read(text, "g");
    EXPECT_TRUE(r.file.has_value()) << (r.errors.empty() ? "" : r.errors.front().to_string());
    if (!r.file) {
        return {};
    }
    abnf::LinkResult l = abnf::link({*r.file});
    EXPECT_TRUE(l.grammar.has_value()) << (l.errors.empty() ? "" : l.errors.front().to_string());
    return l.grammar ? std::move(*l.grammar) : abnf::Grammar{};
}

abnf::Node childless(abnf::NodeKind kind) {
    abnf::Node n;
    n.kind = kind;
    n.min = 0;
    n.max = abnf::kUnbounded;
    return n;
}

TEST(OracleEdges, AReferenceToARuleMissingFromTheGrammarMatchesNothing) {
    abnf::Grammar g = grammar_of("s = x / \"a\"\nx = \"b\"\nt = [x] \"c\"\n");
    g.rules.erase("g:x");
    Oracle o(g);
    EXPECT_TRUE(o.matches("g:s", "a"));
    EXPECT_FALSE(o.matches("g:s", "b"));
    EXPECT_TRUE(o.matches("g:t", "c"));
    EXPECT_FALSE(o.matches("g:t", "bc"));
    EXPECT_EQ(o.coverage(), (std::map<AlternativeId, std::size_t>{{{"g:s", 0, 1}, 1}}));
}

TEST(OracleEdges, ChildlessAndOneValuedElementsOfAHandBuiltGrammarMatchNothing) {
    abnf::Grammar g = grammar_of("rep = \"r\"\ngrp = \"g\"\nopt = \"o\"\nrange = \"n\"\n");
    g.rules.at("g:rep").definition = childless(abnf::NodeKind::Repetition);
    g.rules.at("g:grp").definition = childless(abnf::NodeKind::Group);
    g.rules.at("g:opt").definition = childless(abnf::NodeKind::Option);
    abnf::Node& range = g.rules.at("g:range").definition;
    range.kind = abnf::NodeKind::NumRange;
    range.values = {0x00};
    Oracle o(g);
    EXPECT_FALSE(o.matches("g:rep", ""));
    EXPECT_FALSE(o.matches("g:rep", "r"));
    EXPECT_FALSE(o.matches("g:grp", ""));
    EXPECT_TRUE(o.matches("g:opt", "")); // an option may always be skipped
    EXPECT_FALSE(o.matches("g:opt", "o"));
    EXPECT_FALSE(o.matches("g:range", std::string(1, '\0')));
    EXPECT_FALSE(o.matches("g:range", "n"));
}

TEST(OracleEdges, PastTheDepthLimitLaterRulesAreNotTriedEither) {
    abnf::Grammar const g = grammar_of("r = \"a\" r / b\nb = \"b\"\n");
    Oracle o(g);
    EXPECT_TRUE(o.matches("g:r", "aaab"));
    std::string const deep = std::string(Oracle::kMaxDepth, 'a') + "b";
    EXPECT_FALSE(o.matches("g:r", deep)); // in the language, but refused rather than overflow
    EXPECT_TRUE(o.matches("g:r", "ab"));  // the next call starts afresh
}

TEST(OracleCoverage, ALeftRecursiveDerivationIsWalkedOnce) {
    abnf::Grammar const g = grammar_of("r = r / \"a\"\n");
    Oracle o(g);
    EXPECT_TRUE(o.matches("g:r", "a"));
    // The walk takes the first alternative that spans the input (r itself) and does not
    // re-enter r over the same span.
    EXPECT_EQ(o.coverage(), (std::map<AlternativeId, std::size_t>{{{"g:r", 0, 0}, 1}}));
}

TEST(OracleCoverage, ListsTheAlternativesOfARuleReachedTwiceOnce) {
    abnf::Grammar const g = grammar_of("s = x x / r\nx = \"a\" / \"b\"\nr = \"(\" [r] \")\"\n");
    Oracle const o(g);
    std::vector<AlternativeId> const all{
        {"g:s", 0, 0}, {"g:s", 0, 1}, {"g:x", 0, 0}, {"g:x", 0, 1}};
    EXPECT_EQ(o.alternatives("g:s"), all);
}

// The walk that counts alternatives stops after 2^20 steps: an accepted input still matches,
// its coverage is cut short (a derivation is as long as the input).
TEST(OracleCoverage, TheDerivationWalkStopsAtItsStepBudget) {
    abnf::Grammar const g = grammar_of("s = *( \"a\" / \"b\" )\n");
    Oracle o(g);
    AlternativeId const a{"g:s", 0, 0};
    constexpr std::size_t kBudget = std::size_t{1} << 20U;

    std::size_t const some = 400000; // the split fits, walking every repetition does not
    EXPECT_TRUE(o.matches("g:s", std::string(some, 'a')));
    ASSERT_EQ(o.coverage().count(a), 1U);
    EXPECT_GT(o.coverage().at(a), 0U);
    EXPECT_LT(o.coverage().at(a), some);

    o.reset_coverage();
    EXPECT_TRUE(o.matches("g:s", std::string(kBudget - 1, 'a'))); // the split itself runs out
    EXPECT_TRUE(o.coverage().empty());
    EXPECT_TRUE(o.matches("g:s", std::string(kBudget + 1, 'b'))); // too many frontiers
    EXPECT_TRUE(o.coverage().empty());

    EXPECT_TRUE(o.matches("g:s", "ab")); // a small input is walked in full again
    EXPECT_EQ(o.coverage().at(a), 1U);
}

TEST(OracleEdges, InputsOf4GiBMatchNothing) {
    std::size_t const size = std::size_t{1} << 32U;
    void* const map =
        mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) {
        GTEST_SKIP() << "cannot reserve 4 GiB of address space";
    }
    abnf::Grammar const g = grammar_of("s = *%x00\n");
    Oracle o(g);
    std::string_view const zeros(static_cast<char const*>(map), size);
    EXPECT_TRUE(o.matches("g:s", zeros.substr(0, 1000)));
    EXPECT_FALSE(o.matches("g:s", zeros)); // offsets are 32-bit
    munmap(map, size);
}

TEST(OracleMemo, FindsWhatWasStoredUntilCleared) {
    detail::MemoTable memo;
    bool inserted = false;
    EXPECT_EQ(memo.find_or_insert(7, 1, inserted), 1U);
    EXPECT_TRUE(inserted);
    EXPECT_EQ(memo.find_or_insert(7, 2, inserted), 1U);
    EXPECT_FALSE(inserted);
    for (std::uint32_t i = 0; i < 5000; ++i) { // grows past its first 1024 slots
        (void)memo.find_or_insert((std::uint64_t{i} << 32U) | 9U, i, inserted);
    }
    EXPECT_EQ(memo.find_or_insert((std::uint64_t{4321} << 32U) | 9U, 0, inserted), 4321U);
    EXPECT_FALSE(inserted);
    memo.clear();
    EXPECT_EQ(memo.find_or_insert(7, 3, inserted), 3U);
    EXPECT_TRUE(inserted);
}

// 2^32 calls: 2 s in the coverage build, 17 s under ASan and libFuzzer's instrumentation, where
// the test is skipped.
TEST(OracleMemo, StaysEmptyAfterItsEpochCounterWrapsAround) {
    if (kInstrumented) {
        GTEST_SKIP() << "too slow under ASan";
    }
    detail::MemoTable memo;
    bool inserted = false;
    (void)memo.find_or_insert(42, 5, inserted);
    // 2^32 - 1 clears bring the epoch back to where a slot of the first epoch would count as
    // used again, had the wrap not emptied the slots.
    for (std::uint64_t i = 0; i < (std::uint64_t{1} << 32U) - 1; ++i) {
        memo.clear();
    }
    EXPECT_EQ(memo.find_or_insert(42, 6, inserted), 6U);
    EXPECT_TRUE(inserted);
}

TEST(OracleSpec, LoadsTheFilesLinesOfASpec) {
    std::filesystem::path const dir =
        std::filesystem::path(testing::TempDir()) / "oracle_edges_test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "one.abnf") << "a = \"a\" b\nb = \"b\"\n";
    std::ofstream(dir / "two.abnf") << "; @import one a\nc = a a\n";
    std::ofstream(dir / "x.spec") << "# a comment\nvariant x # files nope\n"
                                  << "files one two\nentry two:c\nfiles\n";
    abnf::LinkResult const r = load_spec((dir / "x.spec").string(), dir.string());
    ASSERT_TRUE(r.grammar.has_value());
    EXPECT_EQ(r.grammar->files, (std::vector<std::string>{"one", "two"}));
    Oracle o(*r.grammar);
    EXPECT_TRUE(o.matches("two:c", "abab"));
    abnf::LinkResult const missing = load_spec((dir / "nope.spec").string(), dir.string());
    EXPECT_FALSE(missing.grammar.has_value());
    ASSERT_EQ(missing.errors.size(), 1U);
    EXPECT_EQ(missing.errors[0].to_string(),
              (dir / "nope.spec").string() + ": cannot read the spec");
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace smtpd::oracle
