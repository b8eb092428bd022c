// socketpair, fork, descriptor shuffle and execv for the role processes.
#include "role/spawn.hpp"

#include <fmt/format.h>

#include <climits>
#include <csignal>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

/// Above every descriptor a child is given, so that the shuffle never overwrites a source.
constexpr int kShuffleBase = 100;

/// In the forked child: only async-signal-safe calls until execv.
[[noreturn]] void exec_child(std::vector<int> const& sources, std::string const& exe,
                             std::vector<char*> const& argv, int stdin_fd) {
    std::vector<int> high(sources.size());
    for (std::size_t i = 0; i < sources.size(); ++i) {
        high[i] = ::fcntl(sources[i], F_DUPFD, kShuffleBase);
        if (high[i] < 0) {
            ::_exit(127);
        }
    }
    if (stdin_fd >= 0 && ::dup2(stdin_fd, STDIN_FILENO) < 0) {
        ::_exit(127);
    }
    for (std::size_t i = 0; i < high.size(); ++i) {
        if (::dup2(high[i], kFirstChannelFd + static_cast<int>(i)) < 0) {
            ::_exit(127);
        }
    }
    int const first_free = kFirstChannelFd + static_cast<int>(high.size());
    ::syscall(SYS_close_range, static_cast<unsigned>(first_free), UINT_MAX, 0U);
    // The parent's signal dispositions and mask must not leak into the role.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
}

} // namespace

Result<LinkEnds> make_links() {
    LinkEnds links(kPeers.size());
    for (auto& ends : links) {
        int fds[2] = {-1, -1};
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
            std::error_code const code = last_error();
            return failure(code, "socketpair: " + code.message());
        }
        ends[0] = Fd(fds[0]);
        ends[1] = Fd(fds[1]);
    }
    return links;
}

Result<pid_t> spawn_role(RoleInfo const& role, LinkEnds const& links, std::string const& exe,
                         std::vector<std::string> const& args, int stdin_fd) {
    std::vector<int> sources;
    for (PeerEnd const& end : peers_of(role.role)) {
        bool const is_a = kPeers[end.link].a == role.role;
        sources.push_back(links[end.link][is_a ? 0 : 1].get());
    }
    std::vector<std::string> full = args;
    full.emplace_back("-x");
    full.emplace_back(role.name);
    std::vector<char*> argv;
    argv.reserve(full.size() + 1);
    for (auto& a : full) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t const pid = ::fork();
    if (pid < 0) {
        std::error_code const code = last_error();
        return failure(code, fmt::format("fork {}: {}", role.name, code.message()));
    }
    if (pid == 0) {
        exec_child(sources, exe, argv, stdin_fd);
    }
    return pid;
}

Result<std::string> self_executable() {
    std::string path(PATH_MAX, '\0');
    ssize_t const n = ::readlink("/proc/self/exe", path.data(), path.size());
    if (n <= 0) {
        std::error_code const code = last_error();
        return failure(code, "/proc/self/exe: " + code.message());
    }
    path.resize(static_cast<std::size_t>(n));
    return path;
}

} // namespace smtpd::rt
