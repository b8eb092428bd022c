// The queue role: spool requests from the dispatcher, deliveries for the scheduler.
// Every fsync runs on the disk workers, so commits of many sessions overlap (the filesystem
// folds their journal writes) while each is still acknowledged only after its own syncs.
#include "queue/queue_process.hpp"

#include "common/clock.hpp"
#include "common/disk_workers.hpp"
#include "common/host_name.hpp"
#include "common/kill_point.hpp"
#include "common/log.hpp"
#include "common/privileges.hpp"
#include "ipc/request.hpp"
#include "queue/message_locks.hpp"
#include "queue/notices.hpp"
#include "queue/queue_coding.hpp"
#include "queue/queue_control.hpp"
#include "queue/ready_messages.hpp"
#include "queue/recipient_batches.hpp"
#include "role/role_process.hpp"
#include "spool/spool.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <optional>
#include <regex>
#include <unistd.h>
#include <unordered_set>

namespace smtpd::rt {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kDiskThreads = 16;
/// Bounds Queue::fresh_ (messages whose first delivery has not begun yet).
constexpr std::size_t kMaxFresh = 100000;

/// The RFC 3463 status of a permanent failure: the one the LMTP server's reply carried
/// ("550 5.1.1 ...") or the mda outcome starts with ("5.1.1 mda exited 67 ..."), else 5.0.0
/// (other undefined status).
std::string failure_status(std::string const& why) {
    static std::regex const enhanced(R"(^(?:5\d\d[ -])?(5\.\d{1,3}\.\d{1,3})(\s|$))");
    std::smatch m;
    if (std::regex_search(why, m, enhanced)) {
        return m[1].str();
    }
    return "5.0.0";
}

/// A recipient whose delivery failed for good, for its notice; `remote_mta` the host that
/// refused it ("" for a local failure).
DsnRecipient failed(QueuedRecipient const& rcpt, std::string const& why,
                    std::string remote_mta = {}) {
    return DsnRecipient{rcpt.address,        rcpt.orcpt, DsnKind::Failure,
                        failure_status(why), why,        std::move(remote_mta),
                        now_seconds()};
}

std::string_view method_word(QueuedRecipient::Method method) {
    switch (method) {
    case QueuedRecipient::Method::Maildir:
        return "maildir";
    case QueuedRecipient::Method::Mbox:
        return "mbox";
    case QueuedRecipient::Method::Lmtp:
        return "lmtp";
    case QueuedRecipient::Method::Mda:
        return "mda";
    case QueuedRecipient::Method::Relay:
        return "relay";
    }
    return "unknown";
}

/// One line per delivery attempt, in OpenSMTPD's words ("mda delivery evpid=... result=Ok").
void log_delivery(QueuedEnvelope const& e, QueuedRecipient const& rcpt,
                  ipc::LocalDeliveryDone const& done) {
    using Status = ipc::DeliveryStatus;
    std::string const result = done.status == Status::Delivered  ? "Ok"
                               : done.status == Status::PermFail ? "PermFail"
                                                                 : "TempFail";
    // A temporary failure counts as one more attempt once the pass over the recipients ends.
    std::string const attempt = done.status == Status::TempFail
                                    ? fmt::format(" attempt={}", e.attempts + 1)
                                    : std::string();
    std::int64_t const delay = std::max<std::int64_t>(0, std::time(nullptr) - e.created);
    std::string const line = fmt::format(
        "{} mda delivery evpid={} from=<{}> to=<{}> user={} method={} delay={}s result={}{} "
        "stat={}",
        e.id, e.id, e.sender, rcpt.address, rcpt.user, method_word(rcpt.method), delay, result,
        attempt, done.text);
    if (done.status == Status::Delivered) {
        log_info("{}", line);
    } else {
        log_warn("{}", line);
    }
}

class Queue {
  public:
    Queue(asio::io_context& io, Peers& peers, Spool& spool, std::string hostname,
          std::chrono::seconds ttl)
        : io_(io), peers_(peers), spool_(spool), delivered_(io.get_executor()),
          relayed_(io.get_executor()),
          notices_(io.get_executor(), peers, spool, disk_, std::move(hostname), ttl),
          locks_(io.get_executor()), control_(spool, disk_, locks_, peers, ttl) {}

