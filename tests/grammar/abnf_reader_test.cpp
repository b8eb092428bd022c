// Unit tests of the ABNF reader, printer and linker (grammar/reader/): RFC 5234 §4's own
// ABNF-of-ABNF read and linked, every element form, LF and CRLF, the @import pragma, the round
// trip read(print(read(t))) == read(t) over grammar/abnf/*.abnf and the fixtures, exact
// file:line:column errors for a table of malformed inputs, and the linker's errors and "=/"
// merging across files. Depends on: reader/abnf.hpp; the fixtures in tests/grammar/data/.
#include "reader/abnf.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::abnf {
namespace {

std::string slurp(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string errors_of(std::vector<Error> const& errors) {
    std::string out;
    for (Error const& e : errors) {
        out += e.to_string() + "\n";
    }
    return out;
}

RuleFile read_ok(std::string_view text, std::string_view name = "t") {
    ReadResult r = read(text, name);
    EXPECT_TRUE(r.file.has_value()) << errors_of(r.errors);
    return r.file ? std::move(*r.file) : RuleFile{};
}

std::string first_error(std::string_view text) {
    ReadResult const r = read(text, "t");
    EXPECT_FALSE(r.file.has_value());
    return r.errors.empty() ? "(no error)" : r.errors.front().to_string();
}

Node definition_of(std::string_view rule_text) {
    RuleFile const f = read_ok(rule_text);
    return f.rules.empty() ? Node{} : f.rules.front().definition;
}

std::vector<RuleFile> read_all(std::vector<std::pair<std::string, std::string>> const& texts) {
    std::vector<RuleFile> files;
    files.reserve(texts.size());
    for (auto const& [name, text] : texts) {
        files.push_back(read_ok(text, name));
    }
    return files;
}

std::vector<std::filesystem::path> abnf_files(std::filesystem::path const& dir) {
    std::vector<std::filesystem::path> paths;
    for (auto const& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".abnf") {
            paths.push_back(entry.path());
        }
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

void expect_round_trip(std::string_view text, std::string_view name) {
    RuleFile const first = read_ok(text, name);
    std::string const printed = print(first);
    ReadResult const again = read(printed, name);
    ASSERT_TRUE(again.file.has_value()) << name << ":\n" << errors_of(again.errors) << printed;
    EXPECT_TRUE(same_structure(first, *again.file)) << name << " printed as:\n" << printed;
    EXPECT_EQ(print(*again.file), printed) << name;
}

TEST(AbnfReader, ReadsAndLinksRfc5234AbnfOfAbnf) {
    LinkResult const r = load({SMTPD_ABNF_TEST_DATA "/rfc5234-abnf-of-abnf.abnf"});
    ASSERT_TRUE(r.grammar.has_value()) << errors_of(r.errors);
    Grammar const& g = *r.grammar;
    EXPECT_EQ(g.files, std::vector<std::string>{"rfc5234-abnf-of-abnf"});
    EXPECT_EQ(g.rules.size(), 21U + 16U); // §4's rules and Appendix B.1's
    LinkedRule const* rulelist = g.find("rfc5234-abnf-of-abnf:rulelist");
    ASSERT_NE(rulelist, nullptr);
    EXPECT_EQ(rulelist->name, "rulelist");
    EXPECT_EQ(rulelist->where.line, 7U);
    // rulelist = 1*( rule / (*c-wsp c-nl) )
    Node const& rep = rulelist->definition;
    ASSERT_EQ(rep.kind, NodeKind::Repetition);
    EXPECT_EQ(rep.min, 1U);
    EXPECT_EQ(rep.max, kUnbounded);
    EXPECT_EQ(print(rep), "1*(rfc5234-abnf-of-abnf:rule / (*rfc5234-abnf-of-abnf:c-wsp "
                          "rfc5234-abnf-of-abnf:c-nl))");
    EXPECT_EQ(g.resolve("rfc5234-abnf-of-abnf", "C-NL"), "rfc5234-abnf-of-abnf:c-nl");
    EXPECT_EQ(print(g.find("rfc5234-abnf-of-abnf:hex-val")->definition),
              "\"x\" 1*rfc5234-abnf-of-abnf:hexdig [1*(\".\" 1*rfc5234-abnf-of-abnf:hexdig) / "
              "(\"-\" 1*rfc5234-abnf-of-abnf:hexdig)]");
}

TEST(AbnfReader, ReadsEveryElementForm) {
    struct Row {
        std::string_view text;
        std::string_view printed;
    };
    for (Row const row : std::vector<Row>{
             {"a = b", "b"},
             {"a = *b", "*b"},
             {"a = 0*b", "*b"},
             {"a = 1*b", "1*b"},
             {"a = *3b", "*3b"},
             {"a = 2*5b", "2*5b"},
             {"a = 3b", "3b"},
             {"a = b c / d", "b c / d"},
             {"a = [b] (c / d)", "[b] (c / d)"},
             {"a = \"x y\" %s\"aB\" %i\"Cd\" %S\"e\"", "\"x y\" %s\"aB\" %i\"Cd\" %s\"e\""},
             {"a = %x41-5a %d13.10 %b0101 %X0D %D65-90", "%x41-5A %d13.10 %b101 %x0D %d65-90"},
             {"a = <any text, even \"quotes\">", "<any text, even \"quotes\">"},
             {"a = \"\"", "\"\""},
             {"a =/ b", "b"},
         }) {
        EXPECT_EQ(print(definition_of(row.text)), row.printed) << row.text;
    }
    Node const n = definition_of("a = 2*5%x30-39");
    ASSERT_EQ(n.kind, NodeKind::Repetition);
    EXPECT_EQ(n.min, 2U);
    EXPECT_EQ(n.max, 5U);
    ASSERT_EQ(n.children.size(), 1U);
    EXPECT_EQ(n.children[0].kind, NodeKind::NumRange);
    EXPECT_EQ(n.children[0].values, (std::vector<std::uint32_t>{0x30, 0x39}));
    Node const s = definition_of("a = %s\"aB\"");
    EXPECT_TRUE(s.case_sensitive);
    EXPECT_EQ(s.text, "aB");
    EXPECT_EQ(definition_of("a = %d13.10").values, (std::vector<std::uint32_t>{13, 10}));
    EXPECT_EQ(definition_of("a = %d13.10").kind, NodeKind::NumSeq);
    EXPECT_EQ(definition_of("a = %b11").values, (std::vector<std::uint32_t>{3}));
}

TEST(AbnfReader, ReadsContinuationLinesCommentsAndBothLineEnds) {
    std::string const lf = "; a comment\n"
                           "a   =  b   ; trailing\n"
                           "       / c ; more\n"
                           "   \n"
                           "       ; a comment line inside the rule\n"
                           "       d\n"
                           "\n"
                           "   ; an indented comment between rules\n"
                           "b = \"x\"\n"
                           "c = \"y\"\n"
                           "d=\"z\"";
    std::string crlf;
    for (char const c : lf) {
        crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    }
    RuleFile const a = read_ok(lf);
    RuleFile const b = read_ok(crlf);
    EXPECT_TRUE(same_structure(a, b));
    ASSERT_EQ(a.rules.size(), 4U);
    EXPECT_EQ(print(a.rules[0].definition), "b / c d");
    EXPECT_EQ(a.rules[3].where, (SourcePos{"t", 11, 1}));
    EXPECT_EQ(b.rules[1].where, (SourcePos{"t", 9, 1}));
    EXPECT_EQ(a.rules[0].definition.children[1].children[1].where, (SourcePos{"t", 6, 8}));
    EXPECT_EQ(first_error("a = b\r\n  / \"x\" c\"y\"\r\n"),
              "t:2:10: expected white space between two elements");
}

TEST(AbnfReader, ReadsImportPragmas) {
    RuleFile const f = read_ok("; @import rfc5234-core ALPHA DIGIT\n"
                               ";@import other x-y\n"
                               ";   @IMPORT third Z\t W\n"
                               "; see @import in the README: an ordinary comment\n"
                               "a = ALPHA\n");
    ASSERT_EQ(f.imports.size(), 3U);
    EXPECT_EQ(f.imports[0].file, "rfc5234-core");
    EXPECT_EQ(f.imports[0].names, (std::vector<std::string>{"ALPHA", "DIGIT"}));
    EXPECT_EQ(f.imports[0].where, (SourcePos{"t", 1, 1}));
    EXPECT_EQ(f.imports[1].names, std::vector<std::string>{"x-y"});
    EXPECT_EQ(f.imports[2].names, (std::vector<std::string>{"Z", "W"}));
    RuleFile const crlf = read_ok("; @import core A B\r\n\r\nc = A B\r\n");
    ASSERT_EQ(crlf.imports.size(), 1U);
    EXPECT_EQ(crlf.imports[0].names, (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(read_ok("a = b\n", "dir/sub/rfc5321.abnf").name, "rfc5321");
}

TEST(AbnfRoundTrip, EveryGrammarFilePrintsBackToItself) {
    auto const paths = abnf_files(SMTPD_ABNF_DIR);
    EXPECT_FALSE(paths.empty());
    for (auto const& path : paths) {
        expect_round_trip(slurp(path), path.stem().string());
    }
}

TEST(AbnfRoundTrip, FixturesAndTrickyFormsPrintBackToThemselves) {
    for (auto const& path : abnf_files(SMTPD_ABNF_TEST_DATA)) {
        expect_round_trip(slurp(path), path.stem().string());
    }
    expect_round_trip("; @import core ALPHA\n"
                      "a = 0b / 0*0c / *(b / c) / 1*1[d] / (((e))) / ((f g) / h)\n"
                      "a =/ %x00.FF.100 / %b0-1 / %d0 / %s\"\" / %i\"!#~\" / <a<b>\n"
                      "b = 4294967294*4294967294c\nc = \"c\"\nd = c\ne = d\nf = e\ng = f\nh = g\n",
                      "tricky");
}

TEST(AbnfPrinter, ParenthesisesHandBuiltTreesThatWouldRegroup) {
    Node ref;
    ref.kind = NodeKind::RuleRef;
    ref.name = "x";
    Node alt;
    alt.kind = NodeKind::Alternation;
    alt.children = {ref, ref};
    Node cat;
    cat.kind = NodeKind::Concatenation;
    cat.children = {alt, ref};
    EXPECT_EQ(print(cat), "(x / x) x");
    Node rep;
    rep.kind = NodeKind::Repetition;
    rep.min = 0;
    rep.max = kUnbounded;
    rep.children = {cat};
    EXPECT_EQ(print(rep), "*((x / x) x)");
}

struct ErrorRow {
    std::string_view id;
    std::string text;
    std::string_view error;
};

class AbnfReaderErrors : public testing::TestWithParam<ErrorRow> {};

TEST_P(AbnfReaderErrors, ReportsExactPosition) {
    EXPECT_EQ(first_error(GetParam().text), GetParam().error) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, AbnfReaderErrors,
    testing::Values(
        ErrorRow{"MissingDefinedAs", "a b\n",
                 "t:1:3: expected \"=\" or \"=/\" after the rule name"},
        ErrorRow{"EmptyDefinition", "a =\n", "t:1:4: expected an element"},
        ErrorRow{"StartsWithDigit", "1a = b\n", "t:1:1: expected a rule name"},
        ErrorRow{"IndentedRule", "a = b\n\n  c = d\n",
                 "t:3:3: a rule must start in column 1 (an indented line continues the rule "
                 "above it)"},
        ErrorRow{"UnterminatedQuote", "a = \"abc\nb = c\n", "t:1:5: unterminated quoted string"},
        ErrorRow{"NonAsciiQuoted", "a = \"caf\xC3\xA9\"\n",
                 "t:1:9: only space and visible ASCII may be quoted"},
        ErrorRow{"TabQuoted", "a = \"a\tb\"\n",
                 "t:1:7: only space and visible ASCII may be quoted"},
        ErrorRow{"UnterminatedProse", "a = <abc\n", "t:1:5: unterminated prose value"},
        ErrorRow{"BadPercent", "a = %q41\n", "t:1:6: expected b, d, x, s or i after '%'"},
        ErrorRow{"PercentAtEnd", "a = %", "t:1:6: expected b, d, x, s or i after '%'"},
        ErrorRow{"PercentSWithoutQuote", "a = %sabc\n",
                 "t:1:7: expected a quoted string after \"%s\""},
        ErrorRow{"MissingHexDigit", "a = %x\n", "t:1:7: expected a hexadecimal digit"},
        ErrorRow{"BinaryDigitTwo", "a = %b2\n", "t:1:7: expected a binary digit"},
        ErrorRow{"RangeEndMissing", "a = %d65-\n", "t:1:10: expected a decimal digit"},
        ErrorRow{"SequenceValueMissing", "a = %x0D.\n", "t:1:10: expected a hexadecimal digit"},
        ErrorRow{"ReversedRange", "a = %x5A-41\n",
                 "t:1:5: the range's start is greater than its end"},
        ErrorRow{"ValueTooLarge", "a = %x100000000\n", "t:1:7: numeric value too large"},
        ErrorRow{"RangeThenSequence", "a = %x41-42.43\n", "t:1:12: unexpected character '.'"},
        ErrorRow{"RepeatMinOverMax", "a = 5*3b\n",
                 "t:1:5: the repeat's minimum is greater than its maximum"},
        ErrorRow{"RepeatTooLarge", "a = 4294967295b\n", "t:1:5: repeat count too large"},
        ErrorRow{"RepeatThenSpace", "a = 3 b\n",
                 "t:1:6: expected an element right after the repeat"},
        ErrorRow{"DoubleStar", "a = 1**b\n", "t:1:7: expected an element right after the repeat"},
        ErrorRow{"MissingSpace", "a = b\"c\"\n",
                 "t:1:6: expected white space between two elements"},
        ErrorRow{"UnclosedGroup", "a = (b / c\n", "t:1:11: expected ')'"},
        ErrorRow{"UnclosedOption", "a = [b\n    c\n", "t:2:6: expected ']'"},
        ErrorRow{"UnmatchedClose", "a = b)\n", "t:1:6: unmatched ')'"},
        ErrorRow{"DanglingSlash", "a = b\n    / \n", "t:2:7: expected an element"},
        ErrorRow{"BareCarriageReturn", "a = b\rc\n",
                 "t:1:6: unexpected carriage return without a line feed"},
        ErrorRow{"NulByte", std::string("a = \0\n", 6),
                 "t:1:5: expected an element, found byte 0x00"},
        ErrorRow{"ImportInsideRule", "a = b ; @import x Y\n",
                 "t:1:7: an @import must be on a line of its own, outside a rule"},
        ErrorRow{"ImportOnContinuationLine", "a = b\n  ; @import x Y\n",
                 "t:2:3: an @import must be on a line of its own, outside a rule"},
        ErrorRow{"ImportWithoutNames", "; @import core\n",
                 "t:1:15: expected the names of the imported rules after the file name"},
        ErrorRow{"ImportWithoutFile", "; @import\n", "t:1:10: expected a file name after @import"},
        ErrorRow{"ImportGlued", "; @importcore A\n", "t:1:10: expected white space after @import"},
        ErrorRow{"ImportBadRuleName", "; @import core AL_PHA\n",
                 "t:1:16: invalid rule name in @import"},
        ErrorRow{"ImportBadFileName", "; @import a/b A\n", "t:1:11: invalid file name in @import"},
        ErrorRow{"NestedTooDeep", "a = " + std::string(201, '(') + "b" + std::string(201, ')'),
                 "t:1:205: groups and options nested more than 200 deep"}),
    [](testing::TestParamInfo<ErrorRow> const& row) { return std::string(row.param.id); });

TEST(AbnfReader, AcceptsNestingUpToTheLimit) {
    std::string const text = "a = " + std::string(kMaxNesting, '[') + "b" +
                             std::string(kMaxNesting, ']') + "\nb = \"b\"\n";
    EXPECT_EQ(read_ok(text).rules.size(), 2U);
}

TEST(AbnfReader, ResumesAtTheNextRuleAfterAnError) {
    ReadResult const r = read("a = (b\n"
                              "    c d\n"
                              "    e\n"
                              "ok = \"fine\"\n"
                              "b = %x\n"
                              "c = \"x\n"
                              "  \"y\"\n"
                              "   ; comment\n"
                              "d = e\n",
                              "t");
    EXPECT_FALSE(r.file.has_value());
    ASSERT_EQ(r.errors.size(), 3U) << errors_of(r.errors);
    EXPECT_EQ(r.errors[0].to_string(), "t:3:6: expected ')'");
    EXPECT_EQ(r.errors[1].to_string(), "t:5:7: expected a hexadecimal digit");
    EXPECT_EQ(r.errors[2].to_string(), "t:6:5: unterminated quoted string");
}

std::string first_link_error(std::vector<std::pair<std::string, std::string>> const& texts) {
    LinkResult const r = link(read_all(texts));
    EXPECT_FALSE(r.grammar.has_value());
    return r.errors.empty() ? "(no error)" : r.errors.front().to_string();
}

TEST(AbnfLinker, ReportsUndefinedRules) {
    EXPECT_EQ(first_link_error({{"t", "a = b\n"}}), "t:1:5: undefined rule 'b'");
    EXPECT_EQ(first_link_error({{"core", "ALPHA = %x41\n"}, {"t", "a = \"x\" alpha\n"}}),
              "t:1:9: undefined rule 'alpha' (it is defined in 'core': add it to an @import)");
}

TEST(AbnfLinker, ReportsBadImports) {
    EXPECT_EQ(first_link_error({{"t", "; @import nope X\na = X\n"}}),
              "t:1:1: @import of 'nope', which is not loaded");
    EXPECT_EQ(first_link_error({{"core", "A = %x41\n"}, {"t", "\n; @import core A B\nr = A B\n"}}),
              "t:2:1: @import of 'B', which 'core' does not define");
    EXPECT_EQ(first_link_error({{"core", "A = %x41\n"}, {"t", "; @import core A\na = \"a\"\n"}}),
              "t:1:1: @import of 'A' clashes with the local rule");
    EXPECT_EQ(first_link_error({{"x", "A = %x41\n"},
                                {"y", "A = %x42\n"},
                                {"t", "; @import x A\n; @import y A\nb = A\n"}}),
              "t:2:1: @import of 'A' clashes with the import of x:a");
    EXPECT_EQ(first_link_error({{"x", "A = %x41\n"}, {"x", "B = %x42\n"}}),
              "x: file 'x' is loaded twice");
}

TEST(AbnfLinker, ReportsDuplicateAndMisplacedDefinitions) {
    EXPECT_EQ(first_link_error({{"t", "a = \"x\"\nA = \"y\"\n"}}),
              "t:2:1: rule 'A' is already defined with \"=\" at 1:1");
    EXPECT_EQ(first_link_error({{"t", "a =/ \"x\"\n"}}),
              "t:1:1: \"=/\" extends 'a', which is neither defined above nor imported");
    EXPECT_EQ(first_link_error({{"t", "b = \"y\"\na =/ \"x\"\na = \"y\"\n"}}),
              "t:2:1: \"=/\" before the \"=\" definition of 'a' at 3:1");
    EXPECT_EQ(first_link_error({{"core", "a = \"x\"\n"}, {"t", "a =/ \"y\"\n"}}),
              "t:1:1: \"=/\" extends 'a', which is neither defined above nor imported (it is "
              "defined in 'core': add it to an @import)");
}

TEST(AbnfLinker, MergesLocalIncrementalAlternativesAfterTheDefinition) {
    LinkResult const r = link(read_all({{"t", "a = \"x\" / \"y\"\n"
                                              "a =/ \"z\"\n"
                                              "b = \"p\" q\n"
                                              "B =/ \"r\" / q\n"
                                              "q = \"q\"\n"}}));
    ASSERT_TRUE(r.grammar.has_value()) << errors_of(r.errors);
    EXPECT_EQ(print(r.grammar->find("t:a")->definition), "\"x\" / \"y\" / \"z\"");
    EXPECT_EQ(print(r.grammar->find("t:b")->definition), "\"p\" t:q / \"r\" / t:q");
    EXPECT_EQ(r.grammar->find("t:b")->name, "b");
    EXPECT_EQ(r.grammar->find("t:b")->where, (SourcePos{"t", 3, 1}));
}

// RFC 6531 extends RFC 5321's rules in the SMTPUTF8 grammar only: the extension applies where
// the extending file is loaded, and its references resolve in the extending file.
TEST(AbnfLinker, ExtendsAnImportedRuleAcrossFiles) {
    std::pair<std::string, std::string> const base{"base", "Sub-domain = Let\n"
                                                           "let = %x41-5A\n"
                                                           "top = 1*sub-domain\n"};
    std::pair<std::string, std::string> const ext{"ext", "; @import base sub-domain\n"
                                                         "sub-domain =/ Let / utf8\n"
                                                         "let = \"x\"\n"
                                                         "utf8 = %x80-FF\n"};
    LinkResult const alone = link(read_all({base}));
    ASSERT_TRUE(alone.grammar.has_value()) << errors_of(alone.errors);
    EXPECT_EQ(print(alone.grammar->find("base:sub-domain")->definition), "base:let");

    LinkResult const both = link(read_all({base, ext}));
    ASSERT_TRUE(both.grammar.has_value()) << errors_of(both.errors);
    Grammar const& g = *both.grammar;
    EXPECT_EQ(print(g.find("base:sub-domain")->definition), "base:let / ext:let / ext:utf8");
    EXPECT_EQ(g.find("base:sub-domain")->file, "base");
    EXPECT_EQ(g.find("ext:sub-domain"), nullptr);
    EXPECT_EQ(g.resolve("ext", "SUB-DOMAIN"), "base:sub-domain");
    EXPECT_EQ(g.resolve("base", "utf8"), std::nullopt);
    EXPECT_EQ(print(g.find("base:top")->definition), "1*base:sub-domain");
    EXPECT_EQ(g.files, (std::vector<std::string>{"base", "ext"}));
}

TEST(AbnfLinker, KeysAreCaseInsensitiveNames) {
    EXPECT_EQ(make_key("rfc5321", "Domain"), "rfc5321:domain");
    LinkResult const r = link(read_all({{"t", "A = b\nB = \"x\"\n"}}));
    ASSERT_TRUE(r.grammar.has_value()) << errors_of(r.errors);
    EXPECT_EQ(r.grammar->find("t:a")->definition.name, "t:b");
    EXPECT_EQ(r.grammar->resolve("t", "a"), "t:a");
    EXPECT_EQ(r.grammar->resolve("nope", "a"), std::nullopt);
    EXPECT_EQ(r.grammar->find("t:nope"), nullptr);
}

TEST(AbnfLinker, LoadReportsUnreadableFilesAndReadErrorsWithTheirPath) {
    LinkResult const missing = load({"/nonexistent/x.abnf"});
    ASSERT_EQ(missing.errors.size(), 1U);
    EXPECT_EQ(missing.errors[0].to_string(), "/nonexistent/x.abnf: cannot open the file");
    EXPECT_FALSE(missing.grammar.has_value());
}

} // namespace
} // namespace smtpd::abnf
