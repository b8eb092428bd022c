// Tests of parse_config's errors: one table row per error kind with the exact
// "file:line:column: message" of the first error, plus recovery (several errors reported) and
// robustness (any bytes give errors with line and column >= 1, never a crash).
// Depends on: grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace smtpd::conf {
namespace {

struct ErrorCase {
    char const* id;
    std::string text;
    std::string first_error;
};

// clang-format off
ErrorCase const kErrorCases[] = {
    {"ListenWithoutOn", "listen\n", "smtpd.conf:1:7: expected \"on\" after \"listen\""},
    {"ListenWrongWord", "   listen  lo\n", "smtpd.conf:1:12: expected \"on\" after \"listen\""},
    {"ListenWithoutAddress", "listen on\n", "smtpd.conf:1:10: expected an address or interface after \"on\""},
    {"ListenPortZero", "listen on lo port 0\n", "smtpd.conf:1:19: invalid port \"0\": expected a number between 1 and 65535"},
    {"ListenPortTooBig", "listen on lo port 65536\n", "smtpd.conf:1:19: invalid port \"65536\": expected a number between 1 and 65535"},
    {"ListenPortNotANumber", "listen on lo port x25\n", "smtpd.conf:1:19: invalid port \"x25\": expected a number between 1 and 65535"},
    {"ListenPortMissing", "listen on lo port\n", "smtpd.conf:1:18: expected a port number after \"port\""},
    {"ListenTrailingGarbage", "listen on lo bar\n", "smtpd.conf:1:14: unexpected \"bar\" after \"lo\""},
    {"ListenPortTwice", "listen on lo port 25 port 26\n", "smtpd.conf:1:22: \"port\" already specified for this listener"},
    {"UnknownDirective", "listen on lo\n\n\n# c\n\nlisten on lo\nrelay via x\n", "smtpd.conf:7:1: unknown directive \"relay\""},
    {"UnsupportedDirective", "filter f proc-exec x\n", "smtpd.conf:1:1: directive \"filter\" is not implemented yet"},
    {"UndefinedMacro", "listen on $nope\n", "smtpd.conf:1:11: macro \"nope\" is not defined"},
    {"DollarWithoutName", "listen on $\n", "smtpd.conf:1:11: expected a macro name after \"$\""},
    {"UnterminatedString", "action \"x maildir\n", "smtpd.conf:1:8: unterminated quoted string"},
    {"UnterminatedBrace", "table t { a, b", "smtpd.conf:1:9: unterminated \"{\""},
    {"BraceNotClosedBeforeNextDirective", "table t { a\nlisten on lo\n", "smtpd.conf:2:1: expected \",\" or \"}\" after \"a\""},
    {"EmptyBraces", "table t {}\n", "smtpd.conf:1:10: expected a value after \"{\""},
    {"ListEntryInMap", "table t { a = b, c }\n", "smtpd.conf:1:20: expected \"=\" after \"c\""},
    {"MapEntryInList", "table t { a, b = c }\n", "smtpd.conf:1:16: expected \",\" or \"}\" after \"b\""},
    {"TableWithoutSource", "table t\n", "smtpd.conf:1:8: expected \"{\" or a table source after \"t\""},
    {"DuplicateTable", "table t { a }\ntable t { b }\n", "smtpd.conf:2:7: table \"t\" is already defined at line 1"},
    {"DuplicateAction", "action a maildir\naction a maildir\n", "smtpd.conf:2:8: action \"a\" is already defined at line 1"},
    {"UndefinedVirtualTable", "action x maildir virtual <nope>\n", "smtpd.conf:1:27: undefined table \"nope\" (tables must be declared before use)"},
    {"VirtualWithoutAngleBrackets", "action x maildir virtual nope\n", "smtpd.conf:1:26: expected a table reference \"<name>\" after \"virtual\""},
    {"MappingAsDomainTable", "table m { a = b }\naction a maildir\nmatch for domain <m> action a\n", "smtpd.conf:3:19: table \"m\" may not be used for domain lookups: it is a mapping, not a list"},
    {"ListAsVirtualTable", "table v { a, b }\naction a mbox virtual <v>\n", "smtpd.conf:2:24: table \"v\" may not be used for virtual lookups: it is a list, not a mapping"},
    {"ListAsUserbase", "table u { a }\naction a maildir userbase <u>\n", "smtpd.conf:2:28: table \"u\" may not be used for userbase lookups: it is a list, not a mapping"},
    {"ListAsAliasTable", "table l { a }\naction a maildir alias <l>\n", "smtpd.conf:2:25: table \"l\" may not be used for alias lookups: it is a list, not a mapping"},
    {"UndefinedDomainTable", "action a maildir\nmatch for domain <nope> action a\n", "smtpd.conf:2:19: undefined table \"nope\" (tables must be declared before use)"},
    {"ActionDeclaredAfterMatch", "match from any action \"later\"\naction later maildir\n", "smtpd.conf:1:23: undefined action \"later\" (an action must be declared before the match rules that use it)"},
    {"MatchFromUnknown", "action a maildir\nmatch from foo action a\n", "smtpd.conf:2:12: expected \"any\", \"local\", \"socket\", \"auth\", \"rdns\", \"src\" or \"mail-from\" after \"from\""},
    {"MatchDomainMissing", "action a maildir\nmatch for domain\n", "smtpd.conf:2:17: expected a match option, \"action\" or \"reject\" after \"domain\""},
    {"MatchDomainBeforeAction", "action a maildir\nmatch for domain action a\n", "smtpd.conf:2:11: expected a value or a table reference \"<name>\" after \"domain\""},
    {"MatchFromTwice", "action a maildir\nmatch from any from local action a\n", "smtpd.conf:2:16: \"from\" already specified for this match rule"},
    {"MatchFromAuthThenAuth", "action a maildir\nmatch from auth auth action a\n", "smtpd.conf:2:17: \"auth\" already specified for this match rule"},
    {"MatchForRcptToThenRcptTo", "action a maildir\nmatch for rcpt-to x rcpt-to y action a\n", "smtpd.conf:2:21: \"rcpt-to\" already specified for this match rule"},
    {"MatchTagTwice", "action a maildir\nmatch tag a ! tag b action a\n", "smtpd.conf:2:15: \"tag\" already specified for this match rule"},
    {"MatchTlsTwice", "action a maildir\nmatch tls !tls action a\n", "smtpd.conf:2:12: \"tls\" already specified for this match rule"},
    {"MatchHeloWithoutTable", "action a maildir\nmatch helo action a\n", "smtpd.conf:2:7: expected a value or a table reference \"<name>\" after \"helo\""},
    {"MatchSrcWithoutTable", "action a maildir\nmatch from src for any action a\n", "smtpd.conf:2:12: expected a value or a table reference \"<name>\" after \"src\""},
    {"MatchRegexWithoutTable", "action a maildir\nmatch mail-from regex action a\n", "smtpd.conf:2:17: expected a value or a table reference \"<name>\" after \"regex\""},
    {"MatchFromAnyWithTable", "action a maildir\nmatch from any foo action a\n", "smtpd.conf:2:16: unexpected \"foo\" after \"any\""},
    {"MatchFromSocket", "action a maildir\nmatch from socket action a\n", "smtpd.conf:2:12: \"from socket\" is not implemented yet"},
    {"MatchSrcMapping", "table m { a = b }\naction a maildir\nmatch from src <m> action a\n", "smtpd.conf:3:17: table \"m\" may not be used for from lookups: it is a mapping, not a list"},
    {"MatchRcptToRegexMapping", "table m { a = b }\naction a maildir\nmatch rcpt-to regex <m> action a\n", "smtpd.conf:3:22: table \"m\" may not be used for rcpt-to lookups: it is a mapping, not a list"},
    {"MatchUndefinedTagTable", "action a maildir\nmatch tag <nope> action a\n", "smtpd.conf:2:12: undefined table \"nope\" (tables must be declared before use)"},
    {"MatchNegationAlone", "action a maildir\nmatch ! action a\n", "smtpd.conf:2:7: expected a match option, \"action\" or \"reject\" after \"match\""},
    {"MatchRejectWithName", "action a maildir\nmatch for any reject a\n", "smtpd.conf:2:22: unexpected \"a\" after \"reject\""},
    {"MatchWithoutAction", "action a maildir\nmatch from any for any\n", "smtpd.conf:2:23: expected a match option, \"action\" or \"reject\" after \"any\""},
    {"ListenTagTwice", "listen on 127.0.0.1 tag a tag b\n", "smtpd.conf:1:27: \"tag\" already specified for this listener"},
    {"ListenTagTooLong", "listen on 127.0.0.1 tag " + std::string(33, 't') + "\n", "smtpd.conf:1:25: tag name too long"},
    {"ListenTagMissing", "listen on 127.0.0.1 tag\n", "smtpd.conf:1:24: expected a tag name after \"tag\""},
    {"MacroNamedLikeKeyword", "listen = lo\n", "smtpd.conf:1:1: macro name \"listen\" is a keyword"},
    {"MacroNameWithDash", "\"a-b\" = x\n", "smtpd.conf:1:1: invalid macro name \"a-b\": only letters, digits and \"_\" are allowed"},
    {"MacroWithoutValue", "a =\n", "smtpd.conf:1:4: expected a macro value after \"=\""},
    {"QuotedStringWithoutAssignment", "\"foo\" bar\n", "smtpd.conf:1:7: expected \"=\" after \"foo\""},
    {"UnsupportedMethod", "action x smtp\n", "smtpd.conf:1:10: expected a delivery method (\"maildir\", \"mbox\", \"lmtp\", \"mda\", \"forward-only\", \"expand-only\" or \"relay\") after \"x\""},
    {"BareKeywordAsName", "action local maildir\n", "smtpd.conf:1:8: expected an action name after \"action\""},
    {"BadMaildirFormat", "action x maildir \"%{rcpt.nope}\"\n", "smtpd.conf:1:18: invalid maildir path \"%{rcpt.nope}\": unknown variable \"rcpt.nope\""},
    {"SmtpWithoutLimit", "smtp max-mails 5\n", "smtpd.conf:1:6: expected \"limit\", \"max-message-size\", \"ciphers\" or \"sub-addr-delim\" after \"smtp\""},
    {"SmtpLimitWithoutPair", "smtp limit\n", "smtpd.conf:1:11: expected a session limit after \"limit\""},
    {"SmtpLimitUnknownName", "smtp limit max-conn 5\n", "smtpd.conf:1:12: invalid session limit \"max-conn\": expected \"max-rcpt\" or \"max-mails\""},
    {"SmtpLimitWithoutNumber", "smtp limit max-mails\n", "smtpd.conf:1:21: expected a number after \"max-mails\""},
    {"SmtpLimitZero", "smtp limit max-rcpt 0\n", "smtpd.conf:1:21: invalid max-rcpt \"0\": expected a number between 1 and 1000000"},
    {"SmtpLimitNotANumber", "smtp limit max-mails -3\n", "smtpd.conf:1:22: invalid max-mails \"-3\": expected a number between 1 and 1000000"},
    {"UnsupportedTableBackend", "table t ldap:/etc/x.conf\n", "smtpd.conf:1:9: unsupported table backend \"ldap\": expected \"file\", \"db\", \"getpwnam\" or \"proc\""},
    {"DbTableRelativePath", "table t db:x.db\n", "smtpd.conf:1:9: invalid table source \"db:x.db\": the file path must be absolute"},
    {"ProcTableByName", "table t proc:table-ldap\n", "smtpd.conf:1:9: invalid table source \"proc:table-ldap\": the table process must be an absolute path"},
    {"GetpwnamWithParameter", "table t getpwnam:/etc/passwd\n", "smtpd.conf:1:9: invalid table source \"getpwnam:/etc/passwd\": the getpwnam backend takes no parameter"},
    {"GetpwnamAsAliases", "table pw getpwnam\naction a mbox alias <pw>\n", "smtpd.conf:2:22: table \"pw\" may not be used for alias lookups: the getpwnam backend cannot serve alias lookups"},
    {"GetpwnamAsDomains", "table pw getpwnam\naction a mbox\nmatch for domain <pw> action a\n", "smtpd.conf:3:19: table \"pw\" may not be used for domain lookups: the getpwnam backend cannot serve domain lookups"},
    {"RelativeTableFile", "table t file:relative\n", "smtpd.conf:1:9: invalid table source \"file:relative\": the file path must be absolute"},
    {"TableSourceWithoutBackend", "table t foo\n", "smtpd.conf:1:9: unsupported table backend \"foo\": expected \"file\", \"db\", \"getpwnam\" or \"proc\""},
    {"CarriageReturn", "listen on lo\r\n", "smtpd.conf:1:13: unexpected byte 0x0D"},
    {"NulOutsideQuotes", std::string("listen\0on lo\n", 13), "smtpd.conf:1:7: unexpected byte 0x00"},
    {"NulInsideQuotes", std::string("action \"a\0b\" maildir\n", 21), "smtpd.conf:1:10: NUL byte in quoted string"},
    {"NonAsciiBareWord", "listen on caf\xc3\xa9\n", "smtpd.conf:1:14: unexpected byte 0xC3"},
    {"ErrorInMacroValueIsAtTheDollar", "p = abc\nlisten on lo port $p\n", "smtpd.conf:2:19: invalid port \"abc\": expected a number between 1 and 65535"},
    {"ColumnAfterContinuation", "listen on lo \\\n   bar\n", "smtpd.conf:2:4: unexpected \"bar\" after \"lo\""},
    {"StringTooLong", "listen on " + std::string(9000, 'a') + "\n", "smtpd.conf:1:11: string too long"},
    {"GarbageAfterBrace", "table t { a } b\n", "smtpd.conf:1:15: unexpected \"b\" after \"}\""},
    {"StrayClosingBrace", "}\n", "smtpd.conf:1:1: unexpected \"}\""},
    {"OpeningBraceAtStart", "{ a }\n", "smtpd.conf:1:1: unexpected \"{\""},
    {"EmptyDomain", "action a maildir\nmatch for domain \"\" action a\n", "smtpd.conf:2:18: empty domain"},
    {"ListenEmptyAddress", "listen on \"\"\n", "smtpd.conf:1:11: empty address or interface"},
    {"ListenPortEmpty", "listen on lo port \"\"\n", "smtpd.conf:1:19: invalid port \"\": expected a number between 1 and 65535"},
    {"ListenAtEndOfFileWithoutAddress", "listen on", "smtpd.conf:1:10: expected an address or interface after \"on\""},
    {"SmtpLimitEmptyNumber", "smtp limit max-rcpt ''\n", "smtpd.conf:1:21: expected a number after \"max-rcpt\""},
    {"MacroNameEmpty", "\"\" = x\n", "smtpd.conf:1:1: invalid macro name \"\": only letters, digits and \"_\" are allowed"},
    {"MacroNameWithTilde", "a~b = x\n", "smtpd.conf:1:1: invalid macro name \"a~b\": only letters, digits and \"_\" are allowed"},
    {"MacroNameWithCaret", "\"A^B\" = x\n", "smtpd.conf:1:1: invalid macro name \"A^B\": only letters, digits and \"_\" are allowed"},
    {"QuotedKeywordAsMacroName", "\"listen\" = lo\n", "smtpd.conf:1:1: macro name \"listen\" is a keyword"},
    {"TableEmptyName", "table \"\" { a }\n", "smtpd.conf:1:7: empty table name"},
    {"TableEmptySource", "table t \"\"\n", "smtpd.conf:1:9: unsupported table backend \"\": expected \"file\", \"db\", \"getpwnam\" or \"proc\""},
    {"TableFileWithoutPath", "table t file:\n", "smtpd.conf:1:9: invalid table source \"file:\": the file path must be absolute"},
    {"ActionEmptyName", "action \"\" maildir\n", "smtpd.conf:1:8: empty action name"},
    {"LongNameIsCutShortInMessages", "action x maildir virtual <" + std::string(61, 'n') + ">\n", "smtpd.conf:1:27: undefined table \"" + std::string(60, 'n') + "...\" (tables must be declared before use)"},
    {"DeleteByte", "listen on lo\x7f\n", "smtpd.conf:1:13: unexpected byte 0x7F"},
    {"QuotedStringTooLong", "listen on \"" + std::string(8097, 'a') + "\"\n", "smtpd.conf:1:11: string too long"},
    {"MacroNameTooLong", "listen on $" + std::string(8097, 'm') + "\n", "smtpd.conf:1:11: string too long"},
};
// clang-format on

void PrintTo(ErrorCase const& c, std::ostream* os) {
    *os << c.id;
}

class ConfErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfErrors, FirstErrorHasExactPositionAndMessage) {
    ConfResult r = parse_config(GetParam().text, "smtpd.conf");
    EXPECT_FALSE(r.ok());
    ASSERT_FALSE(r.errors.empty());
    EXPECT_EQ(r.errors[0].to_string(), GetParam().first_error);
}

