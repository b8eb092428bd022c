// Unit tests of the ABNF oracle (grammar/oracle/): ABNF's semantics where a PEG would fail
// (RFC 5321's Ldh-str, unordered alternation), case rules of "..." and RFC 7405's %s / %i,
// num-val ranges and sequences, bounded and nullable repetition, left and deep right recursion,
// rule-alternative coverage, agreement with std::regex on a regular grammar, and RFC 5234 §4's
// ABNF-of-ABNF matching the text of every grammar/abnf file. Grammars are inline (read from
// strings) except that last fixture. Depends on: oracle/oracle.hpp, reader/abnf.hpp, rapidcheck.
#include "oracle/oracle.hpp"
#include "reader/abnf.hpp"
#include "smtpd/grammar/testing/regular_grammar.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::oracle {
namespace {

using abnf::make_key;

abnf::Grammar link_texts(std::vector<std::pair<std::string, std::string>> const& texts) {
    std::vector<abnf::RuleFile> files;
    for (auto const& [name, text] : texts) {
        abnf::ReadResult r = abnf::read(text, name);
        for (abnf::Error const& e : r.errors) {
            ADD_FAILURE() << e.to_string();
        }
        if (r.file) {
            files.push_back(std::move(*r.file));
        }
    }
    abnf::LinkResult r = abnf::link(files);
    for (abnf::Error const& e : r.errors) {
        ADD_FAILURE() << e.to_string();
    }
    return r.grammar ? std::move(*r.grammar) : abnf::Grammar{};
}

/// A one-file grammar "g" and its oracle: g("rule", "input") says whether input matches.
class Abnf {
  public:
    explicit Abnf(std::string const& text)
        : grammar_(link_texts({{"g", text}})), oracle_(grammar_) {}
    bool operator()(std::string_view rule, std::string_view input) {
        return oracle_.matches(make_key("g", rule), input);
    }
    Oracle& oracle() { return oracle_; }

