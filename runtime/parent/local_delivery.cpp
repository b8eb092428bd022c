// Forking, running and reaping local deliveries.
#include "parent/local_delivery.hpp"

#include "common/kill_point.hpp"
#include "common/log.hpp"
#include "common/privileges.hpp"
#include "deliver/maildir.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

/// The outcome a child writes: one status byte, then the text. Bounded by the pipe's atomic
/// write size, so the parent reads it whole after the child is gone.
constexpr std::size_t kMaxOutcome = 4000;

char status_byte(ipc::DeliveryStatus status) {
    return static_cast<char>('0' + static_cast<int>(status));
}

[[noreturn]] void child_exit(int pipe_fd, ipc::LocalDeliveryDone const& done) {
    std::string out(1, status_byte(done.status));
    out += done.text.substr(0, kMaxOutcome);
    (void)write_all(pipe_fd, out);
    ::_exit(0);
}

[[noreturn]] void run_child(ipc::LocalDelivery const& d, int message_fd, int pipe_fd,
                            std::string const& hostname) {
    auto account = find_account(d.user);
    if (!account) {
        child_exit(pipe_fd, {0, ipc::DeliveryStatus::PermFail, account.error().message});
    }
    if (auto became = become_user(account.value()); !became) {
        child_exit(pipe_fd, {0, ipc::DeliveryStatus::TempFail, became.error().message});
    }
    child_exit(pipe_fd, deliver_locally(d, message_fd, hostname));
}

std::string read_outcome(int fd) {
    std::string text;
    char buf[512];
    for (;;) {
        ssize_t const n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            text.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return text;
    }
}

std::string describe(int status) {
    if (WIFSIGNALED(status)) {
        return "delivery process killed by signal " + std::to_string(WTERMSIG(status));
    }
    return "delivery process exited " + std::to_string(WEXITSTATUS(status)) + " with no outcome";
}

} // namespace

ipc::LocalDeliveryDone deliver_locally(ipc::LocalDelivery const& d, int message_fd,
                                       std::string const& hostname) {
    using Status = ipc::DeliveryStatus;
    if (d.method != "maildir") {
        return {0, Status::PermFail, "delivery method " + d.method + " is not available"};
    }
    MaildirDelivery const maildir{d.target, d.prepend, {}, message_fd, d.unique};
    auto delivered = deliver_maildir(maildir, hostname);
    if (!delivered) {
        return {0, Status::TempFail, delivered.error().message()};
    }
    kill_point("after-maildir-rename");
    return {0, Status::Delivered, "path=" + delivered.value()};
}

void LocalDeliveries::start(ipc::LocalDelivery const& delivery, Fd message) {
    int fds[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        answer(delivery.id, ipc::DeliveryStatus::TempFail, "pipe: " + last_error().message());
        return;
    }
    Fd read_end(fds[0]);
    Fd write_end(fds[1]);
    pid_t const pid = ::fork();
    if (pid < 0) {
        answer(delivery.id, ipc::DeliveryStatus::TempFail, "fork: " + last_error().message());
        return;
    }
    if (pid == 0) {
        run_child(delivery, message.get(), write_end.get(), hostname_);
    }
    running_.emplace(pid, Running{delivery.id, std::move(read_end)});
}

bool LocalDeliveries::reaped(pid_t pid, int status) {
    auto it = running_.find(pid);
    if (it == running_.end()) {
        return false;
    }
    Running const child = std::move(it->second);
    running_.erase(it);
    std::string const outcome = read_outcome(child.outcome.get());
    if (outcome.empty() || outcome[0] < '0' || outcome[0] > '2') {
        answer(child.id, ipc::DeliveryStatus::TempFail, describe(status));
        return true;
    }
    answer(child.id, static_cast<ipc::DeliveryStatus>(outcome[0] - '0'), outcome.substr(1));
    return true;
}

void LocalDeliveries::answer(ipc::RequestId id, ipc::DeliveryStatus status, std::string text) {
    peers_.send(Role::Dispatcher, ipc::LocalDeliveryDone{id, status, std::move(text)});
}

} // namespace smtpd::rt
