// MDA delivery: fork, and in the child only async-signal-safe calls (the argument and
// environment vectors are built before fork); the parent feeds stdin and reads the output with
// poll(2) so that neither side can block the other, and checks the child with waitpid WNOHANG at
// least every kPollSlice. SIGPIPE is blocked in the calling thread while it writes (a command
// that does not read its input must not kill us) and any SIGPIPE it raised is consumed after.
#include "deliver/mda.hpp"

#include "common/address.hpp"
#include "deliver/message_source.hpp"

#include "common/fs.hpp"
#include "deliver/maildir.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <fmt/format.h>
#include <optional>
#include <paths.h>
#include <poll.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

using Clock = std::chrono::steady_clock;
using Kind = DeliveryOutcome::Kind;

constexpr auto kPollSlice = std::chrono::milliseconds(50);

// kMdaExits lists sysexits.h's codes in order, EX__BASE to EX__MAX.
constexpr bool lists_every_sysexit() {
    for (std::size_t i = 0; i < kMdaExits.size(); ++i) {
        if (kMdaExits.at(i).code != EX__BASE + static_cast<int>(i)) {
            return false;
        }
    }
    return kMdaExits.size() == EX__MAX - EX__BASE + 1;
}
static_assert(lists_every_sysexit());

/// Blocks SIGPIPE in this thread; on the way out consumes one it raised, then unblocks.
class SigpipeBlock {
  public:
    SigpipeBlock() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &set_, &old_);
    }
    SigpipeBlock(SigpipeBlock const&) = delete;
    SigpipeBlock& operator=(SigpipeBlock const&) = delete;
    ~SigpipeBlock() {
        timespec const zero{};
        if (!was_pending_) {
            static_cast<void>(sigtimedwait(&set_, nullptr, &zero));
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    [[nodiscard]] sigset_t const& old_mask() const { return old_; }

  private:
    sigset_t set_{};
    sigset_t old_{};
    bool was_pending_ = false;
};

/// NAME=value strings and the char* vectors execve wants, built before fork.
struct ExecVectors {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::vector<char*> argv;
    std::vector<char*> envp;

    ExecVectors(std::string const& command, std::vector<std::string> environment)
        : args{"sh", "-c", command}, env(std::move(environment)) {
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        for (auto& e : env) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
    }
};

// The child: async-signal-safe calls only. EX_OSERR (a TempFail) when anything fails.
[[noreturn]] void exec_child(ExecVectors const& v, char const* home, int in, int out,
                             sigset_t const& mask) {
    ::signal(SIGPIPE, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &mask, nullptr);
    ::setpgid(0, 0); // its own process group: the time limit kills the whole of it
    if (::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
        ::dup2(out, STDERR_FILENO) < 0) {
        ::_exit(EX_OSERR);
    }
    ::close_range(3, ~0U, 0);
    if (::chdir(home) != 0 && ::chdir("/") != 0) {
        ::_exit(EX_OSERR);
    }
    ::execve(_PATH_BSHELL, v.argv.data(), v.envp.data());
    ::_exit(EX_OSERR);
}

Result<void> set_nonblocking(int fd) {
    int const flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        return last_error();
    }
    return success();
}

Result<std::array<Fd, 2>> make_pipe() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        return last_error();
    }
    return std::array<Fd, 2>{Fd(fds[0]), Fd(fds[1])};
}

/// One run of the command: the pipes, the message being fed, the output kept.
class MdaRun {
  public:
    MdaRun(MdaDelivery const& d, Fd message) : d_(d), message_(std::move(message)) {}

    [[nodiscard]] Result<void> start(SigpipeBlock const& block);
    [[nodiscard]] DeliveryOutcome wait();

  private:
    void feed_stdin();
    void read_output();
    [[nodiscard]] bool refill();
    [[nodiscard]] std::optional<int> reap();
    void poll_once(Clock::duration left);

