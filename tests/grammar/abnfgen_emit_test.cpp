// Tests of the generator's checks and X3 output (grammar/gen/emit.cpp, emit_files.cpp) for the
// forms grammar/abnf/ uses rarely or never: every repetition bound, case-sensitive and escaped
// literals, values above 255, prose alternatives, captures inside options, repetitions and
// distributed alternations; the checks' refusals (nullable alternatives, options and repetitions
// that overlap what follows, recursive or oversized automata, undefined entries); the DFA tables
// of a rule with dead states; refused rules in rules_def.hpp; a malformed "variant" line.
// Depends on: grammar/gen/, grammar/reader/, GoogleTest.
#include "gen/analysis.hpp"
#include "gen/automaton.hpp"
#include "gen/emit.hpp"
#include "reader/abnf.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace smtpd::abnfgen {
namespace {

/// A grammar from text (file "g"), its entries and captures, and the generator's decisions.
struct Gen {
    abnf::Grammar grammar;
    std::unique_ptr<Analysis> analysis;
    std::unique_ptr<Generator> generator;

    Gen(std::string const& text, std::vector<abnf::Key> entries,
        std::vector<abnf::Key> captures = {}) {
        auto file = abnf::read(text, "g");
        EXPECT_TRUE(file.file.has_value());
        auto linked = abnf::link({file.file.value_or(abnf::RuleFile{})});
        EXPECT_TRUE(linked.grammar.has_value());
        grammar = std::move(linked.grammar).value_or(abnf::Grammar{});
        analysis = std::make_unique<Analysis>(grammar, entries);
        generator = std::make_unique<Generator>(
            *analysis, Spec{"t", {"g"}, std::move(entries), std::move(captures)},
            std::set<abnf::Key>{});
    }
    [[nodiscard]] Decision const& decision(abnf::Key const& key) const {
        return generator->decisions().at(key);
    }
    [[nodiscard]] Mode mode(abnf::Key const& key) const { return decision(key).mode; }
    [[nodiscard]] std::string reasons(abnf::Key const& key) const {
        std::string out;
        for (auto const& r : decision(key).reasons) {
            out += r + "\n";
        }
        return out;
    }
    [[nodiscard]] std::string definitions() const { return generator->definitions(); }
};

void expect_contains(std::string const& text, std::string const& part) {
    EXPECT_NE(text.find(part), std::string::npos) << "missing: " << part << "\nin:\n" << text;
}

TEST(AbnfgenEmit, EveryRepetitionBoundHasItsX3Form) {
    Gen g("t = *1\"a\" \"b\" 2*\"c\" \"d\" 2*3\"e\" \"f\" 3\"g\" *\"h\" 1*\"i\"\n", {"g:t"});
    ASSERT_EQ(g.mode("g:t"), Mode::Peg) << g.reasons("g:t");
    expect_contains(g.definitions(),
                    "(x3::repeat(0, 1)[abnf_x3::literal(\"a\", false)] >> "
                    "abnf_x3::literal(\"b\", false) >> "
                    "x3::repeat(2, x3::inf)[abnf_x3::literal(\"c\", false)] >> "
                    "abnf_x3::literal(\"d\", false) >> "
                    "x3::repeat(2, 3)[abnf_x3::literal(\"e\", false)] >> "
                    "abnf_x3::literal(\"f\", false) >> "
                    "x3::repeat(3)[abnf_x3::literal(\"g\", false)] >> "
                    "*(abnf_x3::literal(\"h\", false)) >> +(abnf_x3::literal(\"i\", false)))");
}

TEST(AbnfgenEmit, LiteralsKeepTheirCaseRuleAndEscapeWhatCxxWouldRead) {
    Gen g("t = %s\"q\" \"{[A\" \"{[\" %x22.5C.3F.7F\n", {"g:t"});
    ASSERT_EQ(g.mode("g:t"), Mode::Peg) << g.reasons("g:t");
    // Only letters fold: "{[" has none and is compared as it is.
    expect_contains(g.definitions(), "(abnf_x3::literal(\"q\", true) >> "
                                     "abnf_x3::literal(\"{[A\", false) >> "
                                     "abnf_x3::literal(\"{[\", true) >> "
                                     "abnf_x3::literal(\"\\042\\134\\077\\177\", true))");
}

TEST(AbnfgenEmit, ValuesAbove255AndProseAlternativesNeverMatch) {
    Gen g("t = \"a\" / %x100-1FF / %x41.100 / <prose>\n", {"g:t"});
    ASSERT_EQ(g.mode("g:t"), Mode::Peg) << g.reasons("g:t");
    expect_contains(g.definitions(), "[(abnf_x3::literal(\"a\", false) | x3::eps(false) | "
                                     "x3::eps(false) | x3::eps(false))]");
}

TEST(AbnfgenEmit, CapturesInsideOptionsRepetitionsAndRulesAreScoped) {
    Gen g("t = [c] *d \"x\"\n"
          "c = \"y\"\n"
          "d = e\n"
          "e = \"z\"\n",
          {"g:t"}, {"g:c", "g:e"});
    ASSERT_EQ(g.mode("g:t"), Mode::Peg) << g.reasons("g:t");
    expect_contains(g.definitions(),
                    "(-(abnf_x3::scoped[abnf_x3::capture(static_cast<std::uint16_t>(Cap::g_c))"
                    "[g_c]]) >> *(abnf_x3::scoped[g_d]) >> abnf_x3::literal(\"x\", false))");
}

TEST(AbnfgenEmit, ADistributedAlternationWithACaptureScopesEachAlternative) {
    Gen g("s = ( c / \"ab\" ) \"c\"\nc = \"a\"\n", {"g:s"}, {"g:c"});
    ASSERT_EQ(g.mode("g:s"), Mode::Peg) << g.reasons("g:s");
    expect_contains(
        g.definitions(),
        "[(abnf_x3::scoped[abnf_x3::capture(static_cast<std::uint16_t>(Cap::g_c))[g_c] >> "
        "abnf_x3::literal(\"c\", false)] | abnf_x3::scoped[abnf_x3::literal(\"ab\", false) >> "
        "abnf_x3::literal(\"c\", false)])]");
}

TEST(AbnfgenChecks, AlternativesPastTheFirstOverlapStillPrefixFree) {
    Gen g("t = \"ab\" / \"ac\" / \"d\"\n", {"g:t"});
    ASSERT_EQ(g.mode("g:t"), Mode::Peg) << g.reasons("g:t");
    expect_contains(g.definitions(), "[(abnf_x3::literal(\"ab\", false) | "
                                     "abnf_x3::literal(\"ac\", false) | "
                                     "abnf_x3::literal(\"d\", false))]");
}

TEST(AbnfgenChecks, TwoNullableAlternativesAreDistributedOverTheirSuffix) {
    Gen g("t = ( [ \"a\" ] / *\"b\" ) \"c\"\n", {"g:t"});
    ASSERT_EQ(g.mode("g:t"), Mode::Peg) << g.reasons("g:t");
    expect_contains(g.definitions(), "[((-(abnf_x3::literal(\"a\", false)) >> "
                                     "abnf_x3::literal(\"c\", false)) | "
                                     "(*(abnf_x3::literal(\"b\", false)) >> "
                                     "abnf_x3::literal(\"c\", false)))]");
}

TEST(AbnfgenChecks, OverlapsWithTheSuffixThatDistributionCannotFixNeedADfa) {
    // A nullable alternative whose sibling may start like the suffix: {ab, b, bb}.
    Gen alt("t = ( \"a\" / [ \"b\" ] ) \"b\"\n", {"g:t"});
    EXPECT_EQ(alt.mode("g:t"), Mode::Dfa);
    expect_contains(alt.reasons("g:t"), "and their language is not prefix-free\n");
    // An option of something nullable: its skip and its empty match are the same.
    Gen nullable("t = [ *\"a\" ] \"b\"\n", {"g:t"});
    EXPECT_EQ(nullable.mode("g:t"), Mode::Dfa);
    expect_contains(nullable.reasons("g:t"), "an option may take bytes that can follow it");
    // [a] a *b: "a" is a prefix of "aa", with or without the option.
    Gen option("t = [ \"a\" ] \"a\" *\"b\"\n", {"g:t"});
    EXPECT_EQ(option.mode("g:t"), Mode::Dfa);
    expect_contains(option.reasons("g:t"), "an option may take bytes that can follow it (\"A\" "
                                           "\"a\")\n");
}

TEST(AbnfgenChecks, DescribesQuotesAndDeleteAsHexAndRefusesARepetitionAtTheEnd) {
    Gen g("t = u v\nu = *( %x22 / %x7F )\nv = %x22 / %x7F\n", {"g:t"});
    EXPECT_EQ(g.mode("g:t"), Mode::Peg);
    EXPECT_EQ(g.mode("g:u"), Mode::Refused);
    EXPECT_EQ(g.reasons("g:u"), "a repetition may take bytes that can follow it (%x22 %x7F)\n"
                                "as a DFA: a byte that can follow the rule extends a match\n");
    // Refused rules are still declared, and include the override that must replace them.
    expect_contains(g.definitions(), "// u = *(%x22 / %x7F)\n// Hand-written (PEG: a repetition "
                                     "may take bytes that can follow it (%x22 %x7F))\n"
                                     "#include \"overrides/g_u.hpp\"\nBOOST_SPIRIT_DEFINE(g_u)\n");
}

TEST(AbnfgenChecks, RecursiveRulesInsideAChoiceOrRepetitionAreRefused) {
    std::string const x = "x = \"(\" [x] \")\"\n";
    Gen element("t = *x \"(\"\n" + x, {"g:t"}); // the repeated element has no automaton
    EXPECT_EQ(element.mode("g:t"), Mode::Refused);
    EXPECT_EQ(element.reasons("g:t"), "a repetition may take bytes that can follow it (\"(\")\n"
                                      "as a DFA: rule g:x is recursive\n");
    Gen suffix("t = *\"(\" x\n" + x, {"g:t"}); // what follows the repetition has none
    EXPECT_EQ(suffix.mode("g:t"), Mode::Refused);
    expect_contains(suffix.reasons("g:t"), "as a DFA: rule g:x is recursive\n");
    Gen choice("t = ( x / \"(\" ) \"a\"\n" + x, {"g:t"}); // nor does the alternation
    EXPECT_EQ(choice.mode("g:t"), Mode::Refused);
    EXPECT_EQ(choice.reasons("g:t"), "alternatives overlap (first bytes \"(\") and their language "
                                     "is not prefix-free\nas a DFA: rule g:x is recursive\n");
}

TEST(AbnfgenChecks, ARepetitionWhoseUnionWithItsSuffixIsTooLargeIsRefused) {
    // x and y each fit in an automaton (80000 NFA states at most); x / y does not, nor does t.
    // (Values above 255 add states that lead nowhere: x and y match nothing past their "A".)
    std::string values;
    for (int i = 0; i < 40000; ++i) {
        values += ".100";
    }
    Gen g("t = *x y\nx = %x41" + values + "\ny = %x41" + values + "\n", {"g:t"});
    EXPECT_EQ(g.mode("g:t"), Mode::Refused);
    EXPECT_EQ(g.reasons("g:t"), "a repetition may take bytes that can follow it (\"A\")\n"
                                "as a DFA: the automaton has more than 80000 states\n");
    EXPECT_EQ(g.mode("g:x"), Mode::Peg);
}

TEST(AbnfgenChecks, AnUndefinedEntryIsRefused) {
    Gen g("t = \"a\"\n", {"g:t", "g:nope"});
    EXPECT_EQ(g.mode("g:t"), Mode::Peg);
    EXPECT_EQ(g.mode("g:nope"), Mode::Refused);
    EXPECT_EQ(g.reasons("g:nope"), "undefined rule\n");
}

std::vector<long> numbers_between(std::string const& text, std::string const& open) {
    std::vector<long> out;
    auto const begin = text.find(open);
    if (begin == std::string::npos) {
        return out;
    }
    auto const end = text.find("};", begin);
    std::istringstream in(text.substr(begin + open.size(), end - begin - open.size()));
    for (std::string cell; std::getline(in, cell, ',');) {
        if (cell.find_first_not_of(" \n") != std::string::npos) {
            out.push_back(std::stol(cell));
        }
    }
    return out;
}

TEST(AbnfgenFiles, DfaTablesLeadNowhereFromADeadState) {
    // "x" %x100 can never match: the state after "x" is dead, and the table has no way in.
    Gen g("t = *%x0D %x0D.0A / \"x\" %x100\n", {"g:t"});
    ASSERT_EQ(g.mode("g:t"), Mode::Dfa) << g.reasons("g:t");
    Dfa const& dfa = g.decision("g:t").dfa.value();
    std::vector<long> expected;
    bool dead_edge = false;
    for (auto const& row : dfa.next) {
        for (auto const t : row) {
            bool const live = t >= 0 && dfa.live[static_cast<std::size_t>(t)];
            dead_edge = dead_edge || (t >= 0 && !live);
            expected.push_back(live ? t : -1);
        }
    }
    EXPECT_TRUE(dead_edge);
    EXPECT_EQ(numbers_between(g.definitions(), "g_t_next[] = {"), expected);
}

TEST(AbnfgenSpec, AVariantLineNamesExactlyOneVariant) {
    std::vector<std::string> errors;
    Spec const spec = read_spec("variant a b\nfiles f\n", "s.spec", errors);
    EXPECT_TRUE(spec.variant.empty());
    EXPECT_EQ(spec.files, std::vector<std::string>{"f"});
    EXPECT_EQ(errors, (std::vector<std::string>{"s.spec:1: unknown or malformed line",
                                                "s.spec: no \"variant\" line"}));
}

} // namespace
} // namespace smtpd::abnfgen
