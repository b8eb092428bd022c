// Tests of `include "file"` (grammar/conf/conf.cpp, parse.y's include rule): the included
// statements count as if written in place, errors name the included file and its own lines, a
// file that cannot be read is an error at the include, and include cycles end at the depth limit.
// Files come from an in-memory reader, except one test on the file system.
// Depends on: grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace smtpd::conf {
namespace {

FileReader files(std::map<std::string, std::string> contents) {
    return [contents = std::move(contents)](std::string const& path) -> FileText {
        auto const it = contents.find(path);
        if (it == contents.end()) {
            return {std::nullopt, "cannot open file: No such file or directory"};
        }
        return {it->second, {}};
    };
}

std::vector<std::string> errors(ConfResult const& r) {
    std::vector<std::string> out;
    out.reserve(r.errors.size());
    for (auto const& e : r.errors) {
        out.push_back(e.to_string());
    }
    return out;
}

TEST(ConfInclude, IncludedStatementsComeInPlace) {
    ConfResult const r =
        parse_config("include \"act.conf\"\nmatch for local action \"inc\"\n", "smtpd.conf", {},
                     files({{"act.conf", "\n# a comment\naction inc mbox\n"}}));
    ASSERT_TRUE(r.ok()) << errors(r)[0];
    ASSERT_EQ(r.config->actions.size(), 1u);
    EXPECT_EQ(r.config->actions[0].where, (Location{"act.conf", 3, 1}));
    ASSERT_EQ(r.config->matches.size(), 1u);
    EXPECT_EQ(r.config->matches[0].where, (Location{"smtpd.conf", 2, 1}));
}

TEST(ConfInclude, ErrorsNameTheIncludedFileAndItsLine) {
    ConfResult const r = parse_config("listen on lo\ninclude \"bad.conf\"\nrelay\n", "smtpd.conf",
                                      {}, files({{"bad.conf", "listen on lo\nlisten on\n"}}));
    EXPECT_EQ(errors(r), (std::vector<std::string>{
                             "bad.conf:2:10: expected an address or interface after \"on\"",
                             "smtpd.conf:3:1: unknown directive \"relay\""}));
}

TEST(ConfInclude, MacrosOfTheIncludedFileAreSeenAfterIt) {
    ConfResult const r = parse_config("include \"m.conf\"\nlisten on lo port $p\n", "smtpd.conf",
                                      {}, files({{"m.conf", "p = \"2525\"\n"}}));
    ASSERT_TRUE(r.ok()) << errors(r)[0];
    EXPECT_EQ(r.config->listeners.at(0).port, 2525);
}

TEST(ConfInclude, AFileThatCannotBeReadIsAnErrorAtTheInclude) {
    ConfResult const r = parse_config("include \"nope.conf\"\n", "smtpd.conf", {}, files({}));
    EXPECT_EQ(errors(r), (std::vector<std::string>{
                             "smtpd.conf:1:9: failed to include file \"nope.conf\": cannot open "
                             "file: No such file or directory"}));
}

TEST(ConfInclude, SyntaxErrorsOfTheIncludeItself) {
    EXPECT_EQ(errors(parse_config("include\ninclude listen\ninclude \"a\" \"b\"\n", "smtpd.conf",
                                  {}, files({{"a", ""}}))),
              (std::vector<std::string>{"smtpd.conf:1:8: expected a file name after \"include\"",
                                        "smtpd.conf:2:9: expected a file name after \"include\"",
                                        "smtpd.conf:3:13: unexpected \"b\" after \"a\""}));
}

TEST(ConfInclude, ACycleEndsAtTheDepthLimit) {
    ConfResult const r = parse_config("include \"self\"\n", "smtpd.conf", {},
                                      files({{"self", "include \"self\"\n"}}));
    EXPECT_EQ(errors(r),
              (std::vector<std::string>{"self:1:1: include nested too deeply (16 files)"}));
}

TEST(ConfInclude, ReadsARealFile) {
    std::string const path = ::testing::TempDir() + "conf_include_test.conf";
    {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fputs("action inc mbox\n", f);
        std::fclose(f);
    }
    ConfResult const r = parse_config("include \"" + path + "\"\n", "smtpd.conf");
    std::remove(path.c_str());
    ASSERT_TRUE(r.ok()) << errors(r)[0];
    EXPECT_EQ(r.config->actions.at(0).where.file, path);
}

TEST(ConfInclude, ADeviceIsRefused) {
    EXPECT_EQ(errors(parse_config("include \"/dev/zero\"\n", "smtpd.conf")),
              (std::vector<std::string>{
                  "smtpd.conf:1:9: failed to include file \"/dev/zero\": not a regular file"}));
}

} // namespace
} // namespace smtpd::conf