    MdaDelivery const& d_;
    Fd message_;
    Fd stdin_;
    Fd held_stdin_; ///< stdin after a read error: kept open so the command never sees EOF
    Fd output_;
    pid_t pid_ = -1;
    std::string pending_; ///< converted bytes not yet written to stdin
    std::size_t offset_ = 0;
    bool pending_cr_ = false;
    std::string output_text_;
    bool lost_ = false;
    int read_errno_ = 0; ///< reading the queued message failed: the command must not finish
};

Result<void> MdaRun::start(SigpipeBlock const& block) {
    auto in = make_pipe();
    auto out = make_pipe();
    if (!in || !out) {
        return !in ? in.error() : out.error();
    }
    // Our ends only: each end of a pipe is its own open file description.
    if (auto r = set_nonblocking(in.value()[1].get()); !r) {
        return r;
    }
    if (auto r = set_nonblocking(out.value()[0].get()); !r) {
        return r;
    }
    ExecVectors const vectors(d_.command, mda_environment(d_));
    pid_ = ::fork();
    if (pid_ < 0) {
        return last_error();
    }
    if (pid_ == 0) {
        exec_child(vectors, d_.home.c_str(), in.value()[0].get(), out.value()[1].get(),
                   block.old_mask());
    }
    static_cast<void>(::setpgid(pid_, pid_)); // also here, so a kill cannot come before it
    stdin_ = std::move(in.value()[1]);
    output_ = std::move(out.value()[0]);
    pending_ = d_.prepend;
    return success();
}

// The next chunk of the message, converted; false at its end.
bool MdaRun::refill() {
    std::array<char, 65536> chunk{};
    ssize_t n = 0;
    do {
        n = ::read(message_.get(), chunk.data(), chunk.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        // The command has part of the message: it must never see the end of its input, or it
        // could deliver the part. It is killed, and the recipient stays queued.
        read_errno_ = errno;
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        pending_.clear();
        offset_ = 0;
        return false;
    }
    if (n == 0) {
        pending_ = pending_cr_ ? "\r" : "";
        pending_cr_ = false;
    } else {
        pending_ = crlf_to_lf({chunk.data(), static_cast<std::size_t>(n)}, pending_cr_);
    }
    offset_ = 0;
    return n > 0 || !pending_.empty();
}

void MdaRun::feed_stdin() {
    for (;;) {
        if (offset_ == pending_.size() && !refill()) {
            if (read_errno_ == 0) {
                stdin_.reset(); // EOF for the command
            } else {
                held_stdin_ = std::move(stdin_); // no EOF: open, no longer written
            }
            return;
        }
        ssize_t const n =
            ::write(stdin_.get(), pending_.data() + offset_, pending_.size() - offset_);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            if (errno != EAGAIN) {
                stdin_.reset(); // EPIPE: the command stopped reading; its exit status decides
            }
            return;
        }
        offset_ += static_cast<std::size_t>(n);
    }
}

void MdaRun::read_output() {
    std::array<char, 4096> buf{};
    for (;;) {
        ssize_t const n = ::read(output_.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                output_.reset();
            }
            return;
        }
        std::size_t const room = kMdaOutputLimit - output_text_.size();
        output_text_.append(buf.data(), std::min(room, static_cast<std::size_t>(n)));
    }
}

std::optional<int> MdaRun::reap() {
    int status = 0;
    pid_t const r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        return status;
    }
    if (r < 0 && errno == ECHILD) {
        lost_ = true; // reaped elsewhere (SIGCHLD ignored?): the status is unknown
        return 0;
    }
    return std::nullopt;
}

void MdaRun::poll_once(Clock::duration left) {
    std::array<pollfd, 2> fds{{{stdin_.get(), POLLOUT, 0}, {output_.get(), POLLIN, 0}}};
    auto const slice = std::min<Clock::duration>(left, kPollSlice);
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(slice).count();
    if (::poll(fds.data(), fds.size(), static_cast<int>(ms) + 1) <= 0) {
        return; // poll ignores the negative fds of closed pipes
    }
    if (stdin_.valid() && fds[0].revents != 0) {
        feed_stdin();
    }
    if (output_.valid() && fds[1].revents != 0) {
        read_output();
    }
}

