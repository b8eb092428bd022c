// The pool of delivery workers (parent side) and the worker's own loop (child side).
#include "parent/delivery_workers.hpp"

#include "common/log.hpp"
#include "common/privileges.hpp"
#include "common/proc_title.hpp"
#include "ipc/channel.hpp"
#include "parent/delivery_batch.hpp"
#include "parent/local_delivery.hpp"
#include "spool/envelope.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <fcntl.h>
#include <optional>
#include <set>
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
    std::set<ipc::RequestId> in_flight; ///< deliveries handed and not yet answered
    bool batching = true;       ///< every delivery in flight is to a Maildir (more may join them)
    std::size_t uses = 0;       ///< deliveries handed
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

/// Whether a delivery may join others in flight to its worker: a Maildir delivery is short and
/// shares the sync of new/; any other method (an mda, LMTP, an mbox lock) may take long and has
/// its worker alone.
bool batches(QueuedRecipient const& r) {
    return r.method == QueuedRecipient::Method::Maildir;
}

/// The worker's side of one delivery. The first one makes the worker its account's user, for
/// good; `became` records it. A delivery for another account is refused (the parent never
/// sends one).
LocalOutcome deliver_one(ipc::LocalDelivery const& d, int message_fd, std::string const& key,
                         std::string const& hostname, bool& became) {
    auto failed = [&d](ipc::DeliveryStatus status, std::string text) {
        return LocalOutcome{{d.id, status, std::move(text)}, {}};
    };
    auto recipient = decode_recipient(d.recipient);
    if (!recipient) {
        return failed(ipc::DeliveryStatus::PermFail, "undecodable recipient");
    }
    if (account_key(*recipient) != key) {
        return failed(ipc::DeliveryStatus::TempFail, "delivery worker of another account");
    }
    if (!became) {
        auto account = account_of(*recipient);
        if (!account) {
            return failed(ipc::DeliveryStatus::PermFail, account.error().what());
        }
        if (auto r = become_user(account.value()); !r) {
            return failed(ipc::DeliveryStatus::TempFail, r.error().what());
        }
        became = true;
    }
    auto outcome = deliver_locally(d, *recipient, message_fd, hostname);
    outcome.done.id = d.id;
    return outcome;
}