INSTANTIATE_TEST_SUITE_P(Rows, ConfErrors, ::testing::ValuesIn(kErrorCases),
                         [](auto const& info) { return std::string(info.param.id); });

std::vector<std::string> all_errors(std::string_view text) {
    std::vector<std::string> out;
    for (auto const& e : parse_config(text, "smtpd.conf").errors) {
        out.push_back(e.to_string());
    }
    return out;
}

TEST(ConfRecovery, ReportsEveryErrorAndGoesOnAtTheNextLine) {
    EXPECT_EQ(all_errors("listen\nlisten on lo\nrelay\naction a procmail\nlisten on $x\n"
                         "listen on lo port 0\n"),
              (std::vector<std::string>{
                  "smtpd.conf:1:7: expected \"on\" after \"listen\"",
                  "smtpd.conf:3:1: unknown directive \"relay\"",
                  std::string("smtpd.conf:4:10: expected a delivery method (\"maildir\", ") +
                      "\"mbox\", \"lmtp\", \"mda\", \"forward-only\", \"expand-only\" or "
                      "\"relay\") after \"a\"",
                  "smtpd.conf:5:11: macro \"x\" is not defined",
                  "smtpd.conf:6:19: invalid port \"0\": expected a number between 1 and 65535",
              }));
}