    ~Queue() { disk_.shutdown(); }

    /// A graceful stop (SIGTERM), once the event loop has stopped: every write already started
    /// or queued (commits, envelope updates, removals) completes, then what is left in
    /// queue/ as <id>.new (never acknowledged) is removed, so no partial file stays behind.
    void finish_writes() {
        disk_.drain();
        std::size_t const dropped = spool_.drop_incoming();
        log_info("queue: stopped; {} unacknowledged incoming message(s) removed", dropped);
    }
    Queue(Queue const&) = delete;
    Queue& operator=(Queue const&) = delete;
    Queue(Queue&&) = delete;
    Queue& operator=(Queue&&) = delete;

    void recover() {
        auto const ids = spool_.recover();
        if (!ids.empty()) {
            log_info("queue: recovered {} message(s)", ids.size());
        }
        for (auto const& id : ids) {
            auto envelope = spool_.load_envelope(id);
            if (!envelope && !set_aside_if_corrupt(spool_, id, envelope)) {
                log_error("queue: msgid={} cannot load envelope: {}: left in the queue", id,
                          envelope.error().what());
            }
            if (envelope) {
                peers_.send(Role::Scheduler, schedule_of(envelope.value()));
            }
        }
    }

    void on_message(Role from, ipc::Received received) {
        auto& m = received.message;
        switch (ipc::type_of(m)) {
        case ipc::MsgType::MessageCreate:
            return create(std::get<ipc::MessageCreate>(m));
        case ipc::MsgType::MessageCommit:
            return spawn(commit(std::get<ipc::MessageCommit>(std::move(m))));
        case ipc::MsgType::MessageAbort:
            return abort(std::get<ipc::MessageAbort>(m).msgid);
        case ipc::MsgType::DeliverRequest:
            return spawn(deliver_locked(std::get<ipc::DeliverRequest>(std::move(m))));
        case ipc::MsgType::LocalDeliveryDone:
            return delivery_done(from, std::get<ipc::LocalDeliveryDone>(std::move(m)));
        case ipc::MsgType::RelayDone:
            if (from != Role::Dispatcher) {
                return unexpected(Role::Queue, from, m);
            }
            return complete_reply(relayed_, std::get<ipc::RelayDone>(std::move(m)), Role::Queue);
        case ipc::MsgType::ControlRequest:
            return control(std::get<ipc::ControlRequest>(m));
        case ipc::MsgType::RecipientResolved:
            return notices_.resolved(std::get<ipc::RecipientResolved>(std::move(m)));
        case ipc::MsgType::NotifySender:
            return spawn(notify_locked(std::get<ipc::NotifySender>(m)));
        default:
            unexpected(Role::Queue, from, m);
        }
    }

  private:
    void spawn(asio::awaitable<void> work) { asio::co_spawn(io_, std::move(work), asio::detached); }

    void create(ipc::MessageCreate const& m) {
        auto begun = ready_.take();
        if (!begun) {
            log_warn("queue: cannot create a message: {}", begun.error().what());
            peers_.send(Role::Dispatcher,
                        ipc::MessageCreated{
                            m.id, {}, begun.error().what(), is_no_space(begun.error().code)});
            return;
        }
        auto shared = begun.value().share_fd();
        if (!shared) {
            spool_.abort(begun.value());
            peers_.send(Role::Dispatcher,
                        ipc::MessageCreated{m.id, {}, shared.error().what(), false});
            return;
        }
        std::string const msgid = begun.value().id();
        incoming_.emplace(msgid, std::move(begun).value());
        peers_.send(Role::Dispatcher, ipc::MessageCreated{m.id, msgid, {}, false},
                    std::move(shared).value());
    }

    void abort(std::string const& msgid) {
        auto it = incoming_.find(msgid);
        if (it != incoming_.end()) {
            spool_.abort(it->second);
            incoming_.erase(it);
        }
    }

