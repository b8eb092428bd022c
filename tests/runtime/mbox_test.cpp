// mbox delivery into real files: the From line, mboxo quoting, the blank line, appending, the
// dotlock (held, stale, dead owner), the fcntl lock held by another process, the refusals
// (symlink, directory, FIFO, hard link) and the truncation back after a failed write.
// Depends on: deliver/mbox.hpp, common/fs.hpp, GoogleTest.
#include "common/fs.hpp"
#include "deliver/mbox.hpp"
#include "temp_dir.hpp"

#include <array>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace smtpd::rt {
namespace {

namespace fs = std::filesystem;
using Kind = DeliveryOutcome::Kind;
using namespace std::chrono_literals;

constexpr std::time_t kWhen = 1700000000;

class Mbox : public ::testing::Test {
  protected:
    testing::TempDir dir;
    std::string mbox = dir.path() + "/user";
    std::string message = dir.path() + "/message";

    void write_message(std::string_view text) const {
        auto fd = open_file(message, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_TRUE(fd);
        ASSERT_TRUE(write_all(fd.value().get(), text));
    }
    [[nodiscard]] MboxDelivery delivery(std::string sender = "a@example.org") const {
        return MboxDelivery{mbox, std::move(sender), "Return-Path: <a@example.org>\n", message,
                            kWhen};
    }
    [[nodiscard]] std::string content() const {
        auto text = read_file(mbox);
        return text ? text.value() : std::string("(unreadable)");
    }
    [[nodiscard]] static MboxLocking quick() { return MboxLocking{300ms, 300s, 20ms}; }
};

TEST_F(Mbox, WritesFromLineMessageAndBlankLine) {
    write_message("Subject: hi\r\n\r\nline\r\n");
    auto const out = deliver_mbox(delivery());
    ASSERT_EQ(out.kind, Kind::Delivered) << out.text;
    EXPECT_EQ(content(), mbox_from_line("a@example.org", kWhen) +
                             "Return-Path: <a@example.org>\nSubject: hi\n\nline\n\n");
}

TEST_F(Mbox, QuotesFromAtLineStartsOnly) {
    write_message("Subject: x\r\n\r\nFrom here\r\n>From there\r\nsay From x\r\nFrom\r\n");
    ASSERT_EQ(deliver_mbox(delivery()).kind, Kind::Delivered);
    EXPECT_EQ(content(), mbox_from_line("a@example.org", kWhen) +
                             "Return-Path: <a@example.org>\nSubject: x\n\n>From here\n"
                             ">From there\nsay From x\nFrom\n\n");
}

TEST_F(Mbox, MessageWithoutFinalNewlineStillEndsWithBlankLine) {
    write_message("Subject: x\r\n\r\nno newline");
    ASSERT_EQ(deliver_mbox(delivery()).kind, Kind::Delivered);
    EXPECT_TRUE(content().ends_with("\nno newline\n\n"));
}

TEST_F(Mbox, NullSenderIsMailerDaemon) {
    write_message("Subject: bounce\r\n\r\n");
    ASSERT_EQ(deliver_mbox(delivery("")).kind, Kind::Delivered);
    EXPECT_TRUE(content().starts_with("From MAILER-DAEMON "));
}

TEST_F(Mbox, AppendsAndCreatesMode0600) {
    write_message("Subject: one\r\n\r\n");
    ASSERT_EQ(deliver_mbox(delivery()).kind, Kind::Delivered);
    std::string const first = content();
    ASSERT_EQ(deliver_mbox(delivery()).kind, Kind::Delivered);
    EXPECT_EQ(content(), first + first);
    struct stat st {};
    ASSERT_EQ(::stat(mbox.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    EXPECT_FALSE(fs::exists(mbox + ".lock"));
}

TEST_F(Mbox, MissingMessageIsTempFailAndLeavesMailboxAlone) {
    auto const out = deliver_mbox(delivery());
    EXPECT_EQ(out.kind, Kind::TempFail);
    EXPECT_NE(out.text.find("message"), std::string::npos) << out.text;
    EXPECT_EQ(fs::file_size(mbox), 0U);
    EXPECT_FALSE(fs::exists(mbox + ".lock"));
}

TEST_F(Mbox, RefusesASymlink) {
    write_message("Subject: x\r\n\r\n");
    std::string const target = dir.path() + "/target";
    ASSERT_TRUE(open_file(target, O_WRONLY | O_CREAT, 0600));
    fs::create_symlink(target, mbox);
    EXPECT_EQ(deliver_mbox(delivery()).kind, Kind::PermFail);
    EXPECT_EQ(fs::file_size(target), 0U);
}

TEST_F(Mbox, RefusesADirectoryAFifoAndAHardLink) {
    write_message("Subject: x\r\n\r\n");
    fs::create_directory(mbox);
    EXPECT_EQ(deliver_mbox(delivery()).kind, Kind::PermFail);
    fs::remove(mbox);
    ASSERT_EQ(::mkfifo(mbox.c_str(), 0600), 0);
    EXPECT_EQ(deliver_mbox(delivery()).kind, Kind::PermFail);
    fs::remove(mbox);
    ASSERT_TRUE(open_file(mbox, O_WRONLY | O_CREAT, 0600));
    fs::create_hard_link(mbox, dir.path() + "/other");
    auto const out = deliver_mbox(delivery());
    EXPECT_EQ(out.kind, Kind::PermFail) << out.text;
    EXPECT_EQ(fs::file_size(mbox), 0U);
}

// Debian's /var/mail is root:mail 2775: a user outside group mail cannot create the dotlock.
TEST_F(Mbox, DotlockRefusedByTheDirectoryFallsBackToFcntl) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root creates the dotlock anyway";
    }
    write_message("Subject: x\r\n\r\n");
    ASSERT_TRUE(open_file(mbox, O_WRONLY | O_CREAT, 0600));
    fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
    auto const out = deliver_mbox(delivery(), quick());
    fs::permissions(dir.path(), fs::perms::owner_all);
    EXPECT_EQ(out.kind, Kind::Delivered) << out.text;
    EXPECT_TRUE(content().ends_with("Subject: x\n\n\n"));
}

TEST_F(Mbox, HeldDotlockTimesOut) {
    write_message("Subject: x\r\n\r\n");
    ASSERT_TRUE(write_file_synced(mbox + ".lock", std::to_string(::getpid()) + "\n", O_EXCL));
    auto const out = deliver_mbox(delivery(), quick());
    EXPECT_EQ(out.kind, Kind::TempFail);
    EXPECT_NE(out.text.find("lock timeout"), std::string::npos) << out.text;
    EXPECT_TRUE(fs::exists(mbox + ".lock")); // not ours to remove
}

TEST_F(Mbox, OldDotlockIsStale) {
    write_message("Subject: x\r\n\r\n");
    ASSERT_TRUE(write_file_synced(mbox + ".lock", "", O_EXCL));
    std::array<timespec, 2> const old{{{kWhen, 0}, {kWhen, 0}}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (mbox + ".lock").c_str(), old.data(), 0), 0);
    EXPECT_EQ(deliver_mbox(delivery(), quick()).kind, Kind::Delivered);
    EXPECT_FALSE(fs::exists(mbox + ".lock"));
}

TEST_F(Mbox, DotlockOfADeadProcessIsStale) {
    write_message("Subject: x\r\n\r\n");
    pid_t const child = ::fork();
    if (child == 0) {
        ::_exit(0);
    }
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
    ASSERT_TRUE(write_file_synced(mbox + ".lock", std::to_string(child) + "\n", O_EXCL));
    EXPECT_EQ(deliver_mbox(delivery(), quick()).kind, Kind::Delivered);
}

TEST_F(Mbox, FcntlLockOfAnotherProcessTimesOut) {
    write_message("Subject: x\r\n\r\n");
    std::array<int, 2> locked{};
    std::array<int, 2> release{};
    ASSERT_EQ(::pipe(locked.data()), 0);
    ASSERT_EQ(::pipe(release.data()), 0);
    pid_t const child = ::fork();
    if (child == 0) { // holds a write lock until told to stop
        int const fd = ::open(mbox.c_str(), O_RDWR | O_CREAT, 0600);
        struct flock fl {};
        fl.l_type = F_WRLCK;
        char c = 0;
        bool const ok = fd >= 0 && ::fcntl(fd, F_SETLKW, &fl) == 0 &&
                        ::write(locked[1], "x", 1) == 1 && ::read(release[0], &c, 1) >= 0;
        ::_exit(ok ? 0 : 1);
    }
    char c = 0;
    ASSERT_EQ(::read(locked[0], &c, 1), 1);
    auto const out = deliver_mbox(delivery(), quick());
    EXPECT_EQ(out.kind, Kind::TempFail) << out.text;
    EXPECT_FALSE(fs::exists(mbox + ".lock"));
    ASSERT_EQ(::write(release[1], "x", 1), 1);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_EQ(deliver_mbox(delivery(), quick()).kind, Kind::Delivered);
    for (int fd : {locked[0], locked[1], release[0], release[1]}) {
        ::close(fd);
    }
}

// RLIMIT_FSIZE makes a write fail half way (EFBIG) in a child; the mailbox keeps its old size.
TEST_F(Mbox, FailedWriteIsTruncatedBack) {
    write_message("Subject: big\r\n\r\n" + std::string(200000, 'x') + "\r\n");
    std::string const old = "From old Thu Jan  1 00:00:00 1970\nSubject: old\n\n";
    ASSERT_TRUE(write_file_synced(mbox, old, 0));
    pid_t const child = ::fork();
    if (child == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit const limit{100000, 100000};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        auto const out = deliver_mbox(delivery());
        ::_exit(out.kind == Kind::TempFail ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(content(), old);
}

TEST(MboxFromLine, HasCtimeLayout) {
    ::setenv("TZ", "UTC0", 1);
    ::tzset();
    EXPECT_EQ(mbox_from_line("a@b", 0), "From a@b Thu Jan  1 00:00:00 1970\n");
    EXPECT_EQ(mbox_from_line("", kWhen), "From MAILER-DAEMON Tue Nov 14 22:13:20 2023\n");
    EXPECT_EQ(mbox_from_line("a\nb", 0), "From a?b Thu Jan  1 00:00:00 1970\n");
}

TEST(MboxQuoter, QuotesAFromSplitAcrossChunks) {
    MboxQuoter q;
    std::string out = q.feed("x\nFr");
    out += q.feed("om y\nFrog\nF");
    out += q.feed("rom");
    out += q.finish();
    EXPECT_EQ(out, "x\n>From y\nFrog\nFrom");
}

TEST(MboxQuoter, LeavesQuotedAndMidLineFromAlone) {
    MboxQuoter q;
    EXPECT_EQ(q.feed(">From a\nb From c\n\nFrom d\n"), ">From a\nb From c\n\n>From d\n");
}

} // namespace
} // namespace smtpd::rt