TEST(ConfRecovery, UnclosedBraceDoesNotHideTheNextDirectives) {
    EXPECT_EQ(all_errors("table t { a\nlisten on lo\nrelay\n"),
              (std::vector<std::string>{
                  "smtpd.conf:2:1: expected \",\" or \"}\" after \"a\"",
                  "smtpd.conf:3:1: unknown directive \"relay\"",
              }));
}

TEST(ConfRecovery, ErrorInsideBracesResumesOnTheNextLine) {
    auto const errors = all_errors("table t {\n a =\n}\nlisten on lo\nrelay\n");
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(errors[0], "smtpd.conf:2:5: expected a value after \"=\"");
    EXPECT_EQ(errors[1], "smtpd.conf:3:1: unexpected \"}\"");
    EXPECT_EQ(errors[2], "smtpd.conf:5:1: unknown directive \"relay\"");
}

TEST(ConfRecovery, AStringUnterminatedAtTheEndIsReportedAtItsQuote) {
    // OpenSMTPD reads on over newlines for the closing quote; at the end of the file the error
    // is at the quote that opened the string (where 6.8 reports it too).
    EXPECT_EQ(all_errors("listen on lo\naction \"a maildir\nrelay\n"),
              (std::vector<std::string>{"smtpd.conf:2:8: unterminated quoted string"}));
    // A quote further on closes it: the error is where the grammar then fails (tests/conf/).
    EXPECT_EQ(all_errors("action \"local mbox\nmatch for local action \"local\"\n"),
              (std::vector<std::string>{
                  "smtpd.conf:2:25: expected a delivery method (\"maildir\", \"mbox\", \"lmtp\", "
                  "\"mda\", \"forward-only\", \"expand-only\" or \"relay\") after \"local "
                  "mboxmatch for local "
                  "action \""}));
}

