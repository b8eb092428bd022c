// Tests of the smtpd.conf lexer (grammar/conf/conf_lexer.hpp) on its own, and of macro values
// that hold what a file line cannot (a newline, a comment), which only -D can define.
// Depends on: grammar/conf/conf_lexer.hpp, grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"
#include "conf/conf_lexer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtpd::conf {
namespace {

std::vector<std::string> errors_of(ConfResult const& r) {
    std::vector<std::string> out;
    out.reserve(r.errors.size());
    for (auto const& e : r.errors) {
        out.push_back(e.to_string());
    }
    return out;
}

TEST(ConfLexer, TokensCarryKindTextAndPosition) {
    Lexer lexer("a \"b c\"\n {");
    std::vector<Token> tokens;
    for (;;) {
        tokens.push_back(lexer.next({}));
        if (tokens.back().kind == Token::Kind::End) {
            break;
        }
    }
    ASSERT_EQ(tokens.size(), 5u);
    EXPECT_EQ(tokens[0].kind, Token::Kind::Word);
    EXPECT_EQ(tokens[0].text, "a");
    EXPECT_EQ(tokens[1].kind, Token::Kind::String);
    EXPECT_EQ(tokens[1].text, "b c");
    EXPECT_EQ(tokens[1].column, 3u);
    EXPECT_EQ(tokens[2].kind, Token::Kind::Newline);
    EXPECT_EQ(tokens[3].kind, Token::Kind::Punct);
    EXPECT_EQ(tokens[3].text, "{");
    EXPECT_EQ(tokens[3].line, 2u);
    EXPECT_EQ(tokens[3].column, 2u);
    EXPECT_EQ(tokens[3].offset, 9u);
    EXPECT_EQ(tokens[4].line, 2u);
    EXPECT_EQ(tokens[4].column, 3u);
}

TEST(ConfLexer, WithoutAMacroLookupEveryMacroIsUndefined) {
    Lexer lexer("  $home");
    Token const t = lexer.next(MacroLookup{});
    EXPECT_EQ(t.kind, Token::Kind::Error);
    EXPECT_EQ(t.text, "macro \"home\" is not defined");
    EXPECT_EQ(t.column, 3u);
}

TEST(ConfMacros, NewlineInADefinedValueSeparatesWordsWithoutEndingTheStatement) {
    ConfResult r = parse_config("listen on $where\n", "smtpd.conf", {{"where", "lo\nport 2525"}});
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    ASSERT_EQ(r.config->listeners.size(), 1u);
    EXPECT_EQ(r.config->listeners[0].address, "lo");
    EXPECT_EQ(r.config->listeners[0].port, 2525);
}

TEST(ConfMacros, CommentInADefinedValueEndsAtTheValuesNewline) {
    ConfResult r = parse_config("listen on $where\n", "smtpd.conf",
                                {{"where", "lo # the loopback\nport 2525"}});
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    ASSERT_EQ(r.config->listeners.size(), 1u);
    EXPECT_EQ(r.config->listeners[0].address, "lo");
    EXPECT_EQ(r.config->listeners[0].port, 2525);
}

TEST(ConfRecovery, AfterALexicalErrorInAMacroValueOnlyTheFileLineIsSkipped) {
    // The value's own newline does not end the skipped line; the file's newline does.
    ConfResult r =
        parse_config("listen on $bad port 1\nlisten on ok\n", "smtpd.conf", {{"bad", "\x01 a\nb"}});
    EXPECT_EQ(errors_of(r), (std::vector<std::string>{"smtpd.conf:1:11: unexpected byte 0x01"}));
    ConfResult const next_line_only =
        parse_config("listen on $bad\nlisten on ok\nrelay\n", "smtpd.conf", {{"bad", "\x01\n"}});
    EXPECT_EQ(errors_of(next_line_only),
              (std::vector<std::string>{"smtpd.conf:1:11: unexpected byte 0x01",
                                        "smtpd.conf:3:1: unknown directive \"relay\""}));
}

} // namespace
} // namespace smtpd::conf
