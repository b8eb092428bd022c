// The pool of delivery workers (parent side) and the worker's own loop (child side).
#include "parent/delivery_workers.hpp"

#include "common/log.hpp"
#include "common/privileges.hpp"
#include "common/proc_title.hpp"
#include "ipc/channel.hpp"
#include "parent/local_delivery.hpp"
#include "spool/envelope.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <fcntl.h>
#include <optional>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace smtpd::rt {

namespace asio = boost::asio;

struct DeliveryWorkers::Worker {
    Worker(asio::io_context& io, pid_t p, std::string k, ipc::Channel c)
        : pid(p), key(std::move(k)), channel(std::move(c)), idle(io) {}
    pid_t pid;
    std::string key; ///< account_key() of every recipient it delivers to
    ipc::Channel channel;
    std::optional<ipc::RequestId> busy; ///< the delivery under way
    std::size_t uses = 0;
    bool open = true;           ///< takes new deliveries
    bool channel_ended = false; ///< its receive loop has ended
    std::optional<int> exit_status;
    asio::steady_timer idle;
};

namespace {

/// The worker's end of its channel, once every other inherited descriptor is closed.
constexpr int kWorkerFd = 3;

/// The account a recipient's delivery runs as: from the envelope when its userbase gave the ids,
/// else from the password database.
Result<SystemAccount> account_of(QueuedRecipient const& r) {
    if (r.uid && r.gid) {
        return SystemAccount{r.user, *r.uid, *r.gid, r.home};
    }
    return find_account(r.user);
}

/// What decides the account a delivery runs as: deliveries with equal keys share a worker.
std::string account_key(QueuedRecipient const& r) {
    std::string key = r.user;
    key += '\0';
    key += r.uid ? std::to_string(*r.uid) : std::string("-");
    key += '\0';
    key += r.gid ? std::to_string(*r.gid) : std::string("-");
    key += '\0';
    key += r.home;
    return key;
}

std::string describe(int status) {
    if (WIFSIGNALED(status)) {
        return "delivery process killed by signal " + std::to_string(WTERMSIG(status));
    }
    return "delivery process exited " + std::to_string(WEXITSTATUS(status)) + " with no outcome";
}

/// The worker's side of one delivery. The first one makes the worker its account's user, for
/// good; `became` records it. A delivery for another account is refused (the parent never
/// sends one).
ipc::LocalDeliveryDone deliver_one(ipc::LocalDelivery const& d, int message_fd,
                                   std::string const& key, std::string const& hostname,
                                   bool& became) {
    auto recipient = decode_recipient(d.recipient);
    if (!recipient) {
        return {d.id, ipc::DeliveryStatus::PermFail, "undecodable recipient"};
    }
    if (account_key(*recipient) != key) {
        return {d.id, ipc::DeliveryStatus::TempFail, "delivery worker of another account"};
    }
    if (!became) {
        auto account = account_of(*recipient);
        if (!account) {
            return {d.id, ipc::DeliveryStatus::PermFail, account.error().what()};
        }
        if (auto r = become_user(account.value()); !r) {
            return {d.id, ipc::DeliveryStatus::TempFail, r.error().what()};
        }
        became = true;
    }
    auto done = deliver_locally(d, *recipient, message_fd, hostname);
    done.id = d.id;
    return done;
}

/// Delivers what the parent sends until it closes the channel. A worker that could not become
/// its user answers that once and ends.
asio::awaitable<void> serve(ipc::Channel& channel, std::string key, std::string hostname) {
    bool became = false;
    for (;;) {
        auto received = co_await channel.receive();
        if (!received) {
            co_return;
        }
        auto const* delivery = std::get_if<ipc::LocalDelivery>(&received.value().message);
        if (delivery == nullptr) {
            co_return;
        }
        auto done = deliver_one(*delivery, received.value().fd.get(), key, hostname, became);
        received.value().fd.reset();
        if (!channel.send(done) || !became) {
            co_return;
        }
    }
}

/// The child: keeps only its channel (and stdin, stdout, stderr), takes the default signal
/// actions back from the parent's event loop, and serves.
[[noreturn]] void run_worker(int socket, std::string const& key, std::string const& hostname) {
    for (int const sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) {
        ::signal(sig, SIG_DFL);
    }
    if (socket != kWorkerFd && ::dup3(socket, kWorkerFd, O_CLOEXEC) < 0) {
        ::_exit(1);
    }
    ::close_range(kWorkerFd + 1, ~0U, 0);
    log_reopen();
    set_proc_title("smtpd: delivery " + key.substr(0, key.find('\0')));
    {
        asio::io_context io;
        auto channel = ipc::Channel::from_fd(io.get_executor(), Fd(kWorkerFd));
        if (!channel) {
            ::_exit(1);
        }
        asio::co_spawn(io, serve(channel.value(), key, hostname), asio::detached);
        io.run();
    }
    ::_exit(0);
}

} // namespace

DeliveryWorkers::DeliveryWorkers(asio::io_context& io, Peers& peers, std::string hostname)
    : io_(io), peers_(peers), hostname_(std::move(hostname)) {}

DeliveryWorkers::~DeliveryWorkers() = default;