TEST(ConfRecovery, AStatementWithAnErrorAddsNothing) {
    ConfResult r = parse_config("table t { a }\naction x maildir virtual <nope>\n"
                                "match for any action x\n",
                                "smtpd.conf");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_EQ(r.errors[1].to_string(),
              "smtpd.conf:3:22: undefined action \"x\" (an action must be declared before the "
              "match rules that use it)");
}

TEST(ConfRecovery, StopsAfterOneHundredErrors) {
    std::string text;
    for (int i = 0; i < 150; ++i) {
        text += "relay\n";
    }
    auto const errors = all_errors(text);
    ASSERT_EQ(errors.size(), 101u);
    EXPECT_EQ(errors[99], "smtpd.conf:100:1: unknown directive \"relay\"");
    EXPECT_EQ(errors[100], "smtpd.conf:100:1: too many errors, giving up");
}

TEST(ConfRobustness, ManyUnclosedBracesStayCheap) {
    std::string text;
    for (int i = 0; i < 20000; ++i) {
        text += "{\n";
    }
    auto const errors = all_errors(text);
    ASSERT_EQ(errors.size(), 101u);
    EXPECT_EQ(errors[0], "smtpd.conf:1:1: unexpected \"{\"");
    EXPECT_EQ(all_errors("table t {\n" + text).size(), 101u);
}