    asio::awaitable<void> commit(ipc::MessageCommit m) {
        auto it = incoming_.find(m.msgid);
        auto envelope = decode_envelope(m.envelope);
        if (it == incoming_.end() || !envelope || envelope->id != m.msgid) {
            fatal("queue: MessageCommit for an unknown message or with a bad envelope");
        }
        IncomingMessage message = std::move(it->second);
        incoming_.erase(it);
        auto work = [&spool = spool_, &message, &envelope] {
            return spool.commit_or_drop(message, *envelope);
        };
        auto committing = disk_.run(std::move(work));
        Result<void> const committed = co_await std::move(committing);
        peers_.send(Role::Dispatcher,
                    committed ? ipc::MessageCommitted{m.id, true, {}, false}
                              : ipc::MessageCommitted{m.id, false, committed.error().what(),
                                                      is_no_space(committed.error().code)});
        if (committed) {
            if (fresh_.size() >= kMaxFresh) {
                fresh_.clear(); // forgetting only costs those messages a search of their Maildir
            }
            fresh_.insert(envelope->id);
            peers_.send(Role::Scheduler, schedule_of(*envelope));
        }
    }

    /// Only the parent runs deliveries.
    void delivery_done(Role from, ipc::LocalDeliveryDone m) {
        if (from != Role::Parent) {
            unexpected(Role::Queue, from, m);
        }
        complete_reply(delivered_, std::move(m), Role::Queue);
    }

    asio::awaitable<void> deliver(ipc::DeliverRequest request);
    asio::awaitable<void> notify(ipc::NotifySender request);
    ipc::RequestId send_local(QueuedEnvelope const& envelope, std::size_t index, bool retry);
    asio::awaitable<std::vector<ipc::RelayResult>>
    deliver_local(QueuedEnvelope const& envelope, std::vector<std::uint32_t> const& batch,
                  bool retry);
    asio::awaitable<std::vector<ipc::RelayResult>>
    deliver_batch(QueuedEnvelope const& envelope, std::vector<std::uint32_t> const& batch,
                  bool retry);
    /// Saves the envelope (save_envelope on a disk thread); a failure is logged here.
    asio::awaitable<Result<void>> save(QueuedEnvelope const& envelope,
                                       RemovalSync removal = RemovalSync::Now);
    void control(ipc::ControlRequest const& request);
    asio::awaitable<void> deliver_locked(ipc::DeliverRequest request);
    asio::awaitable<void> notify_locked(ipc::NotifySender request);

