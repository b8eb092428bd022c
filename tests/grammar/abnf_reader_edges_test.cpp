// Unit tests of the ABNF reader's and linker's less travelled paths (grammar/reader/): bytes at
// the edges of the character classes, a file that ends inside a comment or an @import, lone
// carriage returns, an @import inside a rule at each place white space may be, errors in the
// second element of a sequence, recovery over continuation lines, importing a rule twice, and
// load() reporting a file's read errors with its path. Depends on: reader/abnf.hpp, GoogleTest.
#include "reader/abnf.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::abnf {
namespace {

std::string errors_of(std::vector<Error> const& errors) {
    std::string out;
    for (Error const& e : errors) {
        out += e.to_string() + "\n";
    }
    return out;
}

RuleFile read_ok(std::string_view text) {
    ReadResult r = read(text, "t");
    EXPECT_TRUE(r.file.has_value()) << text << "\n" << errors_of(r.errors);
    return r.file ? std::move(*r.file) : RuleFile{};
}

struct EdgeRow {
    std::string_view id;
    std::string text;
    std::string_view errors; ///< every error, one a line
};

class AbnfReaderEdges : public testing::TestWithParam<EdgeRow> {};

TEST_P(AbnfReaderEdges, ReportsEveryErrorAtItsPosition) {
    ReadResult const r = read(GetParam().text, "t");
    EXPECT_FALSE(r.file.has_value());
    EXPECT_EQ(errors_of(r.errors), GetParam().errors) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Table, AbnfReaderEdges,
    testing::Values(
        EdgeRow{"BraceStartsNoRule", "{a} = b\n", "t:1:1: expected a rule name\n"},
        EdgeRow{"HexDigitBeyondF", "a = %x4g\n",
                "t:1:8: expected white space between two elements\n"},
        EdgeRow{"DeleteByte", "a = b \x7F\n", "t:1:7: unexpected byte 0x7F\n"},
        EdgeRow{"EightBitByte", "a = b \xC3\n", "t:1:7: unexpected byte 0xC3\n"},
        EdgeRow{"LoneCarriageReturnInComment", "; note\rmore\n",
                "t:1:7: unexpected carriage return without a line feed\n"},
        EdgeRow{"LoneCarriageReturnAfterImport", "; @import f a\rb\n",
                "t:1:14: unexpected carriage return without a line feed\n"},
        EdgeRow{"LoneCarriageReturnInQuote", "a = \"x\ry\"\n",
                "t:1:5: unterminated quoted string\n"},
        EdgeRow{"ControlByteInProse", "a = <x\x01y>\n",
                "t:1:7: only space and visible ASCII may be in a prose value\n"},
        EdgeRow{"ImportRuleNameStartsWithDigit", "; @import f 1a\n",
                "t:1:13: invalid rule name in @import\n"},
        EdgeRow{"ImportBeforeDefinedAs", "a ; @import f x\n  = b\n",
                "t:1:3: an @import must be on a line of its own, outside a rule\n"},
        EdgeRow{"ImportAfterDefinedAs", "a = ; @import f x\n  b\n",
                "t:1:5: an @import must be on a line of its own, outside a rule\n"},
        EdgeRow{"ImportAfterSlash", "a = b / ; @import f x\n  c\n",
                "t:1:9: an @import must be on a line of its own, outside a rule\n"},
        EdgeRow{"ImportInsideGroup", "a = ( ; @import f x\n  b )\n",
                "t:1:7: an @import must be on a line of its own, outside a rule\n"},
        EdgeRow{"BadSecondElement", "a = b %q\n", "t:1:8: expected b, d, x, s or i after '%'\n"},
        EdgeRow{"BadRepeatedElement", "a = 2%q\n", "t:1:7: expected b, d, x, s or i after '%'\n"},
        EdgeRow{"UnmatchedBracket", "a = b ]\n", "t:1:7: unmatched ']'\n"},
        EdgeRow{"RepeatMaxTooLarge", "a = 1*4294967295b\n", "t:1:7: repeat count too large\n"},
        // Recovery skips the rest of the rule, continuation lines included, then reads on.
        EdgeRow{"RecoverySkipsContinuationLines", "a = )\n  ) )\n\tb )\nb = c\nd = =\n",
                "t:1:5: expected an element, found character ')'\nt:5:5: expected an element, "
                "found character '='\n"}),
    [](testing::TestParamInfo<EdgeRow> const& row) { return std::string(row.param.id); });

TEST(AbnfReader, AcceptsCommentsAndImportsThatEndTheFileWithoutALineEnd) {
    RuleFile const commented = read_ok("a = b\n; the end");
    ASSERT_EQ(commented.rules.size(), 1U);
    EXPECT_EQ(print(commented), "a = b\n");
    RuleFile const imported = read_ok("a = b\n; @import my_file.v2 x Y-1");
    ASSERT_EQ(imported.imports.size(), 1U);
    EXPECT_EQ(imported.imports[0].file, "my_file.v2");
    EXPECT_EQ(imported.imports[0].names, (std::vector<std::string>{"x", "Y-1"}));
    EXPECT_EQ(imported.imports[0].where, (SourcePos{"t", 2, 1}));
}

TEST(AbnfReader, AcceptsBlankLinesOfWhiteSpaceBeforeTheFirstRule) {
    RuleFile const f = read_ok("  \t\n\t; a comment\n\na = b\n");
    ASSERT_EQ(f.rules.size(), 1U);
    EXPECT_EQ(f.rules[0].where, (SourcePos{"t", 4, 1}));
}

TEST(AbnfReader, ReadsARepeatCountAfterAnotherElement) {
    RuleFile const f = read_ok("a = b 2c 3*d\n");
    ASSERT_EQ(f.rules.size(), 1U);
    Node const& cat = f.rules[0].definition;
    ASSERT_EQ(cat.kind, NodeKind::Concatenation);
    ASSERT_EQ(cat.children.size(), 3U);
    EXPECT_EQ(cat.children[1].kind, NodeKind::Repetition);
    EXPECT_EQ(cat.children[1].min, 2U);
    EXPECT_EQ(cat.children[1].max, 2U);
    EXPECT_EQ(cat.children[2].max, kUnbounded);
    EXPECT_EQ(print(cat), "b 2c 3*d");
}

TEST(AbnfLinker, ImportingTheSameRuleTwiceIsNoClash) {
    ReadResult const core = read("A = %x41\n", "core");
    ReadResult const user = read("; @import core A\n; @import core a\nb = A a\n", "t");
    ASSERT_TRUE(core.file && user.file);
    LinkResult const r = link({*core.file, *user.file});
    ASSERT_TRUE(r.grammar.has_value()) << errors_of(r.errors);
    EXPECT_EQ(print(r.grammar->find("t:b")->definition), "core:a core:a");
}

TEST(AbnfLinker, LoadReportsReadErrorsWithThePathAndLinksNothing) {
    std::filesystem::path const dir =
        std::filesystem::path(testing::TempDir()) / "abnf_reader_edges_test";
    std::filesystem::create_directories(dir);
    std::filesystem::path const good = dir / "good.abnf";
    std::filesystem::path const bad = dir / "bad.abnf";
    std::ofstream(good) << "a = \"a\"\n";
    std::ofstream(bad) << "b = \"b\"\nc = %q\n";
    LinkResult const r = load({good.string(), bad.string()});
    EXPECT_FALSE(r.grammar.has_value());
    EXPECT_EQ(errors_of(r.errors), bad.string() + ":2:6: expected b, d, x, s or i after '%'\n");
    LinkResult const ok = load({good.string()});
    ASSERT_TRUE(ok.grammar.has_value()) << errors_of(ok.errors);
    EXPECT_NE(ok.grammar->find("good:a"), nullptr);
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace smtpd::abnf