// A small deterministic generator: config fragments and raw bytes glued at random.
TEST(ConfRobustness, AnyBytesGiveErrorsWithPositions) {
    std::vector<std::string> const pieces = {"listen",
                                             " on ",
                                             "lo",
                                             " port ",
                                             "25",
                                             "\n",
                                             "{",
                                             "}",
                                             ",",
                                             "=",
                                             "\"",
                                             "'",
                                             "$x",
                                             "x = y\n",
                                             "table t ",
                                             "action a maildir",
                                             "match from any for domain ",
                                             "<t>",
                                             "#",
                                             "\\\n",
                                             "\\",
                                             std::string(1, '\0'),
                                             "\xff",
                                             "\r",
                                             "\t",
                                             "action \"a\" maildir\n",
                                             "$"};
    std::uint32_t state = 12345;
    auto next = [&state] {
        state = state * 1103515245u + 12345u;
        return state >> 8;
    };
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        auto const n = next() % 24;
        for (std::uint32_t i = 0; i < n; ++i) {
            text += pieces[next() % pieces.size()];
        }
        ConfResult r = parse_config(text, "f", {{"x", "lo port 1 {"}});
        EXPECT_EQ(r.ok(), r.errors.empty());
        for (auto const& e : r.errors) {
            ASSERT_GE(e.where.line, 1u) << text;
            ASSERT_GE(e.where.column, 1u) << text;
        }
    }
}