  private:
    abnf::Grammar grammar_;
    Oracle oracle_;
};

constexpr std::string_view kCore =
    "ALPHA = %x41-5A / %x61-7A\n"
    "DIGIT = %x30-39\n"
    "HEXDIG = DIGIT / \"A\" / \"B\" / \"C\" / \"D\" / \"E\" / \"F\"\n"
    "DQUOTE = %x22\n"
    "SP = %x20\n"
    "CRLF = %x0D.0A\n";

TEST(Oracle, LdhStrBacktracksIntoTheRepetition) {
    Abnf g(std::string(kCore) + "Ldh-str = *( ALPHA / DIGIT / \"-\" ) Let-dig\n"
                                "Let-dig = ALPHA / DIGIT\n");
    EXPECT_TRUE(g("Ldh-str", "a-b"));
    EXPECT_TRUE(g("Ldh-str", "a"));
    EXPECT_TRUE(g("Ldh-str", "-9"));
    EXPECT_TRUE(g("ldh-STR", "ab--cd"));
    EXPECT_FALSE(g("Ldh-str", "a-"));
    EXPECT_FALSE(g("Ldh-str", ""));
    EXPECT_FALSE(g("Ldh-str", "a_b"));
}

TEST(Oracle, AlternationIsUnordered) {
    Abnf g("s = ( \"a\" / \"ab\" ) \"c\"\n"
           "t = ( \"ab\" / \"a\" ) \"bc\"\n");
    EXPECT_TRUE(g("s", "abc"));
    EXPECT_TRUE(g("s", "ac"));
    EXPECT_FALSE(g("s", "abbc"));
    EXPECT_TRUE(g("t", "abc"));
}

TEST(Oracle, QuotedStringsFoldAsciiCaseAndPercentSDoesNot) {
    Abnf g("mail = \"MAIL FROM:\"\n"
           "sens = %s\"aBc\"\n"
           "insens = %i\"aBc\"\n"
           "num = %x61\n");
    EXPECT_TRUE(g("mail", "mail from:"));
    EXPECT_TRUE(g("mail", "MaIl FrOm:"));
    EXPECT_FALSE(g("mail", "MAIL FROM"));
    EXPECT_TRUE(g("sens", "aBc"));
    EXPECT_FALSE(g("sens", "abc"));
    EXPECT_FALSE(g("sens", "ABC"));
    EXPECT_TRUE(g("insens", "ABC"));
    EXPECT_TRUE(g("insens", "abc"));
    EXPECT_TRUE(g("num", "a"));
    EXPECT_FALSE(g("num", "A"));
}

TEST(Oracle, NumValsCompareBytes) {
    Abnf g("upper = %x41-5A\n"
           "crlf = %x0D.0A\n"
           "dec = %d13.10\n"
           "bin = %b1000001\n"
           "high = %x80-FF\n"
           "wide = %x100-10FFFF / %x100\n"
           "any = %x00-FFFF\n");
    EXPECT_TRUE(g("upper", "A"));
    EXPECT_TRUE(g("upper", "Z"));
    EXPECT_FALSE(g("upper", "@"));
    EXPECT_FALSE(g("upper", "["));
    EXPECT_FALSE(g("upper", "a"));
    EXPECT_FALSE(g("upper", "AB"));
    EXPECT_TRUE(g("crlf", "\r\n"));
    EXPECT_TRUE(g("dec", "\r\n"));
    EXPECT_FALSE(g("crlf", "\n"));
    EXPECT_TRUE(g("bin", "A"));
    EXPECT_TRUE(g("high", "\xFF"));
    EXPECT_FALSE(g("high", "\x7F"));
    EXPECT_FALSE(g("wide", "\x01"));
    EXPECT_FALSE(g("wide", "\x01\x00"));
    EXPECT_TRUE(g("any", std::string(1, '\0')));
}

TEST(Oracle, RepetitionBounds) {
    Abnf g("r23 = 2*3\"a\"\n"
           "r3 = 3\"ab\"\n"
           "upto2 = *2\"a\"\n"
           "none = 0\"a\"\n"
           "opt = \"a\" [\"b\"] \"c\"\n"
           "nullable = 2*3( [\"a\"] )\n"
           "huge = 4000000000( [\"a\"] )\n"
           "hugesolid = 4000000000\"a\"\n");
    EXPECT_FALSE(g("r23", "a"));
    EXPECT_TRUE(g("r23", "aa"));
    EXPECT_TRUE(g("r23", "aaa"));
    EXPECT_FALSE(g("r23", "aaaa"));
    EXPECT_FALSE(g("r23", ""));
    EXPECT_TRUE(g("r3", "ababab"));
    EXPECT_FALSE(g("r3", "abab"));
    EXPECT_TRUE(g("upto2", ""));
    EXPECT_TRUE(g("upto2", "aa"));
    EXPECT_FALSE(g("upto2", "aaa"));
    EXPECT_TRUE(g("none", ""));
    EXPECT_FALSE(g("none", "a"));
    EXPECT_TRUE(g("opt", "ac"));
    EXPECT_TRUE(g("opt", "abc"));
    EXPECT_FALSE(g("opt", "abbc"));
    EXPECT_TRUE(g("nullable", ""));
    EXPECT_TRUE(g("nullable", "aaa"));
    EXPECT_FALSE(g("nullable", "aaaa"));
    EXPECT_TRUE(g("huge", ""));
    EXPECT_TRUE(g("huge", "aaaaa"));
    EXPECT_FALSE(g("hugesolid", "aaaaa"));
}

TEST(Oracle, ProseAndUnknownRulesNeverMatch) {
    Abnf g("s = <prose> / \"x\"\nt = <anything>\n");
    EXPECT_TRUE(g("s", "x"));
    EXPECT_FALSE(g("s", ""));
    EXPECT_FALSE(g("s", "<prose>"));
    EXPECT_FALSE(g("t", ""));
    EXPECT_FALSE(g("nope", ""));
    EXPECT_FALSE(g.oracle().matches("other:s", "x"));
}

TEST(Oracle, LeftRecursionTerminates) {
    Abnf g("s = s \"a\" / \"a\"\n"
           "a = b / \"x\"\n"
           "b = a \"y\" / *b\n"
           "n = *n\n");
    EXPECT_TRUE(g("s", "a"));
    EXPECT_FALSE(g("s", "aa")); // re-entry at the same offset yields nothing
    EXPECT_TRUE(g("a", "x"));
    (void)g("a", "xyy");
    (void)g("n", "");
    (void)g("b", "xy");
}

TEST(Oracle, DeepRightRecursionMatchesUpToTheDepthLimit) {
    Abnf g("r = \"a\" r / \"a\"\n");
    EXPECT_TRUE(g("r", std::string(1000, 'a')));
    EXPECT_EQ((g.oracle().coverage().at(AlternativeId{"g:r", 0, 0})), 999U);
    EXPECT_EQ((g.oracle().coverage().at(AlternativeId{"g:r", 0, 1})), 1U);
    EXPECT_FALSE(g("r", std::string(Oracle::kMaxDepth + 10, 'a'))); // refused, not a crash
}

TEST(OracleCoverage, CountsTheAlternativesOfOneDerivation) {
    Abnf g("s = 1*( \"a\" / \"b\" ) [ \"c\" / x ]\n"
           "x = \"d\" / \"e\" / \"d\"\n"
           "unused = \"u\" / \"v\"\n");
    Oracle& o = g.oracle();
    EXPECT_TRUE(g("s", "abac"));
    EXPECT_FALSE(g("s", "abx"));
    EXPECT_TRUE(g("s", "bd"));
    std::map<AlternativeId, std::size_t> const expected{
        {{"g:s", 0, 0}, 2}, {{"g:s", 0, 1}, 2}, {{"g:s", 1, 0}, 1},
        {{"g:s", 1, 1}, 1}, {{"g:x", 0, 0}, 1},
    };
    EXPECT_EQ(o.coverage(), expected);
    std::vector<AlternativeId> const all{{"g:s", 0, 0}, {"g:s", 0, 1}, {"g:s", 1, 0}, {"g:s", 1, 1},
                                         {"g:x", 0, 0}, {"g:x", 0, 1}, {"g:x", 0, 2}};
    EXPECT_EQ(o.alternatives("g:s"), all);
    EXPECT_EQ(o.alternatives("g:nope"), std::vector<AlternativeId>{});
    o.reset_coverage();
    EXPECT_TRUE(o.coverage().empty());
}

TEST(OracleCoverage, NumbersAlternationsInPreOrderPerRule) {
    Abnf g("s = ( \"a\" / ( \"b\" / \"c\" ) ) ( \"d\" / \"e\" )\n"
           "s =/ \"f\"\n");
    EXPECT_TRUE(g("s", "ce"));
    EXPECT_TRUE(g("s", "f"));
    std::map<AlternativeId, std::size_t> const expected{
        {{"g:s", 0, 0}, 1}, // the merged "=/" alternation is the root
        {{"g:s", 0, 1}, 1},
        {{"g:s", 1, 1}, 1},
        {{"g:s", 2, 1}, 1},
        {{"g:s", 3, 1}, 1}};
    EXPECT_EQ(g.oracle().coverage(), expected);
}

// A regular grammar and the same language as an ECMAScript regex (which backtracks fully in
// regex_match): the oracle must agree on every string over the alphabet.
RC_GTEST_PROP(OracleProps, AgreesWithRegexOnARegularGrammar, ()) {
    // A regular grammar and the same language as a regex: the oracle must agree on every string.
    static Abnf g{std::string(testing::kRegularGrammar)};
    static std::regex const re(testing::kRegularTopRegex);
    auto const chars = *rc::gen::container<std::string>(
        rc::gen::element('a', 'A', 'b', 'B', '-', '.', '0', '1', 'z'));
    std::string const input = chars.substr(0, 24);
    RC_ASSERT(g("top", input) == std::regex_match(input, re));
}

// RFC 5321 §4.1.2's Mailbox (with RFC 5322's atext), for a realistic workload.
constexpr std::string_view kMailbox =
    "Mailbox = Local-part \"@\" ( Domain / address-literal )\n"
    "Local-part = Dot-string / Quoted-string\n"
    "Dot-string = Atom *(\".\"  Atom)\n"
    "Atom = 1*atext\n"
    "Quoted-string = DQUOTE *QcontentSMTP DQUOTE\n"
    "QcontentSMTP = qtextSMTP / quoted-pairSMTP\n"
    "quoted-pairSMTP = %d92 %d32-126\n"
    "qtextSMTP = %d32-33 / %d35-91 / %d93-126\n"
    "atext = ALPHA / DIGIT / \"!\" / \"#\" / \"$\" / \"%\" / \"&\" / \"'\" / \"*\" / \"+\" /\n"
    "        \"-\" / \"/\" / \"=\" / \"?\" / \"^\" / \"_\" / \"`\" / \"{\" / \"|\" / \"}\" / "
    "\"~\"\n"
    "Domain = sub-domain *(\".\" sub-domain)\n"
    "sub-domain = Let-dig [Ldh-str]\n"
    "Let-dig = ALPHA / DIGIT\n"
    "Ldh-str = *( ALPHA / DIGIT / \"-\" ) Let-dig\n"
    "address-literal = \"[\" ( IPv4-address-literal / IPv6-address-literal /\n"
    "                  General-address-literal ) \"]\"\n"
    "IPv4-address-literal = Snum 3(\".\"  Snum)\n"
    "IPv6-address-literal = \"IPv6:\" IPv6-addr\n"
    "General-address-literal = Standardized-tag \":\" 1*dcontent\n"
    "Standardized-tag = Ldh-str\n"
    "dcontent = %d33-90 / %d94-126\n"
    "Snum = 1*3DIGIT\n"
    "IPv6-addr = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp\n"
    "IPv6-hex = 1*4HEXDIG\n"
    "IPv6-full = IPv6-hex 7(\":\" IPv6-hex)\n"
    "IPv6-comp = [IPv6-hex *5(\":\" IPv6-hex)] \"::\" [IPv6-hex *5(\":\" IPv6-hex)]\n"
    "IPv6v4-full = IPv6-hex 5(\":\" IPv6-hex) \":\" IPv4-address-literal\n"
    "IPv6v4-comp = [IPv6-hex *3(\":\" IPv6-hex)] \"::\" [IPv6-hex *3(\":\" IPv6-hex) \":\"]\n"
    "              IPv4-address-literal\n";

TEST(Oracle, MatchesRfc5321MailboxesQuickly) {
    Abnf g(std::string(kMailbox) + std::string(kCore));
    std::vector<std::pair<std::string, bool>> const cases{
        {"user@example.com", true},
        {"first.last+tag@sub-domain.example.org", true},
        {"\"quoted \\\" pair\"@[192.0.2.1]", true},
        {"x@[IPv6:2001:db8::1]", true},
        {"x@[IPv6:::192.0.2.1]", true},
        {"x@[tag:content]", true},
        {"x@-example.com", false},
        {"x@example-.com", false},
        {"x..y@example.com", false},
        {std::string(200, 'a') + "@" + std::string(300, 'b') + ".example", true},
    };
    for (auto const& [input, expected] : cases) {
        EXPECT_EQ(g("Mailbox", input), expected) << input;
    }
    auto const start = std::chrono::steady_clock::now();
    constexpr int kRounds = 2000;
    for (int i = 0; i < kRounds; ++i) {
        (void)g("Mailbox", cases[static_cast<std::size_t>(i) % (cases.size() - 1)].first);
    }
    std::chrono::duration<double> const took = std::chrono::steady_clock::now() - start;
    RecordProperty("mailboxes_per_second", static_cast<int>(kRounds / took.count()));
    EXPECT_LT(took.count(), 20.0);
}

std::string slurp(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// RFC 5234's own syntax wants CRLF and ASCII comments; ours have LF and UTF-8 (only in
/// comments, which the reader allows).
std::string as_rfc5234_text(std::string_view text) {
    std::string out;
    for (char const c : text) {
        if (c == '\n') {
            out += "\r\n";
        } else {
            out += static_cast<unsigned char>(c) >= 0x80 ? '?' : c;
        }
    }
    if (!out.ends_with("\r\n")) {
        out += "\r\n";
    }
    return out;
}

TEST(Oracle, AbnfOfAbnfMatchesEveryGrammarFile) {
    std::string const self = slurp(SMTPD_ABNF_TEST_DATA "/rfc5234-abnf-of-abnf.abnf");
    // RFC 7405 §2.2 replaces char-val; here as a cross-file "=/" extension.
    abnf::Grammar const grammar =
        link_texts({{"rfc5234-abnf-of-abnf", self},
                    {"rfc7405", "; @import rfc5234-abnf-of-abnf char-val DQUOTE\n"
                                "char-val =/ case-sensitive-string / case-insensitive-string\n"
                                "case-insensitive-string = \"%i\" quoted-string\n"
                                "case-sensitive-string = \"%s\" quoted-string\n"
                                "quoted-string = DQUOTE *(%x20-21 / %x23-7E) DQUOTE\n"}});
    Oracle oracle(grammar);
    std::string const rulelist = "rfc5234-abnf-of-abnf:rulelist";
    EXPECT_TRUE(oracle.matches(rulelist, as_rfc5234_text(self)));
    std::size_t files = 0;
    for (auto const& entry : std::filesystem::directory_iterator(SMTPD_ABNF_DIR)) {
        if (entry.path().extension() == ".abnf") {
            EXPECT_TRUE(oracle.matches(rulelist, as_rfc5234_text(slurp(entry.path()))))
                << entry.path();
            ++files;
        }
    }
    EXPECT_GT(files, 0U);
    EXPECT_TRUE(oracle.matches(rulelist, "a = %s\"X\" / %i\"y\"\r\n"));
    EXPECT_FALSE(oracle.matches(rulelist, "a = (b\r\n"));
    EXPECT_FALSE(oracle.matches(rulelist, "a = b\"c\"\r\n"));
    EXPECT_FALSE(oracle.matches(rulelist, "a = b\n"));
    std::string const rule = "rfc5234-abnf-of-abnf:rule";
    EXPECT_TRUE(oracle.matches(rule, "Ldh-str = *( ALPHA / DIGIT / \"-\" ) Let-dig\r\n"));
    EXPECT_TRUE(oracle.matches(rule, "x = 1*3y ; comment\r\n    / %x41-5A\r\n"));
}

} // namespace
} // namespace smtpd::oracle
