// MDA delivery with a real /bin/sh: the message on stdin (CRLF -> LF, prepended lines first),
// the working directory, the exact environment, the exit status mapping, the captured output,
// the time limit killing the process group, commands that do not read their input, and
// shell_quote against hostile addresses (each must reach the command verbatim).
// Depends on: deliver/mda.hpp, common/fs.hpp, GoogleTest.
#include "common/fs.hpp"
#include "deliver/mda.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <sysexits.h>
#include <thread>

namespace smtpd::rt {
namespace {

namespace fs = std::filesystem;
using Kind = DeliveryOutcome::Kind;
using namespace std::chrono_literals;

class Mda : public ::testing::Test {
  protected:
    testing::TempDir dir;
    std::string home = dir.path() + "/home";
    std::string message = dir.path() + "/message";

    void SetUp() override {
        fs::create_directory(home);
        write_message("Subject: hi\r\n\r\nline\r\n");
    }
    void write_message(std::string_view text) const {
        ASSERT_TRUE(write_file_synced(message, text, O_TRUNC));
    }
    [[nodiscard]] MdaDelivery delivery(std::string command) const {
        MdaDelivery d;
        d.command = std::move(command);
        d.prepend = "Delivered-To: u@example.net\n";
        d.message_path = message;
        d.user = "u";
        d.home = home;
        d.sender = "a@example.org";
        d.recipient = "u@example.net";
        d.original_recipient = "u+tag@example.net";
        d.extension = "tag";
        d.timeout = 20s;
        return d;
    }
    [[nodiscard]] std::string home_file(std::string const& name) const {
        auto text = read_file(home + "/" + name);
        return text ? text.value() : std::string("(missing)");
    }
};

TEST_F(Mda, MessageArrivesOnStdinWithLfLineEnds) {
    auto const out = deliver_mda(delivery("cat > got"));
    ASSERT_EQ(out.kind, Kind::Delivered) << out.text;
    EXPECT_EQ(home_file("got"), "Delivered-To: u@example.net\nSubject: hi\n\nline\n");
}

TEST_F(Mda, RunsInHomeOrInRootWhenHomeIsGone) {
    ASSERT_EQ(deliver_mda(delivery("pwd > pwd")).kind, Kind::Delivered);
    EXPECT_EQ(home_file("pwd"), home + "\n");
    auto d = delivery("pwd > " + shell_quote(home + "/pwd2"));
    d.home = dir.path() + "/nonexistent";
    ASSERT_EQ(deliver_mda(d).kind, Kind::Delivered);
    EXPECT_EQ(home_file("pwd2"), "/\n");
}

TEST_F(Mda, EnvironmentIsCleanAndDocumented) {
    ::setenv("SMTPD_TEST_LEAK", "1", 1);
    ASSERT_EQ(deliver_mda(delivery("env > env")).kind, Kind::Delivered);
    ::unsetenv("SMTPD_TEST_LEAK");
    std::vector<std::string> got;
    std::istringstream in(home_file("env"));
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("PWD=") && !line.starts_with("OLDPWD=")) { // set by sh itself
            got.push_back(line);
        }
    }
    std::vector<std::string> want{"PATH=/usr/bin:/bin",
                                  "DOMAIN=example.net",
                                  "HOME=" + home,
                                  "ORIGINAL_RECIPIENT=u+tag@example.net",
                                  "RECIPIENT=u@example.net",
                                  "SHELL=/bin/sh",
                                  "LOCAL=u+tag",
                                  "LOGNAME=u",
                                  "USER=u",
                                  "SENDER=a@example.org",
                                  "EXTENSION=tag"};
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
}

TEST(MdaEnvironment, NullSenderIsEmptyAndNoExtensionIsOmitted) {
    MdaDelivery d;
    d.original_recipient = "postmaster";
    auto const env = mda_environment(d);
    EXPECT_NE(std::find(env.begin(), env.end(), "SENDER="), env.end());
    EXPECT_NE(std::find(env.begin(), env.end(), "LOCAL=postmaster"), env.end());
    EXPECT_NE(std::find(env.begin(), env.end(), "DOMAIN="), env.end());
    EXPECT_TRUE(std::none_of(env.begin(), env.end(),
                             [](auto const& e) { return e.starts_with("EXTENSION="); }));
}