TEST(ConfRecovery, ActionWithBadPathIsNotAddedEvenWithAValidVirtualTable) {
    EXPECT_EQ(all_errors("table t { a = b }\naction x maildir \"%{nope}\" virtual <t>\n"
                         "match for any action x\n"),
              (std::vector<std::string>{
                  "smtpd.conf:2:18: invalid maildir path \"%{nope}\": unknown variable \"nope\"",
                  "smtpd.conf:3:22: undefined action \"x\" (an action must be declared before the "
                  "match rules that use it)",
              }));
}

TEST(ConfRecovery, MatchWithARepeatedOptionIsRejectedEvenWithAValidDomainTable) {
    ConfResult r = parse_config("table t { example.org }\naction a maildir\n"
                                "match from any from local for domain <t> action a\n",
                                "smtpd.conf");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].to_string(),
              "smtpd.conf:3:16: \"from\" already specified for this match rule");
}

TEST(ConfRecovery, QuotedStringAtTheLimitIsAccepted) {
    constexpr std::size_t kLongest = 8096; // OpenSMTPD's lexer buffer
    std::string const address(kLongest, 'a');
    ConfResult r = parse_config("listen on \"" + address + "\"\n", "smtpd.conf");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    ASSERT_EQ(r.config->listeners.size(), 1u);
    EXPECT_EQ(r.config->listeners[0].address, address);
}