DeliveryOutcome MdaRun::wait() {
    auto const deadline = Clock::now() + d_.timeout;
    for (;;) {
        if (auto status = reap()) {
            if (output_.valid()) {
                read_output(); // what is already in the pipe; a straggler's output is not awaited
            }
            if (read_errno_ != 0) {
                return {Kind::TempFail, fmt::format("mda: reading the queued message: {}",
                                                    std::generic_category().message(read_errno_))};
            }
            if (lost_) {
                return {Kind::TempFail, "mda: exit status lost"};
            }
            return mda_outcome(*status, output_text_);
        }
        auto const now = Clock::now();
        if (now >= deadline) {
            ::kill(-pid_, SIGKILL);
            ::kill(pid_, SIGKILL);
            int status = 0;
            static_cast<void>(::waitpid(pid_, &status, 0));
            auto const ms = d_.timeout.count();
            return {Kind::TempFail, ms % 1000 == 0
                                        ? fmt::format("mda timed out after {}s", ms / 1000)
                                        : fmt::format("mda timed out after {}ms", ms)};
        }
        poll_once(deadline - now);
    }
}

std::string last_line(std::string_view output) {
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r' ||
                               output.back() == ' ' || output.back() == '\t')) {
        output.remove_suffix(1);
    }
    auto const nl = output.find_last_of('\n');
    std::string line(nl == std::string_view::npos ? output : output.substr(nl + 1));
    for (char& c : line) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = '?'; // one line in the log
        }
    }
    return line;
}

} // namespace

std::vector<std::string> mda_environment(MdaDelivery const& d) {
    auto const [local, domain] = split_address(d.original_recipient);
    std::vector<std::string> env{
        fmt::format("PATH={}", _PATH_DEFPATH),
        fmt::format("DOMAIN={}", domain),
        fmt::format("HOME={}", d.home),
        fmt::format("ORIGINAL_RECIPIENT={}", d.original_recipient),
        fmt::format("RECIPIENT={}", d.recipient),
        fmt::format("SHELL={}", _PATH_BSHELL),
        fmt::format("LOCAL={}", local),
        fmt::format("LOGNAME={}", d.user),
        fmt::format("USER={}", d.user),
        fmt::format("SENDER={}", d.sender),
    };
    if (!d.extension.empty()) {
        env.push_back(fmt::format("EXTENSION={}", d.extension));
    }
    return env;
}

DeliveryOutcome mda_outcome(int wait_status, std::string_view output) {
    std::string const line = last_line(output);
    std::string const tail = line.empty() ? std::string() : ": " + line;
    if (WIFSIGNALED(wait_status)) {
        return {Kind::TempFail, fmt::format("{} mda terminated by signal {}{}", kSignalledStatus,
                                            WTERMSIG(wait_status), tail)};
    }
    int const code = WEXITSTATUS(wait_status);
    if (code == 0) {
        return {Kind::Delivered, "delivered to mda" + tail};
    }
    MdaExit const meaning = mda_exit(code);
    return {meaning.temporary ? Kind::TempFail : Kind::PermFail,
            fmt::format("{} mda exited {} ({}){}", meaning.status, code, meaning.text, tail)};
}

MdaExit mda_exit(int code) {
    auto const known = std::find_if(kMdaExits.begin(), kMdaExits.end(),
                                    [code](MdaExit const& e) { return e.code == code; });
    return known != kMdaExits.end() ? *known : kUnknownMdaExit;
}

std::string shell_quote(std::string_view value) {
    std::string out = "'";
    for (char const c : value) {
        if (c == '\'') {
            out += "'\\''";
        } else if (c != '\0') {
            out += c;
        }
    }
    return out + "'";
}

DeliveryOutcome deliver_mda(MdaDelivery const& delivery) {
    auto message = open_message(delivery.message_path, delivery.message_fd);
    if (!message) {
        return {Kind::TempFail,
                fmt::format("{}: {}", delivery.message_path, message.error().what())};
    }
    SigpipeBlock const block;
    MdaRun run(delivery, std::move(message).value());
    if (auto started = run.start(block); !started) {
        return {Kind::TempFail, "mda: cannot start: " + started.error().what()};
    }
    return run.wait();
}

} // namespace smtpd::rt