void DeliveryWorkers::start(ipc::LocalDelivery const& delivery, Fd message) {
    auto recipient = decode_recipient(delivery.recipient);
    if (!recipient) {
        answer(delivery.id, ipc::DeliveryStatus::PermFail, "undecodable recipient");
        return;
    }
    std::string key = account_key(*recipient);
    for (auto const& [pid, worker] : workers_) {
        if (worker->open && !worker->busy && worker->key == key) {
            hand(worker, delivery, std::move(message));
            return;
        }
    }
    int fds[2] = {-1, -1};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        answer(delivery.id, ipc::DeliveryStatus::TempFail, "socketpair: " + last_error().message());
        return;
    }
    Fd ours(fds[0]);
    Fd theirs(fds[1]);
    pid_t const pid = ::fork();
    if (pid < 0) {
        answer(delivery.id, ipc::DeliveryStatus::TempFail, "fork: " + last_error().message());
        return;
    }
    if (pid == 0) {
        run_worker(theirs.get(), key, hostname_);
    }
    theirs.reset();
    auto channel = ipc::Channel::from_fd(io_.get_executor(), std::move(ours));
    if (!channel) { // the worker sees its channel closed and exits; reaped() forgets it
        answer(delivery.id, ipc::DeliveryStatus::TempFail, "channel: " + channel.error().what());
        return;
    }
    channel.value().set_trace_names("parent", "delivery");
    auto worker = std::make_shared<Worker>(io_, pid, std::move(key), std::move(channel).value());
    workers_.emplace(pid, worker);
    asio::co_spawn(
        io_,
        [this, worker]() -> asio::awaitable<void> {
            for (;;) {
                auto received = co_await worker->channel.receive();
                if (!received) {
                    break;
                }
                auto* done = std::get_if<ipc::LocalDeliveryDone>(&received.value().message);
                if (done == nullptr) {
                    log_error("smtpd: delivery worker {} sent {}: closing it", worker->pid,
                              ipc::type_name(ipc::type_of(received.value().message)));
                    break;
                }
                answered(worker, std::move(*done));
            }
            closed(worker);
        },
        asio::detached);
    hand(worker, delivery, std::move(message));
}

void DeliveryWorkers::hand(std::shared_ptr<Worker> const& worker,
                           ipc::LocalDelivery const& delivery, Fd message) {
    worker->idle.cancel();
    worker->busy = delivery.id;
    if (auto sent = worker->channel.send(delivery, std::move(message)); !sent) {
        worker->busy.reset();
        answer(delivery.id, ipc::DeliveryStatus::TempFail,
               "delivery worker: " + sent.error().what());
        worker->open = false;
        worker->channel.close();
    }
}

void DeliveryWorkers::answered(std::shared_ptr<Worker> const& worker, ipc::LocalDeliveryDone done) {
    if (worker->busy != done.id) {
        log_error("smtpd: delivery worker {} answered a delivery it was not given: closing it",
                  worker->pid);
        worker->open = false;
        worker->channel.close();
        return;
    }
    worker->busy.reset();
    answer(done.id, done.status, std::move(done.text));
    if (++worker->uses >= kWorkerUses || !worker->open) {
        worker->open = false;
        worker->channel.close();
        return;
    }
    worker->idle.expires_after(kWorkerIdle);
    worker->idle.async_wait([weak = std::weak_ptr<Worker>(worker)](boost::system::error_code ec) {
        auto w = weak.lock();
        if (!ec && w && !w->busy && w->open) {
            w->open = false;
            w->channel.close();
        }
    });
}

void DeliveryWorkers::closed(std::shared_ptr<Worker> const& worker) {
    worker->open = false;
    worker->channel_ended = true;
    worker->idle.cancel();
    finish_if_gone(worker);
}

bool DeliveryWorkers::reaped(pid_t pid, int status) {
    auto it = workers_.find(pid);
    if (it == workers_.end()) {
        return false;
    }
    auto const worker = it->second;
    worker->exit_status = status;
    finish_if_gone(worker);
    return true;
}

/// A worker is forgotten once both its exit is reaped and its channel has ended (in either
/// order: an answer it wrote before exiting is read first). A delivery it had is a temporary
/// failure: the mailbox may or may not have the message, and a retry is the safe side.
void DeliveryWorkers::finish_if_gone(std::shared_ptr<Worker> const& worker) {
    std::optional<int> const status = worker->exit_status;
    if (!worker->channel_ended || !status) {
        return;
    }
    if (std::optional<ipc::RequestId> const busy = std::exchange(worker->busy, std::nullopt)) {
        answer(*busy, ipc::DeliveryStatus::TempFail, describe(*status));
    }
    workers_.erase(worker->pid);
}

void DeliveryWorkers::stop() {
    for (auto const& [pid, worker] : workers_) {
        worker->open = false;
        if (!worker->busy) {
            worker->channel.close();
        }
    }
}

void DeliveryWorkers::answer(ipc::RequestId id, ipc::DeliveryStatus status, std::string text) {
    peers_.send(Role::Queue, ipc::LocalDeliveryDone{id, status, std::move(text)});
}

} // namespace smtpd::rt
