// Tests of the generator's grammar facts and automata (grammar/gen/analysis.cpp, automaton.cpp)
// on the element forms the RFC grammars use rarely or never: empty and case-sensitive literals,
// values above 255, repetitions of at most one, nullable sequences, unknown rules; and the DFA
// builder's limits, its dead states, and the language checks over them.
// Depends on: grammar/gen/, grammar/reader/, GoogleTest.
#include "gen/analysis.hpp"
#include "gen/automaton.hpp"
#include "reader/abnf.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace smtpd::abnfgen {
namespace {

/// A one-file grammar "g" and its analysis from the given entries.
struct Facts {
    abnf::Grammar grammar;
    std::unique_ptr<Analysis> analysis;

    Facts(std::string const& text, std::vector<abnf::Key> const& entries) {
        auto file = abnf::read(text, "g");
        EXPECT_TRUE(file.file.has_value()) << text;
        auto linked = abnf::link({file.file.value_or(abnf::RuleFile{})});
        EXPECT_TRUE(linked.grammar.has_value()) << text;
        grammar = std::move(linked.grammar).value_or(abnf::Grammar{});
        analysis = std::make_unique<Analysis>(grammar, entries);
    }
    [[nodiscard]] abnf::Node const& rule(char const* key) const {
        return grammar.find(key)->definition;
    }
    [[nodiscard]] std::optional<Dfa> dfa(char const* key, std::size_t max_states = 1000) {
        why.clear();
        return build_dfa(*analysis, {&rule(key)}, max_states, why);
    }
    std::string why;
};

ByteSet bytes(std::string_view chars) {
    ByteSet s;
    for (char const c : chars) {
        s.set(static_cast<unsigned char>(c));
    }
    return s;
}

TEST(AbnfgenAnalysis, FirstBytesOfLiteralsFollowTheirCaseRules) {
    Facts f("e = \"\" \"x\"\n"
            "s = %s\"aB\"\n"
            "i = \"aB\"\n"
            "n = \"1\"\n",
            {"g:e", "g:s", "g:i", "g:n"});
    EXPECT_EQ(f.analysis->first("g:e"), bytes("xX")); // "" is skipped, nullable
    EXPECT_EQ(f.analysis->first("g:s"), bytes("a"));
    EXPECT_EQ(f.analysis->first("g:i"), bytes("aA"));
    EXPECT_EQ(f.analysis->first("g:n"), bytes("1"));
    EXPECT_TRUE(first_of_literal(f.rule("g:e").children.front()).none());
}

TEST(AbnfgenAnalysis, ValuesAbove255StartNothing) {
    Facts f("r = %x41-10FFFF\n"
            "high = %x100-200\n"
            "seq = %x100.41\n",
            {"g:r", "g:high", "g:seq"});
    EXPECT_EQ(f.analysis->first("g:r").count(), 256U - 0x41U);
    EXPECT_TRUE(f.analysis->first("g:high").none());
    EXPECT_TRUE(f.analysis->first("g:seq").none());
    EXPECT_FALSE(f.analysis->nullable("g:seq"));
}

TEST(AbnfgenAnalysis, NullableSequencesAndRepetitionsOfNullableElements) {
    Facts f("t = opt x \"z\"\n"
            "opt = [\"a\"] *\"b\"\n"
            "x = 1*opt\n"
            "none = 0\"q\"\n"
            "one = *1\"c\" \"d\"\n",
            {"g:t", "g:none", "g:one"});
    EXPECT_TRUE(f.analysis->nullable("g:opt"));
    EXPECT_EQ(f.analysis->first("g:opt"), bytes("aAbB"));
    EXPECT_TRUE(f.analysis->nullable("g:x")); // 1*opt, opt nullable
    EXPECT_EQ(f.analysis->first("g:t"), bytes("aAbBzZ"));
    EXPECT_TRUE(f.analysis->nullable("g:none")); // 0"q" is the empty string
    EXPECT_TRUE(f.analysis->first("g:none").none());
    EXPECT_TRUE(f.analysis->follow("g:opt").bytes.test('z'));
    EXPECT_EQ(f.analysis->first("g:one"), bytes("cCdD"));
}

TEST(AbnfgenAnalysis, AtMostOneRepetitionIsNotFollowedByItself) {
    Facts f("t = *1c d\nc = \"c\"\nd = \"d\"\n", {"g:t"});
    EXPECT_EQ(f.analysis->follow("g:c").bytes, bytes("dD"));
    Facts g("t = *c d\nc = \"c\"\nd = \"d\"\n", {"g:t"});
    EXPECT_EQ(g.analysis->follow("g:c").bytes, bytes("cCdD"));
}

TEST(AbnfgenAnalysis, UnknownAndUnreachableRulesHaveNoFacts) {
    Facts f("t = \"a\"\nunused = \"b\" t\n", {"g:t", "g:missing"});
    EXPECT_FALSE(f.analysis->nullable("g:nope"));
    EXPECT_TRUE(f.analysis->first("g:nope").none());
    Follow const none = f.analysis->follow("g:unused");
    EXPECT_TRUE(none.bytes.none());
    EXPECT_FALSE(none.end);
    EXPECT_TRUE(f.analysis->follow("g:t").end);
    EXPECT_EQ(f.analysis->reachable(), (std::vector<abnf::Key>{"g:t", "g:missing"}));
    EXPECT_TRUE(f.analysis->follow("g:missing").end);
    EXPECT_TRUE(f.analysis->closure("g:missing").empty());
    EXPECT_FALSE(f.analysis->recursive("g:missing"));
    EXPECT_EQ(f.analysis->closure("g:unused"), (std::set<abnf::Key>{"g:t"}));
}

TEST(AbnfgenAutomaton, CaseSensitiveLiteralsAndBoundedRepetitions) {
    Facts f("s = %s\"aB\"\n"
            "b = 2*3\"x\"\n"
            "p = \"a\" / <never>\n",
            {"g:s", "g:b", "g:p"});
    auto const s = f.dfa("g:s");
    ASSERT_TRUE(s.has_value()) << f.why;
    EXPECT_EQ(longest_match(*s, "aB"), 2);
    EXPECT_EQ(longest_match(*s, "AB"), -1);
    EXPECT_EQ(longest_match(*s, "ab"), -1);
    auto const b = f.dfa("g:b");
    ASSERT_TRUE(b.has_value()) << f.why;
    EXPECT_EQ(longest_match(*b, "x"), -1);
    EXPECT_EQ(longest_match(*b, "xX"), 2);
    EXPECT_EQ(longest_match(*b, "xxxxx"), 3);
    EXPECT_FALSE(prefix_free(*b));
    auto const p = f.dfa("g:p"); // prose matches nothing
    ASSERT_TRUE(p.has_value()) << f.why;
    EXPECT_EQ(longest_match(*p, "a"), 1);
    EXPECT_EQ(longest_match(*p, "<never>"), -1);
    EXPECT_TRUE(prefix_free(*p));
}

TEST(AbnfgenAutomaton, ValuesAbove255AreDeadEnds) {
    Facts f("t = \"a\" / \"ab\" %x100 / \"c\" %x41-1FF / %x100-1FF\n"
            "u = \"ab\" / \"x\" %x100\n",
            {"g:t", "g:u"});
    auto const t = f.dfa("g:t");
    auto const u = f.dfa("g:u");
    ASSERT_TRUE(t.has_value() && u.has_value()) << f.why;
    // "ab" leads to a state from which nothing is accepted: "a" is the only match from there.
    EXPECT_EQ(longest_match(*t, "abz"), 1);
    EXPECT_EQ(longest_match(*t, "cA"), 2);
    EXPECT_EQ(longest_match(*t, "c\xFF"), 2);
    EXPECT_TRUE(prefix_free(*t)); // {"a", "c" + one of %x41-FF}
    ByteSet b;
    b.set('b');
    EXPECT_TRUE(longest_match_exact(*t, b));
    // t's "ab" is dead, u's "x" is dead: their languages share nothing.
    EXPECT_TRUE(disjoint(*t, *u));
    EXPECT_TRUE(disjoint(*u, *t));
    auto const a = f.dfa("g:t");
    EXPECT_FALSE(disjoint(*t, *a));
}

TEST(AbnfgenAutomaton, RefusesTooManyStatesAndUndefinedRules) {
    Facts f("long = \"abcdefgh\"\n"
            "rep = 5\"abc\"\n"
            "loop = \"(\" [loop] \")\"\n"
            "rl = 2loop\n",
            {"g:long", "g:rep", "g:rl"});
    EXPECT_FALSE(f.dfa("g:long", 1).has_value()); // 9 NFA states > 4
    EXPECT_EQ(f.why, "the automaton has more than 4 states");
    EXPECT_FALSE(f.dfa("g:rep", 2).has_value());
    EXPECT_EQ(f.why, "the automaton has more than 8 states");
    EXPECT_FALSE(f.dfa("g:long", 3).has_value()); // 9 NFA states fit in 12, 9 DFA states not in 3
    EXPECT_EQ(f.why, "the DFA has more than 3 states");
    EXPECT_FALSE(f.dfa("g:rl").has_value());
    EXPECT_EQ(f.why, "rule g:loop is recursive");
    abnf::Node missing;
    missing.kind = abnf::NodeKind::RuleRef;
    missing.name = "g:nope";
    std::string why;
    EXPECT_FALSE(build_dfa(*f.analysis, {&missing}, 1000, why).has_value());
    EXPECT_EQ(why, "rule g:nope is not defined");
}

} // namespace
} // namespace smtpd::abnfgen
