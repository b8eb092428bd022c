// open_proc_table (proc_table.hpp): one child per table on a socketpair, one request at a time.
// Writes use MSG_NOSIGNAL, so a dead child is an EPIPE and not a SIGPIPE; reads poll with the
// timeout. The child gets the socket as stdin and stdout, keeps stderr, and closes every other
// descriptor. Depends on: proc_table.hpp, proc_protocol.hpp, POSIX.
#include "table/proc_table.hpp"

#include "table/proc_protocol.hpp"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace smtpd::rt::table {

namespace {

Failure temporary(std::string why) {
    return failure(std::make_error_code(std::errc::resource_unavailable_try_again), std::move(why));
}

class ProcTable final : public Table {
  public:
    ProcTable(std::string name, std::string command, std::chrono::milliseconds timeout)
        : Table(std::move(name)), command_(std::move(command)), timeout_(timeout) {}
    ProcTable(ProcTable const&) = delete;
    ProcTable& operator=(ProcTable const&) = delete;
    ProcTable(ProcTable&&) = delete;
    ProcTable& operator=(ProcTable&&) = delete;
    ~ProcTable() override { stop(); }

    [[nodiscard]] std::string_view backend() const override { return "proc"; }

    Result<std::optional<std::string>> lookup(Service service, std::string_view key) override {
        auto answer = ask("lookup", service, key);
        if (!answer) {
            return answer.error();
        }
        if (auto* found = std::get_if<proc::Found>(&answer.value())) {
            return std::optional<std::string>(std::move(found->value));
        }
        return std::optional<std::string>();
    }

    Result<bool> match(Service service, std::string_view key) override {
        auto answer = ask("check", service, key);
        if (!answer) {
            return answer.error();
        }
        return std::holds_alternative<proc::Found>(answer.value());
    }

    Result<std::optional<std::string>> fetch(Service service) override {
        auto answer = ask("fetch", service, std::nullopt);
        if (!answer) {
            return answer.error();
        }
        if (auto* found = std::get_if<proc::Found>(&answer.value())) {
            return std::optional<std::string>(std::move(found->value));
        }
        return std::optional<std::string>();
    }

    Result<void> reload() override {
        if (pid_ < 0) {
            return success(); // not started: it reads its source when it starts
        }
        auto answer = ask("update", std::nullopt, std::nullopt);
        if (!answer) {
            return answer.error();
        }
        return success();
    }

  private:
    Result<proc::Answer> ask(std::string_view type, std::optional<Service> service,
                             std::optional<std::string_view> key) {
        if (key && key->find_first_of("\r\n") != std::string_view::npos) {
            return temporary("a key with a line break cannot be asked");
        }
        if (pid_ < 0) {
            if (auto started = start(); !started) {
                stop();
                return started.error();
            }
        }
        if (service && !services_.at(static_cast<std::size_t>(*service))) {
            return failure(std::make_error_code(std::errc::not_supported),
                           fmt::format("table <{}>: the process did not register {}", name(),
                                       service_name(*service)));
        }
        timeval now{};
        ::gettimeofday(&now, nullptr);
        std::string const id = fmt::format("{:08x}", ++last_id_);
        auto sent = send_line(proc::request(name(), type, service, id, key, now.tv_sec,
                                            static_cast<long>(now.tv_usec)));
        auto line = sent ? read_line() : Result<std::string>(sent.error());
        if (!line) {
            stop();
            return line.error();
        }
        proc::Answer answer = proc::parse_answer(line.value(), type, id);
        if (auto* garbled = std::get_if<proc::Garbled>(&answer)) {
            stop();
            return temporary(fmt::format("table <{}>: {}", name(), garbled->why));
        }
        if (auto* failed = std::get_if<proc::Failed>(&answer)) {
            return temporary(fmt::format("table <{}>: {} failed: {}", name(), type, failed->why));
        }
        return answer;
    }

