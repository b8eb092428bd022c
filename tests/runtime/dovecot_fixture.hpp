// Test helper: a private Dovecot (Debian's dovecot-core + dovecot-lmtpd) with an LMTP listener
// on a unix socket and on 127.0.0.1:<free port>, one user "alice", also as alice@<any domain>
// (passwd-file passdb, static userdb with her home and Maildir in the temp dir), logging to a
// file. Dovecot runs "rootless" as the current user; started as root, it runs as nobody, which
// then owns the temp dir. Waits (bounded) until both listeners accept; stopped by its PID with
// SIGTERM, then SIGKILL.
// Depends on: POSIX, GoogleTest (temp_dir.hpp).
#pragma once

#include "temp_dir.hpp"

#include <chrono>
#include <csignal>
#include <fstream>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace smtpd::rt::testing {

class Dovecot {
  public:
    static constexpr char const* kBinary = "/usr/sbin/dovecot";

    Dovecot() : port_(free_port()) {
        if (::geteuid() == 0) {
            passwd const* nobody = ::getpwnam("nobody");
            uid_ = nobody != nullptr ? nobody->pw_uid : 65534;
            gid_ = nobody != nullptr ? nobody->pw_gid : 65534;
        }
        write_config();
        if (::geteuid() == 0) {
            std::filesystem::permissions(dir_.path(), std::filesystem::perms::all);
            for (auto const& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
                static_cast<void>(::lchown(e.path().c_str(), uid_, gid_));
            }
            static_cast<void>(::chown(dir_.path().c_str(), uid_, gid_));
        }
        start();
    }
    Dovecot(Dovecot const&) = delete;
    Dovecot& operator=(Dovecot const&) = delete;
    ~Dovecot() { stop(); }

    [[nodiscard]] bool ready() const { return ready_; }
    [[nodiscard]] std::string socket_path() const { return dir_.path() + "/run/lmtp"; }
    [[nodiscard]] std::string tcp() const { return "127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] std::string maildir() const { return dir_.path() + "/home/alice/Maildir"; }
    [[nodiscard]] std::string log() const {
        std::ifstream in(dir_.path() + "/dovecot.log");
        return {std::istreambuf_iterator<char>(in), {}};
    }

  private:
    static int free_port() {
        int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        auto* sa = reinterpret_cast<sockaddr*>(&a); // NOLINT: the sockets API
        bool const ok = ::bind(fd, sa, sizeof a) == 0 && ::getsockname(fd, sa, &len) == 0;
        ::close(fd);
        return ok ? ntohs(a.sin_port) : 0;
    }

    void write_config() const {
        std::string const d = dir_.path();
        passwd const* self = ::getpwuid(uid_);
        group const* grp = ::getgrgid(gid_);
        std::string const user = self != nullptr ? self->pw_name : "nobody";
        std::string const group_name = grp != nullptr ? grp->gr_name : user;
        std::filesystem::create_directories(d + "/home");
        std::ofstream(d + "/users") << "alice:{PLAIN}unused\n";
        std::ofstream(d + "/dovecot.conf")
            << "base_dir = " << d << "/run\nstate_dir = " << d << "/state\n"
            << "log_path = " << d << "/dovecot.log\nprotocols = lmtp\nssl = no\n"
            << "listen = 127.0.0.1\ndefault_internal_user = " << user
            << "\ndefault_internal_group = " << group_name << "\ndefault_login_user = " << user
            << "\nfirst_valid_uid = " << uid_ << "\nmail_location = maildir:~/Maildir\n"
            << "auth_username_format = %n\n" // alice@example.net is alice
            << "passdb {\n  driver = passwd-file\n  args = " << d << "/users\n}\n"
            << "userdb {\n  driver = static\n  args = uid=" << uid_ << " gid=" << gid_
            << " home=" << d << "/home/%u\n}\n"
            << "service lmtp {\n  unix_listener lmtp {\n    mode = 0666\n  }\n"
            << "  inet_listener lmtp {\n    address = 127.0.0.1\n    port = " << port_
            << "\n  }\n}\nservice anvil {\n  chroot =\n}\nservice stats {\n  chroot =\n}\n";
    }

    void start() {
        std::string const conf = dir_.path() + "/dovecot.conf";
        pid_ = ::fork();
        if (pid_ == 0) {
            if (::geteuid() == 0 &&
                (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0)) {
                ::_exit(126);
            }
            ::execl(kBinary, kBinary, "-F", "-c", conf.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1; // it exited: the log says why
                return;
            }
            if (accepts_unix() && accepts_tcp()) {
                ready_ = true;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    [[nodiscard]] bool accepts_unix() const {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::string const path = socket_path();
        if (path.size() >= sizeof a.sun_path) {
            return false;
        }
        path.copy(a.sun_path, path.size());
        return accepts(AF_UNIX, reinterpret_cast<sockaddr*>(&a), sizeof a); // NOLINT
    }

    [[nodiscard]] bool accepts_tcp() const {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port_));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return accepts(AF_INET, reinterpret_cast<sockaddr*>(&a), sizeof a); // NOLINT
    }

    static bool accepts(int family, sockaddr const* a, socklen_t len) {
        int const fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool const ok = fd >= 0 && ::connect(fd, a, len) == 0;
        ::close(fd);
        return ok;
    }

    void stop() {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 200; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }

    TempDir dir_;
    int port_ = 0;
    uid_t uid_ = ::getuid();
    gid_t gid_ = ::getgid();
    pid_t pid_ = -1;
    bool ready_ = false;
};

} // namespace smtpd::rt::testing
