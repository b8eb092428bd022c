// Maildir delivery into a real directory: tmp/new/cur are created, the file lands in new/ with
// the prepended lines, CRLF becomes LF, bare CR and bare LF stay as they were.
#include "common/fs.hpp"
#include "deliver/maildir.hpp"
#include "temp_dir.hpp"

#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>

namespace smtpd::rt {
namespace {

namespace fs = std::filesystem;

TEST(CrlfToLf, ConvertsOnlyCrlfPairs) {
    bool pending = false;
    EXPECT_EQ(crlf_to_lf("a\r\nb\rc\nd", pending), "a\nb\rc\nd");
    EXPECT_FALSE(pending);
}

TEST(CrlfToLf, HandlesACrlfSplitAcrossChunks) {
    bool pending = false;
    std::string out = crlf_to_lf("a\r", pending);
    EXPECT_TRUE(pending);
    out += crlf_to_lf("\nb", pending);
    EXPECT_EQ(out, "a\nb");
}

TEST(Maildir, DeliversIntoNewWithPrependedLines) {
    testing::TempDir dir;
    std::string const message = dir.path() + "/message";
    {
        auto fd = open_file(message, O_WRONLY | O_CREAT, 0600);
        ASSERT_TRUE(fd);
        ASSERT_TRUE(write_all(fd.value().get(), "Subject: hi\r\n\r\nline\r\n"));
    }
    std::string const maildir = dir.path() + "/Maildir";
    auto const delivered =
        deliver_maildir({maildir, "Return-Path: <a@b>\nDelivered-To: c@d\n", message}, "mx");
    ASSERT_TRUE(delivered);
    EXPECT_TRUE(fs::is_directory(maildir + "/cur"));
    EXPECT_TRUE(fs::is_empty(maildir + "/tmp"));
    EXPECT_EQ(fs::path(delivered.value()).parent_path(), fs::path(maildir + "/new"));
    auto const content = read_file(delivered.value());
    ASSERT_TRUE(content);
    EXPECT_EQ(content.value(), "Return-Path: <a@b>\nDelivered-To: c@d\nSubject: hi\n\nline\n");
}

TEST(Maildir, TwoDeliveriesGetDistinctNames) {
    testing::TempDir dir;
    std::string const message = dir.path() + "/message";
    ASSERT_TRUE(open_file(message, O_WRONLY | O_CREAT, 0600));
    auto const a = deliver_maildir({dir.path() + "/M", "", message}, "mx");
    auto const b = deliver_maildir({dir.path() + "/M", "", message}, "mx");
    ASSERT_TRUE(a && b);
    EXPECT_NE(a.value(), b.value());
}

TEST(Maildir, MissingMessageIsAnError) {
    testing::TempDir dir;
    EXPECT_FALSE(deliver_maildir({dir.path() + "/M", "", dir.path() + "/nope"}, "mx"));
}

} // namespace
} // namespace smtpd::rt