    Result<void> start() {
        int sp[2] = {-1, -1};
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
            return failure(last_error(), "socketpair");
        }
        // Looked up before fork: the child calls only async-signal-safe functions.
        passwd const* pw = ::geteuid() == 0 ? ::getpwnam(SMTPD_USER) : nullptr;
        if (::geteuid() == 0 && pw == nullptr) {
            ::close(sp[0]);
            ::close(sp[1]);
            return temporary(
                fmt::format("table <{}>: no user {} to run it as", name(), SMTPD_USER));
        }
        std::string const shell_command = "exec " + command_;
        uid_t const uid = pw != nullptr ? pw->pw_uid : 0;
        gid_t const gid = pw != nullptr ? pw->pw_gid : 0;
        pid_t const pid = ::fork();
        if (pid < 0) {
            ::close(sp[0]);
            ::close(sp[1]);
            return failure(last_error(), "fork");
        }
        if (pid == 0) {
            if (::dup2(sp[1], STDIN_FILENO) < 0 || ::dup2(sp[1], STDOUT_FILENO) < 0) {
                ::_exit(127);
            }
            ::closefrom(STDERR_FILENO + 1);
            if (pw != nullptr && (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
                                  ::setresuid(uid, uid, uid) != 0)) {
                ::_exit(127);
            }
            ::signal(SIGPIPE, SIG_DFL);
            ::execl("/bin/sh", "sh", "-c", shell_command.c_str(), nullptr);
            ::_exit(127);
        }
        ::close(sp[1]);
        pid_ = pid;
        fd_ = sp[0];
        buffer_.clear();
        services_.fill(false);
        if (auto sent = send_raw(proc::handshake(SMTPD_VERSION, name())); !sent) {
            return sent;
        }
        bool any = false;
        for (;;) {
            auto line = read_line();
            if (!line) {
                return line.error();
            }
            auto reg = proc::parse_register(line.value());
            if (std::holds_alternative<proc::Ready>(reg)) {
                break;
            }
            if (auto* garbled = std::get_if<proc::Garbled>(&reg)) {
                return temporary(fmt::format("table <{}>: handshake: {}", name(), garbled->why));
            }
            services_.at(static_cast<std::size_t>(std::get<proc::Registered>(reg).service)) = true;
            any = true;
        }
        if (!any) {
            return temporary(fmt::format("table <{}>: no services registered", name()));
        }
        return success();
    }

    void stop() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }

    Result<void> send_line(std::string const& line) { return send_raw(line + "\n"); }

    Result<void> send_raw(std::string_view bytes) {
        while (!bytes.empty()) {
            ssize_t const n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return temporary(fmt::format("table <{}>: the process is gone: {}", name(),
                                             last_error().message()));
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return success();
    }

    // One line, without its newline, within the timeout (for the whole line).
    Result<std::string> read_line() {
        constexpr std::size_t kMaxLine = 65536;
        auto const deadline = std::chrono::steady_clock::now() + timeout_;
        for (;;) {
            if (auto const nl = buffer_.find('\n'); nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return line;
            }
            if (buffer_.size() > kMaxLine) {
                return temporary(fmt::format("table <{}>: a reply line too long", name()));
            }
            auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return temporary(
                    fmt::format("table <{}>: no reply within {} ms", name(), timeout_.count()));
            }
            pollfd p{fd_, POLLIN, 0};
            int const ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) {
                continue;
            }
            if (ready <= 0) {
                continue; // the deadline check above ends it
            }
            char chunk[4096];
            ssize_t const n = ::read(fd_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return temporary(fmt::format("table <{}>: the process closed its output", name()));
            }
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    std::string command_;
    std::chrono::milliseconds timeout_;
    pid_t pid_ = -1;
    int fd_ = -1;
    std::string buffer_;
    std::array<bool, kServiceCount> services_{};
    unsigned last_id_ = 0;
};

} // namespace

Result<std::unique_ptr<Table>> open_proc_table(std::string name, std::string const& command,
                                               std::chrono::milliseconds timeout) {
    return std::unique_ptr<Table>(std::make_unique<ProcTable>(std::move(name), command, timeout));
}

} // namespace smtpd::rt::table