/// Delivers what the parent sends until it closes the channel: the deliveries that have arrived
/// (up to kBatchMax) one after another, then the directories they renamed into synced once, then
/// every outcome answered. A worker that could not become its user answers and ends.
asio::awaitable<void> serve(ipc::Channel& channel, std::string key, std::string hostname) {
    bool became = false;
    for (;;) {
        auto first = co_await channel.receive();
        if (!first) {
            co_return;
        }
        DeliveryBatch batch;
        bool ending = false;
        std::optional<ipc::Received> next = std::move(first).value();
        while (next) {
            auto const* delivery = std::get_if<ipc::LocalDelivery>(&next->message);
            if (delivery == nullptr) {
                ending = true;
                break;
            }
            batch.add(deliver_one(*delivery, next->fd.get(), key, hostname, became));
            if (!became || batch.size() >= kBatchMax) {
                break;
            }
            auto more = channel.try_receive();
            if (!more) {
                ending = true;
                break;
            }
            next = std::move(more).value();
        }
        for (ipc::LocalDeliveryDone const& done : batch.finish(sync_dir)) {
            if (!channel.send(done)) {
                co_return;
            }
        }
        if (ending || !became) {
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

DeliveryWorkers::DeliveryWorkers(asio::io_context& io, Peers& peers, std::string hostname,
                                 std::optional<std::size_t> max_sessions)
    : io_(io), peers_(peers), hostname_(std::move(hostname)), max_sessions_(max_sessions) {}

DeliveryWorkers::~DeliveryWorkers() = default;

// mda limit max-session: every delivery launched is answered once (answer()), which lets the
// next waiting one start.
void DeliveryWorkers::start(ipc::LocalDelivery delivery, Fd message) {
    if (max_sessions_ && under_way_ >= *max_sessions_) {
        waiting_.emplace_back(std::move(delivery), std::move(message));
        return;
    }
    ++under_way_;
    launch(delivery, std::move(message));
}

void DeliveryWorkers::launch(ipc::LocalDelivery const& delivery, Fd message) {
    auto recipient = decode_recipient(delivery.recipient);
    if (!recipient) {
        answer(delivery.id, ipc::DeliveryStatus::PermFail, "undecodable recipient");
        return;
    }
    std::string key = account_key(*recipient);
    bool const joins = batches(*recipient);
    std::shared_ptr<Worker> least;
    for (auto const& [pid, worker] : workers_) {
        if (!worker->open || worker->key != key) {
            continue;
        }
        std::size_t const load = worker->in_flight.size();
        bool const takes = load == 0 || (joins && worker->batching && load < kBatchMax);
        if (takes && (!least || load < least->in_flight.size())) {
            least = worker;
        }
    }
    if (least) {
        hand(least, delivery, std::move(message), joins);
        return;
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
    hand(worker, delivery, std::move(message), joins);
}

void DeliveryWorkers::hand(std::shared_ptr<Worker> const& worker,
                           ipc::LocalDelivery const& delivery, Fd message, bool joins) {
    worker->idle.cancel();
    if (auto sent = worker->channel.send(delivery, std::move(message)); !sent) {
        answer(delivery.id, ipc::DeliveryStatus::TempFail,
               "delivery worker: " + sent.error().what());
        worker->open = false;
        if (worker->in_flight.empty()) {
            worker->channel.close();
        }
        return;
    }
    worker->in_flight.insert(delivery.id);
    worker->batching = worker->in_flight.size() == 1 ? joins : worker->batching && joins;
    if (++worker->uses >= kWorkerUses) {
        worker->open = false; // replaced once its last delivery is answered
    }
}

void DeliveryWorkers::answered(std::shared_ptr<Worker> const& worker, ipc::LocalDeliveryDone done) {
    if (worker->in_flight.erase(done.id) == 0) {
        log_error("smtpd: delivery worker {} answered a delivery it was not given: closing it",
                  worker->pid);
        worker->open = false;
        worker->channel.close();
        return;
    }
    answer(done.id, done.status, std::move(done.text));
    if (!worker->in_flight.empty()) {
        return;
    }
    worker->batching = true;
    if (!worker->open) {
        worker->channel.close();
        return;
    }
    worker->idle.expires_after(kWorkerIdle);
    worker->idle.async_wait([weak = std::weak_ptr<Worker>(worker)](boost::system::error_code ec) {
        auto w = weak.lock();
        if (!ec && w && w->in_flight.empty() && w->open) {
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
/// order: an answer it wrote before exiting is read first). The deliveries it had are temporary
/// failures: the mailbox may or may not have each message, and a retry is the safe side.
void DeliveryWorkers::finish_if_gone(std::shared_ptr<Worker> const& worker) {
    std::optional<int> const status = worker->exit_status;
    if (!worker->channel_ended || !status) {
        return;
    }
    for (ipc::RequestId const id : std::exchange(worker->in_flight, {})) {
        answer(id, ipc::DeliveryStatus::TempFail, describe(*status));
    }
    workers_.erase(worker->pid);
}

void DeliveryWorkers::stop() {
    for (auto const& [pid, worker] : workers_) {
        worker->open = false;
        if (worker->in_flight.empty()) {
            worker->channel.close();
        }
    }
}

void DeliveryWorkers::answer(ipc::RequestId id, ipc::DeliveryStatus status, std::string text) {
    peers_.send(Role::Queue, ipc::LocalDeliveryDone{id, status, std::move(text)});
    under_way_ -= under_way_ > 0 ? 1 : 0;
    if (!waiting_.empty() && (!max_sessions_ || under_way_ < *max_sessions_)) {
        auto [next, message] = std::move(waiting_.front());
        waiting_.pop_front();
        ++under_way_;
        launch(next, std::move(message));
    }
}

} // namespace smtpd::rt