TEST_F(Mda, ExitStatusesMapAsSendmailDoes) {
    struct Case {
        char const* command;
        Kind kind;
        char const* text;
    };
    for (auto const& c :
         {Case{"exit 0", Kind::Delivered, "delivered to mda"},
          Case{"exit 75", Kind::TempFail, "4.3.0 mda exited 75 (temporary failure)"},
          Case{"exit 71", Kind::TempFail, "4.3.0 mda exited 71 (system resource problem)"},
          Case{"exit 74", Kind::TempFail, "4.3.0 mda exited 74 (input/output error)"},
          Case{"exit 67", Kind::PermFail, "5.1.1 mda exited 67 (user unknown)"},
          Case{"exit 77", Kind::PermFail, "5.7.0 mda exited 77 (permission denied)"},
          Case{"exit 1", Kind::PermFail, "5.3.0 mda exited 1 (unknown exit status)"},
          Case{"no-such-command-here 2>/dev/null", Kind::PermFail,
               "5.3.0 mda exited 127 (unknown exit status)"},
          Case{"kill -TERM $$", Kind::TempFail, "4.3.0 mda terminated by signal 15"}}) {
        auto const out = deliver_mda(delivery(c.command));
        EXPECT_EQ(out.kind, c.kind) << c.command << ": " << out.text;
        EXPECT_EQ(out.text, c.text) << c.command;
    }
}

TEST_F(Mda, OutcomeQuotesTheLastLineOfOutput) {
    auto const out = deliver_mda(delivery("echo starting; echo 'quota exceeded' >&2; exit 75"));
    EXPECT_EQ(out.kind, Kind::TempFail);
    EXPECT_EQ(out.text, "4.3.0 mda exited 75 (temporary failure): quota exceeded");
}

TEST_F(Mda, OutputIsBoundedAndDrained) {
    auto const out = deliver_mda(delivery("head -c 1000000 /dev/zero | tr '\\0' x; exit 1"));
    EXPECT_EQ(out.kind, Kind::PermFail);
    EXPECT_LE(out.text.size(),
              kMdaOutputLimit + 64); // the output, after "5.3.0 mda exited 1 (...): "
}

TEST_F(Mda, CommandThatIgnoresALargeMessageIsFine) {
    write_message(std::string(4 << 20, 'x') + "\r\n");
    auto const out = deliver_mda(delivery("exit 0"));
    EXPECT_EQ(out.kind, Kind::Delivered) << out.text;
}

TEST_F(Mda, LargeInputAndOutputAtOnceDoNotDeadlock) {
    write_message(std::string(2 << 20, 'y') + "\r\n");
    auto const out = deliver_mda(delivery("cat; cat >/dev/null"));
    EXPECT_EQ(out.kind, Kind::Delivered) << out.text;
}

bool gone_or_zombie(pid_t pid) {
    auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) {
        return true;
    }
    auto const close = stat.value().rfind(')');
    return close != std::string::npos && stat.value().substr(close + 2, 1) == "Z";
}

