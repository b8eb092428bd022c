// Tests of parse_table_file (grammar/conf/table_file.hpp): table(5) "file:" tables, list and
// mapping forms, comments, OpenSMTPD's ':' separator, and the line:column of errors.
// Depends on: grammar/conf/table_file.hpp, GoogleTest.
#include "conf/table_file.hpp"

#include <gtest/gtest.h>

namespace smtpd::conf {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TableData parse_ok(std::string_view text) {
    TableResult r = parse_table_file(text, "aliases");
    EXPECT_FALSE(r.error.has_value()) << (r.error ? r.error->to_string() : "");
    return r.table.value_or(TableData{});
}

TEST(TableFile, EmptyFileIsAnEmptyTable) {
    TableData t = parse_ok("");
    EXPECT_TRUE(t.list.empty());
    EXPECT_TRUE(t.map.empty());
}

TEST(TableFile, ListEntries) {
    TableData t = parse_ok("example.org\n  example.net  \n\n# comment\n\tlast");
    EXPECT_EQ(t.list, (std::vector<std::string>{"example.org", "example.net", "last"}));
    EXPECT_TRUE(t.map.empty());
}

TEST(TableFile, MappingValueRunsToEndOfLine) {
    TableData t = parse_ok("root  bob, alice\npostmaster\troot\n");
    EXPECT_EQ(t.map, (Pairs{{"root", "bob, alice"}, {"postmaster", "root"}}));
    EXPECT_TRUE(t.list.empty());
}

TEST(TableFile, ColonSeparatorAsInAliasesFiles) {
    TableData t = parse_ok("root: bob\nabuse:root\nweb:  a:b\n");
    EXPECT_EQ(t.map, (Pairs{{"root", "bob"}, {"abuse", "root"}, {"web", "a:b"}}));
}

TEST(TableFile, HashOnlyStartsACommentAtTheStartOfALine) {
    TableData t = parse_ok("  # indented comment\nkey value # not a comment\n");
    EXPECT_EQ(t.map, (Pairs{{"key", "value # not a comment"}}));
}

TEST(TableFile, CrLfLinesAndTrailingBlanksAreTrimmed) {
    TableData t = parse_ok("a b \r\nc d\r\n");
    EXPECT_EQ(t.map, (Pairs{{"a", "b"}, {"c", "d"}}));
}

TEST(TableFile, ListEntryInMappingIsAnErrorWithPosition) {
    TableResult r = parse_table_file("a b\n\n  lonely\n", "t");
    ASSERT_TRUE(r.error.has_value());
    EXPECT_FALSE(r.table.has_value());
    EXPECT_EQ(r.error->to_string(), "t:3:3: list entry \"lonely\" in a table of key-value "
                                    "entries (the first entry, at line 1, has a value)");
}

TEST(TableFile, InAListEveryLineIsOneKeyWhole) {
    // util.c parse_table_line: once the first entry has no value, no later line is split, so an
    // IPv6 block or "key value" text is a key as written.
    TableResult r = parse_table_file("# list\none\n two 2\n2001:db8::/32\n:x\n", "t");
    ASSERT_TRUE(r.table.has_value());
    EXPECT_EQ(r.table->list, (std::vector<std::string>{"one", "two 2", "2001:db8::/32", ":x"}));
}

TEST(TableFile, EmptyKeyIsAnError) {
    TableResult r = parse_table_file("ok yes\n:value\n", "t");
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->to_string(), "t:2:1: empty key");
}

TEST(TableFile, NulByteIsAnError) {
    TableResult r = parse_table_file(std::string("a\nb\0c\n", 6), "t");
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->to_string(), "t:2:2: NUL byte in table file");
}

TEST(TableFile, InvalidUtf8IsOpaqueData) {
    TableData t = parse_ok("caf\xc3 \xff\xfe\n");
    EXPECT_EQ(t.map, (Pairs{{"caf\xc3", "\xff\xfe"}}));
}

TEST(TableFile, VerticalTabAndFormFeedAreBlanks) {
    TableData t = parse_ok("\v\fkey\v value\f\v\n");
    EXPECT_EQ(t.map, (Pairs{{"key\v", "value"}}));
    EXPECT_EQ(parse_ok("\fsolo\v\n").list, (std::vector<std::string>{"solo"}));
}

TEST(TableFile, ColonAfterBlanksIsASeparatorOnlyBeforeABlank) {
    // As table_static.c: ": " between key and value is skipped, a ':' before anything else
    // starts the value.
    TableData t = parse_ok("root : bob\nweb :x\nabuse :\n");
    EXPECT_EQ(t.map, (Pairs{{"root", "bob"}, {"web", ":x"}, {"abuse", ":"}}));
}

} // namespace
} // namespace smtpd::conf
