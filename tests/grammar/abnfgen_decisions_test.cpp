// Tests of the generator's decisions (grammar/gen/): which rules it reads as PEG, which as a DFA,
// which it refuses, on small grammars written inline; and the automaton checks behind them.
// Depends on: grammar/gen/, grammar/reader/, GoogleTest.
#include "gen/analysis.hpp"
#include "gen/automaton.hpp"
#include "gen/emit.hpp"
#include "reader/abnf.hpp"

#include <gtest/gtest.h>

#include <string>

namespace smtpd::abnfgen {
namespace {

constexpr std::string_view kCore = "ALPHA = %x41-5A / %x61-7A\n"
                                   "DIGIT = %x30-39\n";

/// A grammar from text (file "g"), its entries and captures, and the generator's decisions.
struct Gen {
    abnf::Grammar grammar;
    std::unique_ptr<Analysis> analysis;
    std::unique_ptr<Generator> generator;

    Gen(std::string const& text, std::vector<abnf::Key> entries,
        std::vector<abnf::Key> captures = {}, std::set<abnf::Key> overrides = {}) {
        auto file = abnf::read(text, "g");
        EXPECT_TRUE(file.file.has_value());
        auto linked = abnf::link({*file.file});
        EXPECT_TRUE(linked.grammar.has_value());
        grammar = std::move(*linked.grammar);
        analysis = std::make_unique<Analysis>(grammar, entries);
        generator = std::make_unique<Generator>(
            *analysis, Spec{"t", {"g"}, std::move(entries), std::move(captures)},
            std::move(overrides));
    }
    [[nodiscard]] Mode mode(abnf::Key const& key) const {
        return generator->decisions().at(key).mode;
    }
    [[nodiscard]] std::string definitions() const { return generator->definitions(); }
};

TEST(AbnfgenDecisions, DisjointAlternativesAndRepetitionsArePeg) {
    Gen g(std::string(kCore) + "top = word *(\".\" word)\n"
                               "word = 1*ALPHA / 1*DIGIT\n",
          {"g:top"});
    EXPECT_EQ(g.mode("g:top"), Mode::Peg);
    EXPECT_EQ(g.mode("g:word"), Mode::Peg);
}

TEST(AbnfgenDecisions, LdhStrBecomesALongestMatchDfa) {
    Gen g(std::string(kCore) + "top = Ldh-str \".\"\n"
                               "Ldh-str = *( ALPHA / DIGIT / \"-\" ) Let-dig\n"
                               "Let-dig = ALPHA / DIGIT\n",
          {"g:top"});
    EXPECT_EQ(g.mode("g:ldh-str"), Mode::Dfa);
    EXPECT_NE(g.definitions().find("abnf_x3::dfa("), std::string::npos);
}

TEST(AbnfgenDecisions, OverlappingAlternativesAreDistributedOverAPrefixFreeSuffix) {
    // ("a" / "ab") "c": not LL(1), not prefix-free alone; with "c" inside each it is.
    Gen g("s = ( \"a\" / \"ab\" ) \"c\"\n", {"g:s"}, {"g:s"});
    EXPECT_EQ(g.mode("g:s"), Mode::Peg);
    EXPECT_NE(g.definitions().find("(abnf_x3::literal(\"a\", false) >> abnf_x3::literal(\"c\", "
                                   "false)) | (abnf_x3::literal(\"ab\", false)"),
              std::string::npos)
        << g.definitions();
}

TEST(AbnfgenDecisions, RefusesWhatNeitherPegNorDfaCanReadAndAcceptsAListedOverride) {
    // x = "a" / "ab" followed by "b": PEG would take "a" of "ab"; the DFA would too ("b" may
    // follow x and extends "a" to "ab"); x is captured, so t cannot be a DFA either.
    std::string const text = "t = x \"b\"\n"
                             "x = \"a\" / \"ab\"\n";
    Gen refused(text, {"g:t"}, {"g:x"});
    EXPECT_EQ(refused.mode("g:x"), Mode::Refused);
    EXPECT_FALSE(refused.generator->decisions().at("g:x").reasons.empty());
    Gen overridden(text, {"g:t"}, {"g:x"}, {"g:x"});
    EXPECT_EQ(overridden.mode("g:x"), Mode::Override);
    EXPECT_NE(overridden.definitions().find("#include \"overrides/g_x.hpp\""), std::string::npos);
}

TEST(AbnfgenDecisions, RepetitionStopsExactlyBeforeADisjointPrefixFreeSuffix) {
    // RFC 5321's Reply-line: continuation lines and the last line start alike ("2"), but differ
    // at the fourth byte and end at CRLF, so greedy repetition stops where ABNF must.
    Gen g("reply = *( code \"-\" text %x0D.0A ) code [ %x20 text ] %x0D.0A\n"
          "code = %x32-35 %x30-35 %x30-39\n"
          "text = 1*%x20-7E\n",
          {"g:reply"}, {"g:code"});
    EXPECT_EQ(g.mode("g:reply"), Mode::Peg);
    // The same with a last line that could also be a continuation line is refused.
    Gen h("reply = *( code \"-\" text %x0D.0A ) code [ \"-\" text ] %x0D.0A\n"
          "code = %x32-35 %x30-35 %x30-39\n"
          "text = 1*%x20-7E\n",
          {"g:reply"}, {"g:code"});
    EXPECT_EQ(h.mode("g:reply"), Mode::Refused);
}

TEST(AbnfgenDecisions, AnOptionThatOverlapsItsSuffixIsDistributedToo) {
    // [ "a" "b" ] "a" "c"  ->  ("a" "b" "a" "c") / ("a" "c"): prefix-free, so PEG.
    Gen g("t = [ %x61 %x62 ] %x61 %x63\n", {"g:t"});
    EXPECT_EQ(g.mode("g:t"), Mode::Peg);
    EXPECT_NE(g.definitions().find("| (abnf_x3::literal(\"a\", true) >> abnf_x3::literal(\"c\", "
                                   "true))"),
              std::string::npos)
        << g.definitions();
}

TEST(AbnfgenDecisions, ANullableAlternativeGoesLastAndGroupsAreTransparent) {
    Gen g("t = ( %x61 %x62 ) ( *%x62 / %x61 ) %x63\n", {"g:t"});
    EXPECT_EQ(g.mode("g:t"), Mode::Peg);
    EXPECT_NE(g.definitions().find("(abnf_x3::literal(\"a\", true) | *(abnf_x3::literal(\"b\", "
                                   "true)))"),
              std::string::npos)
        << g.definitions();
}

TEST(AbnfgenDecisions, LiteralsWithControlBytesAreEscaped) {
    Gen g("t = *%x0D %x0D.0A\n", {"g:t"});
    EXPECT_EQ(g.mode("g:t"), Mode::Dfa); // *CR then CR: greedy PEG would take the last CR
    EXPECT_NE(g.generator->decisions().at("g:t").reasons.front().find("%x0D"), std::string::npos);
    Gen h("t = %x0D.0A %x00\n", {"g:t"});
    EXPECT_NE(h.definitions().find("\"\\015\\012\""), std::string::npos) << h.definitions();
}

TEST(AbnfgenDecisions, ProseIsRefused) {
    Gen g("t = <anything>\n", {"g:t"});
    EXPECT_EQ(g.mode("g:t"), Mode::Refused);
}

TEST(AbnfgenDecisions, RefusesRecursionNullableRepetitionsAndGreedyOptions) {
    Gen recursive("t = \"(\" [t] \")\"\n", {"g:t"});
    EXPECT_EQ(recursive.mode("g:t"), Mode::Refused);
    EXPECT_EQ(recursive.generator->decisions().at("g:t").reasons.front(),
              "recursive rules are not supported");
    // *( [x] ) repeats something empty; [ "a" 1*"b" ] "a": the option may take the "a" of the end.
    Gen nullable("t = *( [\"x\"] ) \"y\"\n", {"g:t"}, {"g:t"});
    EXPECT_NE(nullable.generator->decisions().at("g:t").reasons.front().find("empty string"),
              std::string::npos);
    Gen option("t = u \"a\"\nu = [ \"a\" ]\n", {"g:t"}, {"g:u"});
    EXPECT_EQ(option.mode("g:u"), Mode::Refused);
}

TEST(AbnfgenFiles, HeaderAndSourceListTheEntriesAndCaptures) {
    Gen g(std::string(kCore) + "t = 1*ALPHA \"=\" n\nn = 1*DIGIT\n", {"g:t", "g:n"}, {"g:n"});
    std::string const header = g.generator->header();
    EXPECT_NE(header.find("enum class Entry : std::uint16_t {\n    g_t,\n    g_n,\n};"),
              std::string::npos)
        << header;
    EXPECT_NE(header.find("kEntryCount = 2;"), std::string::npos);
    EXPECT_NE(header.find("enum class Cap : std::uint16_t {\n    g_n,\n};"), std::string::npos);
    std::string const source = g.generator->source();
    EXPECT_NE(source.find("case Entry::g_n:\n        return run(g_n, input, captures, failure);"),
              std::string::npos)
        << source;
    EXPECT_NE(source.find("return \"g:t\";"), std::string::npos);
    EXPECT_NE(g.definitions().find("BOOST_SPIRIT_DEFINE(g_t)"), std::string::npos);
}

TEST(AbnfgenSpec, ReadsItsFourDirectivesAndReportsTheRest) {
    std::vector<std::string> errors;
    Spec const spec = read_spec("# comment\nvariant v\nfiles a b\nentry a:x\ncapture a:y b:z\n",
                                "v.spec", errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(spec.variant, "v");
    EXPECT_EQ(spec.files, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(spec.entries, (std::vector<abnf::Key>{"a:x"}));
    EXPECT_EQ(spec.captures, (std::vector<abnf::Key>{"a:y", "b:z"}));
    (void)read_spec("files a\nbogus x\n", "w.spec", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"w.spec:2: unknown or malformed line",
                                                "w.spec: no \"variant\" line"}));
}

TEST(AbnfgenAutomaton, PrefixFreeAndLongestMatch) {
    Gen g("pf = \"ab\" / \"ac\"\n"
          "np = \"a\" / \"ab\"\n"
          "star = *\"a\"\n",
          {"g:pf", "g:np", "g:star"});
    std::string why;
    auto const dfa = [&](char const* key) {
        return build_dfa(*g.analysis, {&g.grammar.find(key)->definition}, 1000, why).value();
    };
    EXPECT_TRUE(prefix_free(dfa("g:pf")));
    EXPECT_FALSE(prefix_free(dfa("g:np")));
    EXPECT_EQ(longest_match(dfa("g:np"), "abx"), 2);
    EXPECT_EQ(longest_match(dfa("g:np"), "x"), -1);
    EXPECT_EQ(longest_match(dfa("g:star"), "aaab"), 3);
    ByteSet b;
    b.set('b');
    EXPECT_FALSE(longest_match_exact(dfa("g:np"), b)); // "a" then "b" extends to "ab"
    ByteSet c;
    c.set('c');
    EXPECT_TRUE(longest_match_exact(dfa("g:np"), c));
}

TEST(Regression, SkippingAnOptionDoesNotEnterTheLoopInsideIt) {
    // [ " " 1*"x" ] "." once let "-." through: the skip edge led into the 1*"x" loop state.
    Gen g("t = \"a\" [ \" \" 1*\"x\" ] \".\"\n", {"g:t"});
    std::string why;
    auto const dfa = build_dfa(*g.analysis, {&g.grammar.find("g:t")->definition}, 1000, why);
    ASSERT_TRUE(dfa.has_value());
    EXPECT_EQ(longest_match(*dfa, "a."), 2);
    EXPECT_EQ(longest_match(*dfa, "a xx."), 5);
    EXPECT_EQ(longest_match(*dfa, "ax."), -1);
}

TEST(AbnfgenAnalysis, FollowSetsSeeThroughNullableElements) {
    Gen g("t = a [b] c\n"
          "a = \"a\"\n"
          "b = \"b\"\n"
          "c = \"c\"\n",
          {"g:t"});
    Follow const f = g.analysis->follow("g:a");
    EXPECT_TRUE(f.bytes.test('b'));
    EXPECT_TRUE(f.bytes.test('c'));
    EXPECT_FALSE(f.end);
    EXPECT_TRUE(g.analysis->follow("g:c").end);
}

} // namespace
} // namespace smtpd::abnfgen