    asio::io_context& io_;
    Peers& peers_;
    Spool& spool_;
    DiskWorkers disk_{kDiskThreads};
    std::map<std::string, IncomingMessage> incoming_;
    ReadyMessages ready_{io_.get_executor(), spool_, disk_};
    ipc::Pending<ipc::LocalDeliveryDone> delivered_;
    /// Messages committed by this run and not yet handed to delivery (LocalDelivery's retry).
    std::unordered_set<std::string> fresh_;
    ipc::Pending<ipc::RelayDone> relayed_;
    Notices notices_;
    MessageLocks locks_;
    QueueControl control_;
};

/// Asks the parent to deliver recipient `index` of `envelope` (a worker of its account makes
/// the delivery as the user) and returns the id its outcome will complete; a request that
/// cannot be sent is completed at once as a temporary failure.
ipc::RequestId Queue::send_local(QueuedEnvelope const& envelope, std::size_t index, bool retry) {
    QueuedRecipient const& rcpt = envelope.recipients.at(index);
    ipc::RequestId const id = delivered_.expect();
    auto fail = [this, id](std::string text) {
        (void)delivered_.complete(id, {id, ipc::DeliveryStatus::TempFail, std::move(text)});
    };
    auto file = spool_.open_content(envelope.id);
    if (!file) {
        fail("cannot open the queued message: " + file.error().what());
        return id;
    }
    ipc::LocalDelivery const request{id,
                                     envelope.id,
                                     envelope.sender,
                                     encode_recipient(rcpt),
                                     "Return-Path: <" + envelope.sender +
                                         ">\nDelivered-To: " + rcpt.address + "\n",
                                     delivery_name(envelope, rcpt),
                                     retry};
    if (auto sent = peers_.to(Role::Parent).send(request, std::move(file).value()); !sent) {
        fail(sent.error().what());
    }
    return id;
}

/// The local recipients of `batch`, all asked for at once (the parent's workers make the
/// Maildir deliveries of one account together, syncing new/ once), then their outcomes awaited.
/// One result per index of `batch`, in order.
asio::awaitable<std::vector<ipc::RelayResult>>
Queue::deliver_local(QueuedEnvelope const& envelope, std::vector<std::uint32_t> const& batch,
                     bool retry) {
    std::vector<ipc::RequestId> ids;
    ids.reserve(batch.size());
    for (std::uint32_t const i : batch) {
        ids.push_back(send_local(envelope, i, retry));
    }
    std::vector<ipc::RelayResult> results;
    for (std::size_t k = 0; k < batch.size(); ++k) {
        auto waiting = delivered_.async_wait(ids[k], asio::use_awaitable);
        Result<ipc::LocalDeliveryDone> answer = co_await std::move(waiting);
        ipc::LocalDeliveryDone done =
            answer
                ? std::move(answer).value()
                : ipc::LocalDeliveryDone{0, ipc::DeliveryStatus::TempFail, answer.error().what()};
        log_delivery(envelope, envelope.recipients.at(batch[k]), done);
        results.push_back(ipc::RelayResult{batch[k], done.status, done.text, {}, false});
    }
    co_return results;
}

asio::awaitable<Result<void>> Queue::save(QueuedEnvelope const& envelope, RemovalSync removal) {
    auto saving = save_envelope(disk_, spool_, envelope, removal);
    Result<void> saved = co_await std::move(saving);
    if (!saved) {
        log_error("queue: msgid={} cannot update envelope: {}", envelope.id, saved.error().what());
    }
    co_return saved;
}

/// Local recipients go to the parent (deliver_local); relayed ones to the dispatcher's MTA, all
/// of a batch in one request. One result per index of `batch`, in order.
asio::awaitable<std::vector<ipc::RelayResult>>
Queue::deliver_batch(QueuedEnvelope const& envelope, std::vector<std::uint32_t> const& batch,
                     bool retry) {
    std::vector<ipc::RelayResult> results;
    if (envelope.recipients.at(batch.front()).method != QueuedRecipient::Method::Relay) {
        auto delivering = deliver_local(envelope, batch, retry);
        co_return co_await std::move(delivering);
    }
    auto file = spool_.open_content(envelope.id);
    std::optional<ipc::RelayDone> done;
    if (file) {
        ipc::RelayRequest request{0, encode_envelope(envelope), batch};
        auto asking = ipc::ask(peers_.to(Role::Dispatcher), relayed_, std::move(request),
                               std::move(file).value());
        auto answer = co_await std::move(asking);
        if (answer && answer.value().results.size() == batch.size()) {
            done = std::move(answer).value();
            if (!done->due_now.empty()) {
                peers_.send(Role::Scheduler, ipc::MessagesDue{std::move(done->due_now)});
            }
        }
    }
    if (!done) {
        for (std::uint32_t const i : batch) {
            results.push_back(ipc::RelayResult{
                i, ipc::DeliveryStatus::TempFail, "451 4.3.0 the relay request failed", {}, false});
        }
        co_return results;
    }
    co_return std::move(done->results);
}

/// Each recipient delivered is removed from the envelope, durably, before the next is tried,
/// so a crash never delivers a recipient twice to a Maildir; the message leaves the spool only
/// once every recipient is done. Relayed recipients go in batches (batch_at); a crash between the
/// next hop's 250 and the removal sends them again (RFC 5321 §6.1: at least once).
asio::awaitable<void> Queue::deliver(ipc::DeliverRequest request) {
    using Status = ipc::DeliveryStatus;
    auto loaded = spool_.load_envelope(request.msgid);
    if (set_aside_if_corrupt(spool_, request.msgid, loaded)) { // never retried
        peers_.send(Role::Scheduler, ipc::DeliverResult{request.id, Status::PermFail, "corrupt"});
        co_return;
    }
    if (!loaded) {
        log_error("queue: msgid={} cannot load envelope: {}", request.msgid, loaded.error().what());
        peers_.send(Role::Scheduler,
                    ipc::DeliverResult{request.id, Status::TempFail, loaded.error().what()});
        co_return;
    }
    QueuedEnvelope envelope = std::move(loaded).value();
    envelope.last_try = std::time(nullptr);
    // The first batch of a message this run committed cannot have been delivered before.
    bool retry = fresh_.erase(request.msgid) == 0;
    // Recipients before `next` failed for now and stay; the others are tried. The message is
    // retried (one more attempt) if any stayed.
    std::size_t next = 0;
    std::optional<std::string> deferred;
    bool held = false;    // recipients of a paused kind left untried (smtpctl pause mda|mta)
    bool unsaved = false; // recipients written off in memory only: see `findable` below
    while (next < envelope.recipients.size()) {
        std::vector<std::uint32_t> const batch = batch_at(envelope, next);
        bool const relay = envelope.recipients.at(next).method == QueuedRecipient::Method::Relay;
        bool const paused = relay ? !request.relay : !request.local;
        std::vector<ipc::RelayResult> results;
        if (paused) {
            held = true;
            for (std::uint32_t const i : batch) {
                results.push_back(ipc::RelayResult{i, Status::TempFail, {}, {}, false});
            }
        } else {
            auto delivering = deliver_batch(envelope, batch, retry);
            results = co_await std::move(delivering);
        }
        retry = true; // a later batch may hold a file name this one delivered
        // The failure notice is queued before the recipients are forgotten; if it cannot be,
        // they stay, as after a temporary failure.
        std::vector<DsnRecipient> about;
        for (auto const& r : results) {
            if (r.status == Status::PermFail) {
                about.push_back(failed(envelope.recipients.at(r.index), r.text, r.remote_mta));
            }
        }
        // RFC 3461 §6.2.3: a next hop without DSN took a NOTIFY=SUCCESS recipient; the
        // "relayed" notice is owed now. Not queued: logged, the delivery stands.
        std::vector<DsnRecipient> relayed;
        for (auto const& r : results) {
            if (r.status == Status::Delivered && r.relayed) {
                DsnRecipient d = failed(envelope.recipients.at(r.index), r.text, r.remote_mta);
                d.kind = DsnKind::Relayed;
                d.status = "2.0.0";
                relayed.push_back(std::move(d));
            }
        }
        if (!relayed.empty()) {
            auto sending = notices_.send(envelope, std::move(relayed), DsnKind::Relayed);
            if (!co_await std::move(sending)) {
                log_warn("queue: msgid={} relayed notice not queued", envelope.id);
            }
        }
        if (!about.empty()) {
            auto sending = notices_.send(envelope, std::move(about), DsnKind::Failure);
            if (!co_await std::move(sending)) {
                for (auto& r : results) {
                    r.status = r.status == Status::PermFail ? Status::TempFail : r.status;
                }
            }
        }
        // A Maildir delivery tried again is found by its name and not made twice
        // (deliver/maildir.cpp), so recipients delivered there need not be written off one by
        // one: the next save records them, sparing an envelope rewrite (two syncs) each.
        bool const findable =
            std::all_of(results.begin(), results.end(), [&envelope](ipc::RelayResult const& r) {
                return r.status == Status::Delivered && !r.relayed &&
                       envelope.recipients.at(r.index).method == QueuedRecipient::Method::Maildir;
            });
        // Kept in place: what was tried before, what failed for now, what is still to try.
        std::vector<QueuedRecipient> kept(envelope.recipients.begin(),
                                          envelope.recipients.begin() +
                                              static_cast<std::ptrdiff_t>(next));
        std::vector<bool> in_batch(envelope.recipients.size(), false);
        bool removed = false;
        for (auto const& r : results) {
            in_batch.at(r.index) = true;
            if (r.status == Status::TempFail) {
                if (!paused) {
                    deferred = r.text;
                }
                kept.push_back(envelope.recipients.at(r.index));
            } else {
                removed = true;
            }
        }
        std::size_t const tried = kept.size();
        for (std::size_t i = next; i < envelope.recipients.size(); ++i) {
            if (!in_batch[i]) {
                kept.push_back(envelope.recipients[i]);
            }
        }
        envelope.recipients = std::move(kept);
        next = tried;
        if (!removed) {
            continue;
        }
        if (findable && next < envelope.recipients.size()) {
            unsaved = true;
            continue;
        }
        unsaved = false;
        kill_point("before-queue-remove");
        // Every recipient written off since the last save is findable when `findable` holds
        // here (any other kind of removal saved at once): a lost removal costs nothing twice.
        auto saving = save(envelope, findable ? RemovalSync::Later : RemovalSync::Now);
        if (Result<void> const saved = co_await std::move(saving); !saved) {
            peers_.send(Role::Scheduler,
                        ipc::DeliverResult{request.id, Status::TempFail, saved.error().what()});
            co_return;
        }
    }
    if (deferred) {
        ++envelope.attempts;
        envelope.last_error = *deferred;
        // Not saved: the attempt count is not recorded; the recipients stay queued all the same.
        auto saving = save(envelope);
        static_cast<void>(co_await std::move(saving));
        peers_.send(Role::Scheduler,
                    ipc::DeliverResult{request.id, Status::TempFail, *deferred, held});
        co_return;
    }
    if (unsaved) { // the last recipients were held (paused): record what was delivered
        auto saving = save(envelope);
        static_cast<void>(co_await std::move(saving));
    }
    peers_.send(Role::Scheduler, ipc::DeliverResult{request.id, Status::Delivered, {}, held});
}

/// The scheduler's delay warning or expiry: a notice about every recipient still queued.
asio::awaitable<void> Queue::notify(ipc::NotifySender request) {
    auto loaded = spool_.load_envelope(request.msgid);
    if (!loaded) {
        co_return;
    }
    QueuedEnvelope envelope = std::move(loaded).value();
    bool const expired = request.notice == ipc::Notice::Expired;
    std::vector<DsnRecipient> about;
    for (auto const& rcpt : envelope.recipients) {
        DsnRecipient r = failed(rcpt, envelope.last_error);
        r.kind = expired ? DsnKind::Failure : DsnKind::Delay;
        r.status = expired ? std::string(kStatusExpired) : "4.0.0";
        about.push_back(std::move(r));
    }
    auto sending =
        notices_.send(envelope, std::move(about), expired ? DsnKind::Failure : DsnKind::Delay);
    if (!co_await std::move(sending)) {
        co_return;
    }
    if (expired) {
        log_info("queue: msgid={} expired: removed", envelope.id);
        envelope.recipients.clear();
    } else {
        envelope.last_warn = std::time(nullptr);
    }
    auto saving = save(envelope);
    static_cast<void>(co_await std::move(saving));
}

void Queue::control(ipc::ControlRequest const& request) {
    spawn(control_.serve(request));
}

/// A delivery holds its message's lock (queue/message_locks.hpp): smtpctl remove waits for it,
/// and it waits for a removal under way. A message removed meanwhile is not delivered: the
/// scheduler, told of the removal first, drops the result.
asio::awaitable<void> Queue::deliver_locked(ipc::DeliverRequest request) {
    auto locking = locks_.lock(request.msgid, MessageLocks::Holder::Delivery);
    MessageLocks::Guard const guard = co_await std::move(locking);
    if (!spool_.contains(request.msgid)) {
        peers_.send(Role::Scheduler,
                    ipc::DeliverResult{request.id, ipc::DeliveryStatus::TempFail, "removed"});
        co_return;
    }
    auto delivering = deliver(std::move(request));
    co_await std::move(delivering);
}

/// A notice rewrites the envelope too (last warning, expiry): under the message's lock.
asio::awaitable<void> Queue::notify_locked(ipc::NotifySender request) {
    auto locking = locks_.lock(request.msgid, MessageLocks::Holder::Other);
    MessageLocks::Guard const guard = co_await std::move(locking);
    auto notifying = notify(std::move(request));
    co_await std::move(notifying);
}

} // namespace

int run_queue(DaemonOptions const& options, conf::Config const& config) {
    asio::io_context io;
    Peers peers = inherit_peers(io, Role::Queue);
    // Chrooted into the spool, the queue sees it as "/".
    std::string const root = running_as_root() ? std::string("/") : options.spool;
    enter_jail_or_exit(Role::Queue, options);
    auto spool = Spool::open(root, spool_coding(config));
    if (!spool) {
        fatal(fmt::format("queue: spool {}: {}", options.spool, spool.error().what()));
    }
    Queue queue(io, peers, spool.value(), host_name(), config.queue_ttl);
    start_serving(io, peers, queue);
    queue.recover();
    io.run();
    queue.finish_writes();
    return 0;
}

} // namespace smtpd::rt
