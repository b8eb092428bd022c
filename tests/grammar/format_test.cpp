// Tests of expand_format / check_format (grammar/conf/format.hpp): variables, modifiers, slices,
// "~", "%%", syntax errors with their offsets, and the refusal of values that could choose a path
// (the CVE-2020-7247 class): '/', a leading '.', control bytes, empty path components.
// Depends on: grammar/conf/format.hpp, GoogleTest.
#include "conf/format.hpp"

#include <gtest/gtest.h>

#include <map>

namespace smtpd::conf {
namespace {

std::map<std::string, std::string> base_values() {
    return {{"sender", "Alice+news@Example.ORG"},
            {"sender.user", "Alice+news"},
            {"sender.domain", "Example.ORG"},
            {"rcpt", "bob+tag@example.org"},
            {"rcpt.user", "bob+tag"},
            {"rcpt.domain", "example.org"},
            {"dest", "bob@example.org"},
            {"dest.user", "bob"},
            {"dest.domain", "example.org"},
            {"user.username", "bob"},
            {"user.directory", "/home/bob"}};
}

std::variant<std::string, FormatError> expand(std::string_view format,
                                              std::map<std::string, std::string> values = {}) {
    auto all = base_values();
    for (auto& [k, v] : values) {
        all[k] = v;
    }
    return expand_format(format, [all](std::string_view name) -> std::optional<std::string> {
        auto it = all.find(std::string(name));
        return it == all.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
}

std::string ok(std::string_view format, std::map<std::string, std::string> values = {}) {
    auto r = expand(format, std::move(values));
    if (auto const* e = std::get_if<FormatError>(&r)) {
        ADD_FAILURE() << format << ": " << e->offset << ": " << e->message;
        return {};
    }
    return std::get<std::string>(r);
}

FormatError err(std::string_view format, std::map<std::string, std::string> values = {}) {
    auto r = expand(format, std::move(values));
    if (auto const* e = std::get_if<FormatError>(&r)) {
        return *e;
    }
    ADD_FAILURE() << format << " expanded to " << std::get<std::string>(r);
    return {};
}

TEST(FormatExpand, LiteralTextIsUnchanged) {
    EXPECT_EQ(ok("/var/mail/x.y"), "/var/mail/x.y");
}

TEST(FormatExpand, Variables) {
    EXPECT_EQ(ok("/v/%{rcpt.domain}/%{rcpt.user}"), "/v/example.org/bob+tag");
    EXPECT_EQ(ok("%{sender}"), "Alice+news@Example.ORG");
    EXPECT_EQ(ok("%{dest.user}-%{user.username}"), "bob-bob");
    EXPECT_EQ(ok("%{RCPT.User}"), "bob+tag");
}

TEST(FormatExpand, Modifiers) {
    EXPECT_EQ(ok("%{rcpt.user:strip}"), "bob");
    EXPECT_EQ(ok("%{rcpt:strip}"), "bob@example.org");
    EXPECT_EQ(ok("%{sender.domain:lowercase}"), "example.org");
    EXPECT_EQ(ok("%{rcpt.domain:uppercase}"), "EXAMPLE.ORG");
    EXPECT_EQ(ok("%{sender.user:strip|lowercase}"), "alice");
}

TEST(FormatExpand, SlicesHaveInclusiveBoundsAsOpenSmtpd) {
    EXPECT_EQ(ok("%{rcpt.domain[0]}"), "e");
    EXPECT_EQ(ok("%{rcpt.domain[2:5]}"), "ampl");
    EXPECT_EQ(ok("%{rcpt.domain[:2]}"), "exa");
    EXPECT_EQ(ok("%{rcpt.domain[8:]}"), "org");
    EXPECT_EQ(ok("%{rcpt.domain[-3:]}"), "org");
    EXPECT_EQ(ok("%{rcpt.domain[0:100]}"), "example.org");
    EXPECT_EQ(ok("%{rcpt.user[0]:uppercase}"), "B");
}

TEST(FormatExpand, PercentPercentIsAPercentSign) {
    EXPECT_EQ(ok("100%%/%%{x}"), "100%/%{x}");
}

TEST(FormatExpand, LeadingTildeIsTheHomeDirectory) {
    EXPECT_EQ(ok("~/Maildir"), "/home/bob/Maildir");
    EXPECT_EQ(ok("~"), "/home/bob");
    EXPECT_EQ(ok("%{user.directory}/Maildir/%{rcpt.domain}"), "/home/bob/Maildir/example.org");
    EXPECT_EQ(ok("/x/~/y"), "/x/~/y");
}

TEST(FormatExpand, OpenSmtpdEscapingUnlessRaw) {
    EXPECT_EQ(ok("%{rcpt.user}", {{"rcpt.user", "a#b|c"}}), "a:b:c");
    EXPECT_EQ(ok("%{rcpt.user:raw}", {{"rcpt.user", "a#b|c"}}), "a#b|c");
}

TEST(FormatErrors, SyntaxErrorsHaveOffsets) {
    EXPECT_EQ(err("/x/%{nope}").offset, 3u);
    EXPECT_EQ(err("/x/%{nope}").message, "unknown variable \"nope\"");
    EXPECT_EQ(err("ab%{rcpt.user").message, "unterminated \"%{\"");
    EXPECT_EQ(err("ab%{rcpt.user").offset, 2u);
    EXPECT_EQ(err("100%").message, "\"%\" must be followed by \"{\" or \"%\"");
    EXPECT_EQ(err("a%b").offset, 1u);
    EXPECT_EQ(err("%{rcpt.user:shout}").message, "unknown modifier \"shout\"");
    EXPECT_EQ(err("%{rcpt.user:}").message, "unknown modifier \"\"");
    EXPECT_EQ(err("~bob/x").message, "\"~user\" is not supported; use \"~/\"");
    EXPECT_EQ(err("%{" + std::string(200, 'a') + "}").message, "format specifier too long");
}

TEST(FormatErrors, BadSlices) {
    for (char const* f : {"%{rcpt.user[]}", "%{rcpt.user[a]}", "%{rcpt.user[1:x]}",
                          "%{rcpt.user]1[}", "%{rcpt.user[1}", "%{rcpt.user[99999]}"}) {
        EXPECT_EQ(err(f).message, "malformed slice") << f;
    }
    EXPECT_EQ(err("%{rcpt.user[1]x}").message, "unexpected text after slice");
    EXPECT_EQ(err("%{rcpt.user[20]}").message, "slice starts past the end of \"rcpt.user\"");
    EXPECT_EQ(err("%{rcpt.user[5:2]}").message, "slice out of range for \"rcpt.user\"");
}

TEST(FormatErrors, VariableWithoutValue) {
    auto r = expand_format("%{rcpt.user}", [](std::string_view) { return std::nullopt; });
    ASSERT_TRUE(std::holds_alternative<FormatError>(r));
    EXPECT_EQ(std::get<FormatError>(r).message, "variable \"rcpt.user\" has no value");
}

TEST(FormatRefusal, RcptUserWithParentDirectoryIsRefused) {
    FormatError e = err("/var/mail/%{rcpt.user}", {{"rcpt.user", "../../etc"}});
    EXPECT_EQ(e.offset, 10u);
    EXPECT_EQ(e.message, "value of \"rcpt.user\" contains \"/\"");
}

TEST(FormatRefusal, SlashInAnyAddressValueIsRefusedEvenRaw) {
    EXPECT_EQ(err("/m/%{rcpt.user}", {{"rcpt.user", "a/b"}}).message,
              "value of \"rcpt.user\" contains \"/\"");
    EXPECT_EQ(err("/m/%{sender.domain:raw}", {{"sender.domain", "x/y"}}).message,
              "value of \"sender.domain\" contains \"/\"");
    EXPECT_EQ(err("/m/%{dest}", {{"dest", "/etc/passwd"}}).message,
              "value of \"dest\" contains \"/\"");
}

TEST(FormatRefusal, LeadingDotIsRefused) {
    EXPECT_EQ(err("/m/%{rcpt.user}", {{"rcpt.user", ".hidden"}}).message,
              "value of \"rcpt.user\" starts with \".\"");
    EXPECT_EQ(err("/m/%{rcpt.domain}", {{"rcpt.domain", ".."}}).message,
              "value of \"rcpt.domain\" starts with \".\"");
    EXPECT_EQ(err("/m/%{rcpt.user[1:]}", {{"rcpt.user", "a.hidden"}}).message,
              "value of \"rcpt.user\" starts with \".\"");
}

TEST(FormatRefusal, EmptyPathComponentIsRefused) {
    EXPECT_EQ(err("/m/%{rcpt.user}", {{"rcpt.user", ""}}).message,
              "empty value would make an empty path component");
    EXPECT_EQ(err("/m/%{rcpt.user:strip}/new", {{"rcpt.user", "+tag"}}).offset, 3u);
    EXPECT_EQ(ok("/m/x%{rcpt.user}", {{"rcpt.user", ""}}), "/m/x");
}

TEST(FormatRefusal, ControlBytesAreRefused) {
    EXPECT_EQ(err("/m/%{rcpt.user}", {{"rcpt.user", std::string("a\0b", 3)}}).message,
              "value of \"rcpt.user\" contains a control character");
    EXPECT_EQ(err("/m/%{rcpt.user}", {{"rcpt.user", "a\nb"}}).message,
              "value of \"rcpt.user\" contains a control character");
}

TEST(FormatRefusal, UserDirectoryMayHoldSlashesButMustBeAbsolute) {
    EXPECT_EQ(ok("~/M", {{"user.directory", "/srv/home/bob"}}), "/srv/home/bob/M");
    EXPECT_EQ(err("~/M", {{"user.directory", "home/bob"}}).message,
              "value of \"user.directory\" is not an absolute path");
    EXPECT_EQ(err("~/M", {{"user.directory", ""}}).message,
              "value of \"user.directory\" is not an absolute path");
}

TEST(FormatCheck, ChecksSyntaxWithoutValues) {
    EXPECT_FALSE(check_format("~/Maildir/%{rcpt.user[2:]:lowercase|strip}").has_value());
    EXPECT_FALSE(check_format("/var/vmail/%{rcpt.domain}/%{rcpt.user}").has_value());
    ASSERT_TRUE(check_format("/x/%{rcpt.usr}").has_value());
    EXPECT_EQ(check_format("/x/%{rcpt.usr}")->offset, 3u);
    EXPECT_TRUE(check_format("%{rcpt.user").has_value());
    EXPECT_TRUE(check_format("%{rcpt.user[x]}").has_value());
}

} // namespace
} // namespace smtpd::conf
