// Maildir delivery into a real directory: tmp/new/cur are created, the file lands in new/ with
// the prepended lines, CRLF becomes LF, bare CR and bare LF stay as they were; with junk, spam
// lands in .Junk/new (OpenSMTPD's mail.maildir -j).
#include "common/fs.hpp"
#include "deliver/maildir.hpp"
#include "temp_dir.hpp"

#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

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
    auto const delivered = deliver_maildir(
        {maildir, "Return-Path: <a@b>\nDelivered-To: c@d\n", message, -1, ""}, "mx");
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
    auto const a = deliver_maildir({dir.path() + "/M", "", message, -1, ""}, "mx");
    auto const b = deliver_maildir({dir.path() + "/M", "", message, -1, ""}, "mx");
    ASSERT_TRUE(a && b);
    EXPECT_NE(a.value(), b.value());
}

TEST(Maildir, MissingMessageIsAnError) {
    testing::TempDir dir;
    EXPECT_FALSE(deliver_maildir({dir.path() + "/M", "", dir.path() + "/nope", -1, ""}, "mx"));
}

// The queue hands a spool file over positioned at its content, after the envelope slots
// (docs/arch/queue.md): the delivery reads from there, not from the file's first octet.
TEST(Maildir, ReadsTheMessageFromWhereItsDescriptorWasHandedOver) {
    testing::TempDir dir;
    auto fd = open_file(dir.path() + "/message", O_RDWR | O_CREAT, 0600);
    ASSERT_TRUE(fd);
    std::string const slots = "envelope slots, not the message\n";
    ASSERT_TRUE(write_all(fd.value().get(), slots + "Subject: fd\r\n\r\nbody\r\n"));
    ASSERT_EQ(::lseek(fd.value().get(), static_cast<off_t>(slots.size()), SEEK_SET),
              static_cast<off_t>(slots.size()));
    auto const delivered =
        deliver_maildir({dir.path() + "/M", "X: 1\n", "", fd.value().get(), ""}, "mx");
    ASSERT_TRUE(delivered);
    EXPECT_EQ(read_file(delivered.value()).value(), "X: 1\nSubject: fd\n\nbody\n");
}

// The crash campaign's property: a redelivery of the same recipient (a crash came after the
// rename into new/ and before the queue noted it) finds the first copy and writes none.
TEST(Maildir, ADerivedNameIsDeliveredOnceEvenWhenAskedTwice) {
    testing::TempDir dir;
    std::string const message = dir.path() + "/message";
    ASSERT_TRUE(write_file_synced(message, "Subject: once\r\n\r\n", 0));
    MaildirDelivery const d{dir.path() + "/M", "", message, -1, "1700000000.Mabc"};
    auto const first = deliver_maildir(d, "mx");
    auto const second = deliver_maildir(d, "mx");
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first.value(), second.value());
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path() + "/M/new"), {}), 1);
}

TEST(Maildir, ADerivedNameMovedToCurByAReaderStillCountsAsDelivered) {
    testing::TempDir dir;
    std::string const message = dir.path() + "/message";
    ASSERT_TRUE(write_file_synced(message, "Subject: once\r\n\r\n", 0));
    MaildirDelivery const d{dir.path() + "/M", "", message, -1, "1700000000.Mdef"};
    auto const first = deliver_maildir(d, "mx");
    ASSERT_TRUE(first);
    std::string const seen = dir.path() + "/M/cur/1700000000.Mdef.mx:2,S";
    fs::rename(first.value(), seen);
    auto const again = deliver_maildir(d, "mx");
    ASSERT_TRUE(again);
    EXPECT_EQ(again.value(), seen);
    EXPECT_TRUE(fs::is_empty(dir.path() + "/M/new"));
}