TEST_F(Mda, TimeLimitKillsTheProcessGroup) {
    auto d = delivery("sleep 30 & echo $! > bg.pid; sleep 30");
    d.timeout = 300ms;
    auto const started = std::chrono::steady_clock::now();
    auto const out = deliver_mda(d);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
    EXPECT_EQ(out.kind, Kind::TempFail);
    EXPECT_EQ(out.text, "mda timed out after 300ms");
    pid_t const bg = std::stoi(home_file("bg.pid"));
    for (int i = 0; i < 100 && !gone_or_zombie(bg); ++i) {
        std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(gone_or_zombie(bg));
}

TEST_F(Mda, MissingMessageIsTempFail) {
    auto d = delivery("cat > got");
    d.message_path = dir.path() + "/nope";
    EXPECT_EQ(deliver_mda(d).kind, Kind::TempFail);
    EXPECT_FALSE(fs::exists(home + "/got"));
}

TEST_F(Mda, ReadErrorOnTheMessageKillsTheCommandBeforeItSeesTheEnd) {
    // A directory opens read-only but every read() fails (EISDIR): the command has the
    // prepended header and nothing else. Were its stdin closed, it would finish and "deliver" a
    // truncated message; it must be killed instead, and the recipient stay queued.
    auto d = delivery("cat > got; echo finished > done");
    d.message_path = home;
    auto const out = deliver_mda(d);
    EXPECT_EQ(out.kind, Kind::TempFail);
    EXPECT_NE(out.text.find("reading the queued message"), std::string::npos) << out.text;
    EXPECT_FALSE(fs::exists(home + "/done"));
}

TEST(MdaOutcome, MapsWaitStatuses) {
    EXPECT_EQ(mda_outcome(0, "").kind, Kind::Delivered);
    EXPECT_EQ(mda_outcome(75 << 8, "a\nb\n\n").text, "4.3.0 mda exited 75 (temporary failure): b");
    EXPECT_EQ(mda_outcome(SIGKILL, "").text, "4.3.0 mda terminated by signal 9");
    EXPECT_EQ(mda_outcome(64 << 8, "bad\tline\n").text,
              "5.3.0 mda exited 64 (command line usage error): bad?line");
}

// Every sysexits(3) code: temporary exactly for EX_OSERR, EX_IOERR and EX_TEMPFAIL (sendmail's
// markfailure()), and a 4.x.x status exactly when temporary.
TEST(MdaOutcome, EverySysexitHasAStatusOfItsClass) {
    for (int code = EX__BASE; code <= EX__MAX; ++code) {
        MdaExit const e = mda_exit(code);
        EXPECT_EQ(e.code, code);
        bool const temporary = code == EX_OSERR || code == EX_IOERR || code == EX_TEMPFAIL;
        EXPECT_EQ(e.temporary, temporary) << code;
        EXPECT_EQ(e.status.front(), temporary ? '4' : '5') << code;
        EXPECT_EQ(mda_outcome(code << 8, "").kind, temporary ? Kind::TempFail : Kind::PermFail);
    }
    EXPECT_EQ(mda_exit(EX_NOUSER).status, "5.1.1");
    EXPECT_EQ(mda_exit(EX_CONFIG).status, "5.3.5");
    EXPECT_EQ(mda_exit(2).status, "5.3.0");
    EXPECT_FALSE(mda_exit(255).temporary);
}

TEST(ShellQuote, QuotesSingleQuotesAndDropsNul) {
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("a'b"), "'a'\\''b'");
    EXPECT_EQ(shell_quote(std::string("a\0b", 3)), "'ab'");
}

class ShellQuoteThroughSh : public Mda {
  protected:
    /// Runs `printf %s <quoted>` through deliver_mda; what printf received.
    std::string round_trip(std::string const& value) {
        auto const out = deliver_mda(delivery("printf %s " + shell_quote(value) + " > arg"));
        EXPECT_EQ(out.kind, Kind::Delivered) << out.text;
        return home_file("arg");
    }
};

TEST_F(ShellQuoteThroughSh, HostileAddressesArriveVerbatim) {
    for (std::string const value :
         {"; rm -rf / ; touch pwned", "`touch pwned`", "$(touch pwned)", "${HOME}", "'", "''", "\"",
          "a'b\"c`d$e\\f", "x\n touch pwned\n", "x';touch pwned;'", "\\'", "-n", "*", "a  b\tc",
          "!#%&*?{|}~^", "root@localhost;touch pwned", "\"; touch pwned; \"@example.org",
          "$(touch${IFS}pwned)@x"}) {
        EXPECT_EQ(round_trip(value), value);
    }
    EXPECT_FALSE(fs::exists(home + "/pwned"));
}

TEST_F(ShellQuoteThroughSh, RandomBytesArriveVerbatim) {
    // A fixed seed on purpose: a failure must reproduce. 20200128: CVE-2020-7247's disclosure.
    std::mt19937 rng(20200128); // NOLINT(cert-msc32-c,cert-msc51-cpp)
    std::uniform_int_distribution<int> byte(1, 255);
    std::uniform_int_distribution<std::size_t> size(0, 40);
    for (int i = 0; i < 40; ++i) {
        std::string value(size(rng), ' ');
        std::generate(value.begin(), value.end(), [&] { return static_cast<char>(byte(rng)); });
        EXPECT_EQ(round_trip(value), value) << "case " << i;
    }
    EXPECT_FALSE(fs::exists(home + "/pwned"));
}

} // namespace
} // namespace smtpd::rt
