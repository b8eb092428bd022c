// Unit tests of the ABNF printer and the structural comparison (grammar/reader/print.cpp) on
// trees the reader never builds: hand-built nestings that need parentheses, childless elements,
// a file of imports only; same_structure telling apart trees that differ in any one field but
// their positions; and SourcePos equality. Depends on: reader/abnf.hpp, GoogleTest.
#include "reader/abnf.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace smtpd::abnf {
namespace {

Node ref(std::string name) {
    Node n;
    n.kind = NodeKind::RuleRef;
    n.name = std::move(name);
    return n;
}

Node with(NodeKind kind, std::vector<Node> children) {
    Node n;
    n.kind = kind;
    n.children = std::move(children);
    return n;
}

Node repeat(unsigned min, unsigned max, Node child) {
    Node n = with(NodeKind::Repetition, {std::move(child)});
    n.min = min;
    n.max = max;
    return n;
}

RuleFile read_ok(std::string const& text) {
    ReadResult r = read(text, "t");
    EXPECT_TRUE(r.file.has_value()) << (r.errors.empty() ? "" : r.errors.front().to_string());
    return r.file ? std::move(*r.file) : RuleFile{};
}

TEST(AbnfPrinter, ParenthesisesNestedConcatenationsAndRepetitionsOfCompoundElements) {
    Node const pair = with(NodeKind::Concatenation, {ref("b"), ref("c")});
    EXPECT_EQ(print(with(NodeKind::Concatenation, {ref("a"), pair})), "a (b c)");
    Node const choice = with(NodeKind::Alternation, {ref("a"), ref("b")});
    EXPECT_EQ(print(with(NodeKind::Alternation, {choice, ref("c")})), "(a / b) / c");
    EXPECT_EQ(print(repeat(0, kUnbounded, choice)), "*(a / b)");
    EXPECT_EQ(print(repeat(2, 2, repeat(1, 3, ref("x")))), "2(1*3x)");
    // Each prints to text that reads back as the same tree shape (groups aside).
    ReadResult const again = read("r = " + print(repeat(2, 2, repeat(1, 3, ref("x")))), "t");
    ASSERT_TRUE(again.file.has_value());
    Node const& outer = again.file->rules.front().definition;
    ASSERT_EQ(outer.kind, NodeKind::Repetition);
    EXPECT_EQ(outer.children.front().kind, NodeKind::Group);
}

TEST(AbnfPrinter, PrintsChildlessElementsWithoutReadingPastThem) {
    EXPECT_EQ(print(with(NodeKind::Option, {})), "[]");
    EXPECT_EQ(print(with(NodeKind::Group, {})), "()");
    Node rep = with(NodeKind::Repetition, {});
    rep.min = 1;
    rep.max = kUnbounded;
    EXPECT_EQ(print(rep), "1*");
}

TEST(AbnfPrinter, AFileOfImportsOnlyHasNoBlankLine) {
    RuleFile const f = read_ok("; @import core ALPHA DIGIT\n; @import other X\n");
    EXPECT_EQ(print(f), "; @import core ALPHA DIGIT\n; @import other X\n");
    RuleFile const g = read_ok("; @import core ALPHA\na = ALPHA\n");
    EXPECT_EQ(print(g), "; @import core ALPHA\n\na = ALPHA\n");
}

TEST(AbnfSameStructure, TellsApartNodesThatDifferInAnyFieldButTheirPosition) {
    Node base = ref("x");
    base.where = SourcePos{"a", 1, 1};
    Node moved = base;
    moved.where = SourcePos{"b", 9, 9};
    EXPECT_TRUE(same_structure(base, moved));

    std::vector<std::pair<char const*, void (*)(Node&)>> const changes{
        {"kind", [](Node& n) { n.kind = NodeKind::ProseVal; }},
        {"min", [](Node& n) { n.min = 0; }},
        {"max", [](Node& n) { n.max = 7; }},
        {"name", [](Node& n) { n.name = "y"; }},
        {"text", [](Node& n) { n.text = "t"; }},
        {"case_sensitive", [](Node& n) { n.case_sensitive = true; }},
        {"explicit_insensitive", [](Node& n) { n.explicit_insensitive = true; }},
        {"base", [](Node& n) { n.base = 'd'; }},
        {"values", [](Node& n) { n.values = {1}; }},
        {"children", [](Node& n) { n.children = {ref("c")}; }},
    };
    for (auto const& [field, change] : changes) {
        Node other = base;
        change(other);
        EXPECT_FALSE(same_structure(base, other)) << field;
        EXPECT_FALSE(same_structure(other, base)) << field;
    }
    Node const left = with(NodeKind::Concatenation, {ref("a"), ref("b")});
    Node const right = with(NodeKind::Concatenation, {ref("a"), ref("c")});
    EXPECT_FALSE(same_structure(left, right)); // a difference deep down counts too
}

TEST(AbnfSameStructure, TellsApartFilesThatDifferInNameImportsOrRules) {
    RuleFile const base = read_ok("; @import core A\nr = A\ns = \"x\"\n");
    std::vector<std::pair<char const*, std::string>> const others{
        {"import count", "r = A\ns = \"x\"\n"},
        {"import file", "; @import kernel A\nr = A\ns = \"x\"\n"},
        {"import names", "; @import core A B\nr = A\ns = \"x\"\n"},
        {"rule count", "; @import core A\nr = A\n"},
        {"rule name", "; @import core A\nq = A\ns = \"x\"\n"},
        {"incremental", "; @import core A\nr =/ A\ns = \"x\"\n"},
        {"definition", "; @import core A\nr = A\ns = \"y\"\n"},
    };
    EXPECT_TRUE(same_structure(base, read_ok("; @import core A\n\nr  =  A\ns = \"x\" ; c\n")));
    for (auto const& [what, text] : others) {
        EXPECT_FALSE(same_structure(base, read_ok(text))) << what;
    }
    RuleFile renamed = base;
    renamed.name = "u";
    EXPECT_FALSE(same_structure(base, renamed));
}

TEST(AbnfSourcePos, EqualOnlyWhenFileLineAndColumnAllAgree) {
    SourcePos const p{"f", 3, 7};
    EXPECT_EQ(p, (SourcePos{"f", 3, 7}));
    EXPECT_FALSE(p == (SourcePos{"g", 3, 7}));
    EXPECT_FALSE(p == (SourcePos{"f", 4, 7}));
    EXPECT_FALSE(p == (SourcePos{"f", 3, 8}));
}

} // namespace
} // namespace smtpd::abnf
