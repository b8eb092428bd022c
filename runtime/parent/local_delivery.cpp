// Forking, running and reaping local deliveries.
#include "parent/local_delivery.hpp"

#include "common/address.hpp"
#include "common/fs.hpp"
#include "common/kill_point.hpp"
#include "common/log.hpp"
#include "common/privileges.hpp"
#include "conf/format.hpp"
#include "deliver/lmtp.hpp"
#include "deliver/maildir.hpp"
#include "deliver/mbox.hpp"
#include "deliver/mda.hpp"
#include "lookup/format_values.hpp"

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

/// The account a recipient's delivery runs as: from the envelope when its userbase gave the ids,
/// else from the password database.
Result<SystemAccount> account_of(QueuedRecipient const& r) {
    if (r.uid && r.gid) {
        return SystemAccount{r.user, *r.uid, *r.gid, r.home};
    }
    return find_account(r.user);
}

[[noreturn]] void run_child(ipc::LocalDelivery const& d, int message_fd, int pipe_fd,
                            std::string const& hostname) {
    auto recipient = decode_recipient(d.recipient);
    if (!recipient) {
        child_exit(pipe_fd, {0, ipc::DeliveryStatus::PermFail, "undecodable recipient"});
    }
    auto account = account_of(*recipient);
    if (!account) {
        child_exit(pipe_fd, {0, ipc::DeliveryStatus::PermFail, account.error().what()});
    }
    if (auto became = become_user(account.value()); !became) {
        child_exit(pipe_fd, {0, ipc::DeliveryStatus::TempFail, became.error().what()});
    }
    child_exit(pipe_fd, deliver_locally(d, *recipient, message_fd, hostname));
}

// What the delivery child wrote before it exited; nothing if reading failed.
std::string read_outcome(int fd) {
    auto text = read_to_end(fd);
    return text ? std::move(text).value() : std::string();
}

std::string describe(int status) {
    if (WIFSIGNALED(status)) {
        return "delivery process killed by signal " + std::to_string(WTERMSIG(status));
    }
    return "delivery process exited " + std::to_string(WEXITSTATUS(status)) + " with no outcome";
}

DeliveryOutcome to_outcome(Result<std::string> const& maildir) {
    if (!maildir) {
        return {DeliveryOutcome::Kind::TempFail, maildir.error().what()};
    }
    return {DeliveryOutcome::Kind::Delivered, "path=" + maildir.value()};
}

/// The mda command with its format specifiers expanded, each value one shell-quoted word.
DeliveryOutcome run_mda(ipc::LocalDelivery const& d, QueuedRecipient const& r, int message_fd) {
    std::string const dest = r.dest.empty() ? r.address : r.dest;
    FormatValues const values{d.sender, r.address, dest, r.user, r.home};
    auto const lookup = format_lookup(values);
    auto command = conf::expand_command(r.target, lookup, shell_quote);
    if (auto const* error = std::get_if<conf::FormatError>(&command)) {
        return {DeliveryOutcome::Kind::PermFail, "mda command: " + error->message};
    }
    std::string_view const rcpt_user = split_address(r.address).first;
    auto const plus = rcpt_user.find('+');
    // Member by member: g++ warns about designated initializers that leave members out.
    MdaDelivery mda;
    mda.command = std::get<std::string>(std::move(command));
    mda.prepend = d.prepend;
    mda.user = r.user;
    mda.home = r.home;
    mda.sender = d.sender;
    mda.recipient = dest;
    mda.original_recipient = r.address;
    mda.extension =
        plus == std::string_view::npos ? std::string() : std::string(rcpt_user.substr(plus + 1));
    mda.message_fd = message_fd;
    return deliver_mda(mda);
}

MboxDelivery mbox_delivery(ipc::LocalDelivery const& d, QueuedRecipient const& r, int message_fd) {
    MboxDelivery mbox;
    mbox.mbox = r.target;
    mbox.sender = d.sender;
    mbox.prepend = d.prepend;
    mbox.message_fd = message_fd;
    return mbox;
}

LmtpDelivery lmtp_delivery(ipc::LocalDelivery const& d, QueuedRecipient const& r, int message_fd,
                           std::string const& hostname) {
    LmtpDelivery lmtp;
    lmtp.destination = r.target;
    lmtp.sender = d.sender;
    lmtp.rcpt_to = r.rcpt_to ? r.address : r.user;
    lmtp.prepend = d.prepend;
    lmtp.lhlo = hostname;
    lmtp.message_fd = message_fd;
    return lmtp;
}

} // namespace

ipc::LocalDeliveryDone deliver_locally(ipc::LocalDelivery const& d, QueuedRecipient const& r,
                                       int message_fd, std::string const& hostname) {
    DeliveryOutcome outcome{DeliveryOutcome::Kind::PermFail, "unknown delivery method"};
    switch (r.method) {
    case QueuedRecipient::Method::Maildir:
        outcome = to_outcome(deliver_maildir(
            MaildirDelivery{r.target, d.prepend, {}, message_fd, d.unique}, hostname));
        if (outcome.kind == DeliveryOutcome::Kind::Delivered) {
            kill_point("after-maildir-rename");
        }
        break;
    case QueuedRecipient::Method::Mbox:
        outcome = deliver_mbox(mbox_delivery(d, r, message_fd));
        break;
    case QueuedRecipient::Method::Lmtp:
        outcome = deliver_lmtp(lmtp_delivery(d, r, message_fd, hostname));
        break;
    case QueuedRecipient::Method::Mda:
        outcome = run_mda(d, r, message_fd);
        break;
    case QueuedRecipient::Method::Relay: // the queue sends these to the MTA, never here
        outcome = {DeliveryOutcome::Kind::TempFail, "relay recipient sent to local delivery"};
        break;
    }
    return {0, outcome.kind, std::move(outcome.text)};
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
    peers_.send(Role::Queue, ipc::LocalDeliveryDone{id, status, std::move(text)});
}

} // namespace smtpd::rt
