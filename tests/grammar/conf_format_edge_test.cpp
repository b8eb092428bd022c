// Edge cases of expand_format / check_format (grammar/conf/format.hpp) not covered by
// format_test.cpp: slice bounds at and past their limits, the 1024-byte expansion limit, empty
// values at the start of the result, modifiers after "raw", DEL as a control byte, and a lookup
// that holds no function.
// Depends on: grammar/conf/format.hpp, GoogleTest.
#include "conf/format.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace smtpd::conf {
namespace {

std::variant<std::string, FormatError> expand(std::string_view format,
                                              std::map<std::string, std::string> const& values) {
    return expand_format(format, [&values](std::string_view name) -> std::optional<std::string> {
        auto const it = values.find(std::string(name));
        return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
}

std::string ok(std::string_view format, std::map<std::string, std::string> const& values) {
    auto r = expand(format, values);
    if (auto const* e = std::get_if<FormatError>(&r)) {
        ADD_FAILURE() << format << ": " << e->offset << ": " << e->message;
        return {};
    }
    return std::get<std::string>(r);
}

FormatError err(std::string_view format, std::map<std::string, std::string> const& values) {
    auto r = expand(format, values);
    if (auto const* e = std::get_if<FormatError>(&r)) {
        return *e;
    }
    ADD_FAILURE() << format << " expanded to " << std::get<std::string>(r);
    return {};
}

std::map<std::string, std::string> const kDomain = {{"rcpt.domain", "example.org"}};

TEST(FormatSlices, NegativeEndCountsFromTheLastByte) {
    EXPECT_EQ(ok("%{rcpt.domain[0:-2]}", kDomain), "example.o");
    EXPECT_EQ(ok("%{rcpt.domain[-3:-1]}", kDomain), "or");
}

TEST(FormatSlices, BoundsReachingBeforeTheStartAreOutOfRange) {
    EXPECT_EQ(err("/m/%{rcpt.domain[-20:]}", kDomain).message,
              "slice out of range for \"rcpt.domain\"");
    EXPECT_EQ(err("/m/%{rcpt.domain[0:-20]}", kDomain).offset, 3u);
    EXPECT_EQ(err("/m/%{rcpt.domain[0:-20]}", kDomain).message,
              "slice out of range for \"rcpt.domain\"");
}

TEST(FormatSlices, BoundsAreNumbersWithinTheExpansionBuffer) {
    EXPECT_EQ(ok("%{rcpt.domain[1024]}", {{"rcpt.domain", std::string(1025, 'x')}}), "x");
    EXPECT_EQ(ok("%{rcpt.domain[-1024:]}", {{"rcpt.domain", std::string(1024, 'y')}}),
              std::string(1024, 'y'));
    for (char const* f :
         {"%{rcpt.domain[-]}", "%{rcpt.domain[-:2]}", "%{rcpt.domain[+1]}", "%{rcpt.domain[1025]}",
          "%{rcpt.domain[-1025:]}", "%{rcpt.domain]}", "%{rcpt.domain]:lowercase}"}) {
        EXPECT_EQ(err(f, kDomain).message, "malformed slice") << f;
        ASSERT_TRUE(check_format(f).has_value()) << f;
        EXPECT_EQ(check_format(f)->message, "malformed slice") << f;
    }
}

TEST(FormatSlices, SliceOfAnEmptyValueIsEmpty) {
    EXPECT_EQ(ok("x%{rcpt.user[0]}", {{"rcpt.user", ""}}), "x");
}

TEST(FormatExpand, EmptyFormatIsEmpty) {
    EXPECT_EQ(ok("", {}), "");
    EXPECT_FALSE(check_format("").has_value());
}

TEST(FormatExpand, ExpansionIsLimitedTo1024Bytes) {
    EXPECT_EQ(ok(std::string(1024, 'a'), {}), std::string(1024, 'a'));
    FormatError const literal = err(std::string(1025, 'a'), {});
    EXPECT_EQ(literal.offset, 0u);
    EXPECT_EQ(literal.message, "expansion longer than 1024 bytes");
    EXPECT_EQ(err("/m/%{rcpt.user}", {{"rcpt.user", std::string(1022, 'u')}}).message,
              "expansion longer than 1024 bytes");
    EXPECT_EQ(check_format(std::string(1025, 'a'))->message, "expansion longer than 1024 bytes");
}

TEST(FormatExpand, StripWithoutATagLeavesTheValue) {
    EXPECT_EQ(ok("%{dest.user:strip}", {{"dest.user", "bob"}}), "bob");
}

TEST(FormatExpand, ModifiersAfterRawStillApplyWithoutEscaping) {
    EXPECT_EQ(ok("%{rcpt.user:raw|uppercase}", {{"rcpt.user", "a#b"}}), "A#B");
    EXPECT_EQ(ok("%{rcpt.user:uppercase|raw}", {{"rcpt.user", "a#b"}}), "A#B");
    EXPECT_EQ(ok("%{rcpt.user:uppercase}", {{"rcpt.user", "a#b"}}), "A:B");
}

TEST(FormatRefusal, EmptyValueAtTheStartOfAPathComponent) {
    FormatError const e = err("%{rcpt.user}/x", {{"rcpt.user", ""}});
    EXPECT_EQ(e.offset, 0u);
    EXPECT_EQ(e.message, "empty value would make an empty path component");
    EXPECT_EQ(ok("x%{rcpt.user}", {{"rcpt.user", ""}}), "x");
    EXPECT_EQ(ok("%{rcpt.user}x", {{"rcpt.user", ""}}), "x");
}

TEST(FormatRefusal, DeleteIsAControlCharacter) {
    EXPECT_EQ(err("/m/%{rcpt.user}", {{"rcpt.user", "a\x7f"}}).message,
              "value of \"rcpt.user\" contains a control character");
}

TEST(FormatErrors, LookupWithoutAFunctionGivesNoValues) {
    auto const r = expand_format("/m/%{rcpt}", FormatLookup{});
    ASSERT_TRUE(std::holds_alternative<FormatError>(r));
    EXPECT_EQ(std::get<FormatError>(r).offset, 3u);
    EXPECT_EQ(std::get<FormatError>(r).message, "variable \"rcpt\" has no value");
    auto const literal = expand_format("/m/x", FormatLookup{});
    ASSERT_TRUE(std::holds_alternative<std::string>(literal));
    EXPECT_EQ(std::get<std::string>(literal), "/m/x");
}

} // namespace
} // namespace smtpd::conf
