// Tests of load_config (grammar/conf/conf.hpp) on the file system: a file larger than one read
// chunk is read whole, and a path that opens but cannot be read (a directory) is an error at
// path:0:0, never an exception.
// Depends on: grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace smtpd::conf {
namespace {

TEST(ConfLoad, ReadsAFileLargerThanOneChunkWhole) {
    std::string const path = ::testing::TempDir() + "conf_load_large_test.conf";
    std::string text;
    for (int i = 0; i < 300; ++i) {
        text += "# padding comment number " + std::to_string(i) + "\n";
    }
    ASSERT_GT(text.size(), 8192u);
    text += "listen on lo port 2525\n";
    {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fputs(text.c_str(), f);
        std::fclose(f);
    }
    ConfResult r = load_config(path);
    std::remove(path.c_str());
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    ASSERT_EQ(r.config->listeners.size(), 1u);
    EXPECT_EQ(r.config->listeners[0].address, "lo");
    EXPECT_EQ(r.config->listeners[0].port, 2525);
    EXPECT_EQ(r.config->listeners[0].where, (Location{path, 301, 1}));
}

TEST(ConfLoad, EmptyFileIsAnEmptyConfig) {
    std::string const path = ::testing::TempDir() + "conf_load_empty_test.conf";
    {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fclose(f);
    }
    ConfResult r = load_config(path);
    std::remove(path.c_str());
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.config->listeners.empty());
}

// load_config read through istreambuf_iterator, which let basic_filebuf's std::ios_base::failure
// ("error reading the file: Is a directory") escape from a function documented never to throw.
TEST(Regression, LoadConfigOnADirectoryIsAnErrorNotAnException) {
    std::string const dir = ::testing::TempDir();
    ConfResult r;
    ASSERT_NO_THROW(r = load_config(dir));
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].to_string(), dir + ":0:0: not a regular file");
}

} // namespace
} // namespace smtpd::conf