// The first attempt of a fresh message (may_exist false) does not search new/ and cur/ for an
// earlier copy: the copy a reader moved to cur/ is not found, and the delivery writes its own.
TEST(Maildir, AFirstAttemptDoesNotSearchForAnEarlierCopy) {
    testing::TempDir dir;
    std::string const message = dir.path() + "/message";
    ASSERT_TRUE(write_file_synced(message, "Subject: first\r\n\r\n", 0));
    MaildirDelivery d{dir.path() + "/M", "", message, -1, "1700000000.Mghi"};
    fs::create_directories(dir.path() + "/M/cur");
    std::string const seen = dir.path() + "/M/cur/1700000000.Mghi.mx:2,S";
    ASSERT_TRUE(write_file_synced(seen, "an earlier copy", 0));
    d.may_exist = false;
    auto const delivered = deliver_maildir(d, "mx");
    ASSERT_TRUE(delivered);
    EXPECT_EQ(delivered.value(), dir.path() + "/M/new/1700000000.Mghi.mx");
    d.may_exist = true;
    auto const again = deliver_maildir(d, "mx");
    ASSERT_TRUE(again);
    EXPECT_EQ(again.value(), delivered.value()); // a retry finds it
}

std::string junk_delivery(testing::TempDir const& dir, std::string const& text, bool junk) {
    std::string const message = dir.path() + "/message";
    {
        auto fd = open_file(message, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        EXPECT_TRUE(fd && write_all(fd.value().get(), text));
    }
    MaildirDelivery d{dir.path() + "/M", "", message, -1, ""};
    d.junk = junk;
    auto const delivered = deliver_maildir(d, "mx");
    EXPECT_TRUE(delivered);
    return delivered ? fs::path(delivered.value()).parent_path().string() : std::string();
}

TEST(MaildirJunk, SpamGoesToTheJunkFolder) {
    testing::TempDir dir;
    EXPECT_EQ(junk_delivery(dir, "Subject: a\r\nX-Spam: yes\r\n\r\nbody\r\n", true),
              dir.path() + "/M/.Junk/new");
    EXPECT_EQ(junk_delivery(dir, "x-spam-flag: YES\r\nSubject: b\r\n\r\nbody\r\n", true),
              dir.path() + "/M/.Junk/new");
    EXPECT_TRUE(fs::is_directory(dir.path() + "/M/.Junk/cur"));
}

TEST(MaildirJunk, OnlyAnExactHeaderLineCounts) {
    testing::TempDir dir;
    std::string const inbox = dir.path() + "/M/new";
    EXPECT_EQ(junk_delivery(dir, "Subject: a\r\n\r\nX-Spam: yes\r\n", true), inbox);
    EXPECT_EQ(junk_delivery(dir, "X-Spam: no\r\nX-Spam-Score: 9\r\n\r\nb\r\n", true), inbox);
    EXPECT_EQ(junk_delivery(dir, "X-Spam: yes, surely\r\n\r\nb\r\n", true), inbox);
    EXPECT_EQ(junk_delivery(dir, "X-Spam: yes\r\n\r\nb\r\n", false), inbox); // no junk
}

TEST(MaildirJunk, TheHeaderIsReadWithoutMovingTheDescriptor) {
    testing::TempDir dir;
    auto fd = open_file(dir.path() + "/message", O_RDWR | O_CREAT, 0600);
    ASSERT_TRUE(fd);
    ASSERT_TRUE(write_all(fd.value().get(), "SLOT\n\nX-Spam: yes\n\nbody\n"));
    ASSERT_EQ(::lseek(fd.value().get(), 6, SEEK_SET), 6);
    EXPECT_TRUE(header_says_spam(fd.value().get()));
    EXPECT_EQ(::lseek(fd.value().get(), 0, SEEK_CUR), 6);
    ASSERT_EQ(::lseek(fd.value().get(), 0, SEEK_SET), 0);
    EXPECT_FALSE(header_says_spam(fd.value().get())); // "SLOT", then the end of that header
}

} // namespace
} // namespace smtpd::rt