TEST(ConfMacros, ExpandedValueIsNotExpandedAgain) {
    // As OpenSMTPD: "$b" read again is a '$' token (not expanded twice), which no rule takes.
    EXPECT_EQ(all_errors("a = \"$b\"\nb = lo\nlisten on $a\n"),
              (std::vector<std::string>{
                  "smtpd.conf:3:11: expected an address or interface after \"on\""}));
}

TEST(ConfLexer, WordsStartWithALetterDigitColonOrUnderscore) {
    // OpenSMTPD's yylex: any other byte is a token of its own, which no rule takes as a value.
    EXPECT_EQ(all_errors("table t { /etc/x }\n"),
              (std::vector<std::string>{"smtpd.conf:1:11: expected a value after \"{\""}));
    EXPECT_EQ(all_errors("table t { *.example.org }\n"),
              (std::vector<std::string>{"smtpd.conf:1:11: expected a value after \"{\""}));
    EXPECT_EQ(all_errors("table t { a!b }\n"),
              (std::vector<std::string>{"smtpd.conf:1:12: expected \",\" or \"}\" after \"a\""}));
}

TEST(ConfMacros, ValueIsReadAgainWithTheRulesOfUnquotedText) {
    // OpenSMTPD 6.8: a path or a number in a macro is not a string once expanded (tests/conf/).
    EXPECT_EQ(all_errors("m = \"~/Maildir\"\naction a maildir $m\n"),
              (std::vector<std::string>{"smtpd.conf:2:18: unexpected \"~\" after \"maildir\""}));
    EXPECT_EQ(all_errors("p = 2525\n"),
              (std::vector<std::string>{"smtpd.conf:1:5: expected a macro value after \"=\""}));
    ConfResult const r = parse_config("p = \"2525\"\nlisten on lo port $p\n", "smtpd.conf");
    ASSERT_TRUE(r.ok());
    Config const& c = *r.config;
    ASSERT_EQ(c.listeners.size(), 1u);
    EXPECT_EQ(c.listeners[0].port, 2525);
}

TEST(ConfLexer, NumbersAreNotStrings) {
    // parse.y takes NUMBER only for ports, sizes and limits; "4d" or "1.2" are words.
    EXPECT_EQ(all_errors("table t { 25 }\n"),
              (std::vector<std::string>{"smtpd.conf:1:11: expected a value after \"{\""}));
    ConfResult const r = parse_config("table t { 4d, 1.2 }\nlisten on lo port 25\n", "smtpd.conf");
    ASSERT_TRUE(r.ok());
    Config const& c = *r.config;
    ASSERT_EQ(c.tables.size(), 1u);
    EXPECT_EQ(c.tables[0].list, (std::vector<std::string>{"4d", "1.2"}));
}

} // namespace
} // namespace smtpd::conf
