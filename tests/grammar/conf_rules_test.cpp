// Tests of the building blocks of the smtpd.conf grammar (grammar/conf/conf_def.hpp) on token
// ranges the lexer cannot produce on its own (empty, or not ending a statement), of the
// "expected <what>" text of each primitive, and of ConfigBuilder::give_up
// (grammar/conf/conf_build.hpp); and that conf_fuzzer's dictionary names every keyword.
// Depends on: grammar/conf/conf_def.hpp, grammar/conf/conf_build.hpp, GoogleTest.
#include "conf/conf_build.hpp"
#include "conf/conf_def.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace smtpd::conf {
namespace {

namespace x3 = boost::spirit::x3;

Token token(Token::Kind kind, std::string text = {}) {
    return Token{kind, std::move(text), 1, 1, 0};
}

// How many tokens `p` accepts at the start of `tokens`, or nullopt when it fails.
template <class Parser>
std::optional<std::size_t> accepted(Parser const& p, std::vector<Token> const& tokens) {
    auto it = tokens.begin(); // rules::TokenIt
    if (!x3::parse(it, tokens.end(), p)) {
        EXPECT_TRUE(it == tokens.begin()) << "a failing parser moved the iterator";
        return std::nullopt;
    }
    return static_cast<std::size_t>(it - tokens.begin());
}

// The token `p` captures at the start of `tokens`, or nullopt when it fails.
template <class Parser>
std::optional<Token> captured(Parser const& p, std::vector<Token> const& tokens) {
    auto it = tokens.begin(); // rules::TokenIt
    Token out;
    if (!x3::parse(it, tokens.end(), p, out)) {
        EXPECT_TRUE(it == tokens.begin()) << "a failing parser moved the iterator";
        return std::nullopt;
    }
    EXPECT_EQ(it - tokens.begin(), 1);
    return out;
}

TEST(ConfRules, PunctMatchesOnePunctuationToken) {
    auto const equals = rules::punct('=');
    EXPECT_EQ(accepted(equals, {token(Token::Kind::Punct, "="), token(Token::Kind::End)}), 1u);
    EXPECT_EQ(accepted(equals, {token(Token::Kind::Punct, "{")}), std::nullopt);
    EXPECT_EQ(accepted(equals, {token(Token::Kind::String, "=")}), std::nullopt);
    EXPECT_EQ(accepted(equals, {token(Token::Kind::Newline)}), std::nullopt);
    EXPECT_EQ(accepted(equals, {}), std::nullopt);
}

TEST(ConfRules, NewlineParserMatchesOnlyANewline) {
    EXPECT_EQ(accepted(rules::nl, {token(Token::Kind::Newline), token(Token::Kind::Newline)}), 1u);
    EXPECT_EQ(accepted(*rules::nl, {token(Token::Kind::Newline), token(Token::Kind::Newline)}), 2u);
    EXPECT_EQ(accepted(rules::nl, {token(Token::Kind::End)}), std::nullopt);
    EXPECT_EQ(accepted(rules::nl, {}), std::nullopt);
}

TEST(ConfRules, EndOfLineMatchesANewlineOrTheEndOfTheFile) {
    EXPECT_EQ(accepted(rules::eol, {token(Token::Kind::Newline)}), 1u);
    EXPECT_EQ(accepted(rules::eol, {token(Token::Kind::End)}), 1u);
    EXPECT_EQ(accepted(rules::eol, {token(Token::Kind::Word, "x"), token(Token::Kind::End)}),
              std::nullopt);
    EXPECT_EQ(accepted(rules::eol, {}), std::nullopt);
}

TEST(ConfRules, KeywordMatchesOnlyItsOwnBareWords) {
    auto const on = rules::kw("on");
    EXPECT_EQ(accepted(on, {token(Token::Kind::Word, "on"), token(Token::Kind::Newline)}), 1u);
    EXPECT_EQ(accepted(on, {token(Token::Kind::Word, "port")}), std::nullopt);
    EXPECT_EQ(accepted(on, {token(Token::Kind::String, "on")}), std::nullopt);
    EXPECT_EQ(accepted(on, {}), std::nullopt);
}

TEST(ConfRules, CapturingKeywordYieldsTheMatchedToken) {
    auto const dest = rules::kwt("local", "any");
    auto const any = captured(dest, {token(Token::Kind::Word, "any"), token(Token::Kind::End)});
    ASSERT_TRUE(any.has_value());
    EXPECT_EQ(any->text, "any");
    EXPECT_EQ(any->kind, Token::Kind::Word);
    EXPECT_EQ(captured(dest, {token(Token::Kind::Word, "domain")}), std::nullopt);
    EXPECT_EQ(captured(dest, {token(Token::Kind::String, "local")}), std::nullopt);
    EXPECT_EQ(captured(dest, {}), std::nullopt);
}

TEST(ConfRules, ValueIsAStringOrABareWordThatIsNotAKeyword) {
    auto const value = rules::value("a name");
    auto const quoted = captured(value, {token(Token::Kind::String, "listen")});
    ASSERT_TRUE(quoted.has_value());
    EXPECT_EQ(quoted->text, "listen");
    auto const bare = captured(value, {token(Token::Kind::Word, "lo")});
    ASSERT_TRUE(bare.has_value());
    EXPECT_EQ(bare->text, "lo");
    EXPECT_EQ(captured(value, {token(Token::Kind::Word, "listen")}), std::nullopt);
    EXPECT_EQ(captured(value, {token(Token::Kind::Punct, "<")}), std::nullopt);
    EXPECT_EQ(captured(value, {}), std::nullopt);
}

TEST(ConfRules, EachPrimitiveSaysWhatItExpected) {
    EXPECT_EQ(x3::what(rules::kw("on")), "\"on\"");
    EXPECT_EQ(x3::what(rules::kwt("local", "any")), "\"local\" or \"any\"");
    EXPECT_EQ(x3::what(rules::kwt("a", "b", "c")), "\"a\" or \"b\" or \"c\"");
    EXPECT_EQ(x3::what(rules::value("a port number")), "a port number");
    EXPECT_EQ(x3::what(rules::punct('}')), "\"}\"");
    EXPECT_EQ(x3::what(rules::eol), "end of line");
}

TEST(ConfBuilder, GivingUpIsReportedAtTheLastError) {
    ConfigBuilder builder("smtpd.conf", {});
    Token at = token(Token::Kind::Word, "relay");
    at.line = 7;
    at.column = 3;
    builder.error(at, "unknown directive \"relay\"");
    builder.give_up();
    ConfResult const r = std::move(builder).finish();
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_EQ(r.errors[1].to_string(), "smtpd.conf:7:3: too many errors, giving up");
}

TEST(ConfBuilder, GivingUpWithoutAnErrorIsReportedAtTheStartOfTheFile) {
    ConfigBuilder builder("smtpd.conf", {});
    builder.give_up();
    ConfResult const r = std::move(builder).finish();
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].to_string(), "smtpd.conf:1:1: too many errors, giving up");
}

TEST(ConfRules, FuzzDictionaryHasEveryKeyword) {
    std::ifstream in(std::string(SMTPD_SOURCE_DIR) + "/fuzz/dict/conf.dict");
    ASSERT_TRUE(in) << "fuzz/dict/conf.dict";
    std::stringstream text;
    text << in.rdbuf();
    for (std::string_view const keyword : rules::kKeywords) {
        EXPECT_NE(text.str().find("=\"" + std::string(keyword) + "\"\n"), std::string::npos)
            << keyword << " is missing from fuzz/dict/conf.dict";
    }
}

} // namespace
} // namespace smtpd::conf
