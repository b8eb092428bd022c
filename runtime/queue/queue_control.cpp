// show queue and remove, for the queue role (queue/queue_control.hpp).
#include "queue/queue_control.hpp"

#include "common/log.hpp"
#include "queue/queue_lines.hpp"
#include "scheduler/policy.hpp"

#include <algorithm>
#include <ctime>
#include <iterator>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace smtpd::rt {

namespace asio = boost::asio;

namespace {

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? std::numeric_limits<std::int64_t>::max()
                     : std::numeric_limits<std::int64_t>::min();
    }
    return sum;
}

/// Seconds until the retry the policy gives after the last attempt (0: due now or never tried);
/// the scheduler may come sooner (a delay warning, `smtpctl schedule`) or later (paused).
std::int64_t pending_seconds(QueuedEnvelope const& envelope, std::int64_t now) {
    if (envelope.attempts == 0) {
        return 0;
    }
    auto const delay = retry_delay(envelope.attempts, retry_seed(envelope.id));
    std::int64_t const due = saturating_add(std::min(envelope.last_try, now), delay.count());
    return due > now ? due - now : 0;
}

} // namespace

asio::awaitable<Result<void>> save_envelope(DiskWorkers& disk, Spool& spool,
                                            QueuedEnvelope const& envelope, RemovalSync removal) {
    auto work = [&spool, &envelope, removal]() -> Result<void> {
        return envelope.recipients.empty() ? spool.remove(envelope.id, removal)
                                           : spool.update_envelope(envelope);
    };
    auto saving = disk.run(std::move(work));
    co_return co_await std::move(saving);
}

asio::awaitable<void> QueueControl::serve(ipc::ControlRequest request) {
    ipc::ControlReply reply{request.id, false, {"not a queue request"}};
    if (request.verb == ipc::ControlVerb::ShowQueue) {
        reply = show_queue(request.id);
    } else if (request.verb == ipc::ControlVerb::Remove) {
        auto removing = remove(request);
        reply = co_await std::move(removing);
    }
    peers_.send(Role::Control, reply);
}

ipc::ControlReply QueueControl::show_queue(ipc::RequestId id) const {
    ipc::ControlReply reply{id, true, {}};
    std::int64_t const now = std::time(nullptr);
    auto ids = spool_.queued_ids();
    std::sort(ids.begin(), ids.end());
    for (auto const& msgid : ids) {
        auto loaded = spool_.load_envelope(msgid);
        if (!loaded) {
            continue; // removed meanwhile, or unreadable (recovery logged it)
        }
        QueuedEnvelope const& envelope = loaded.value();
        RunState state{false, pending_seconds(envelope, now)};
        if (auto const since = locks_.delivering_since(msgid)) {
            auto const running = std::chrono::steady_clock::now() - *since;
            state =
                RunState{true, std::chrono::duration_cast<std::chrono::seconds>(running).count()};
        }
        std::int64_t const expiry = saturating_add(envelope.created, ttl_.count());
        for (auto const& rcpt : envelope.recipients) {
            reply.lines.push_back(show_queue_line(envelope, rcpt, expiry, state));
        }
    }
    return reply;
}

asio::awaitable<ipc::ControlReply> QueueControl::remove(ipc::ControlRequest const& request) {
    std::optional<QueueTarget> const target =
        request.args.size() == 1 ? parse_queue_target(request.args[0]) : std::nullopt;
    if (!target) {
        co_return ipc::ControlReply{request.id, false, {"invalid envelope or message id"}};
    }
    std::vector<std::string> msgids;
    if (target->kind == QueueTarget::Kind::All) {
        msgids = spool_.queued_ids();
        std::sort(msgids.begin(), msgids.end());
    } else {
        msgids.push_back(target->msgid);
    }
    std::size_t removed = 0;
    for (auto& msgid : msgids) {
        auto removing = remove_from(std::move(msgid), *target);
        removed += co_await std::move(removing);
    }
    co_return ipc::ControlReply{request.id, true, {count_line(removed, "envelope", "removed")}};
}

asio::awaitable<std::size_t> QueueControl::remove_from(std::string msgid, QueueTarget target) {
    auto locking = locks_.lock(msgid, MessageLocks::Holder::Other);
    MessageLocks::Guard const guard = co_await std::move(locking);
    auto loaded = spool_.load_envelope(msgid);
    if (!loaded) {
        co_return 0; // not queued (an unknown id, or removed meanwhile)
    }
    QueuedEnvelope envelope = std::move(loaded).value();
    auto const named = [&](QueuedRecipient const& r) { return names(target, msgid, r); };
    auto const kept = std::stable_partition(envelope.recipients.begin(), envelope.recipients.end(),
                                            [&](QueuedRecipient const& r) { return !named(r); });
    std::vector<QueuedRecipient> gone(std::make_move_iterator(kept),
                                      std::make_move_iterator(envelope.recipients.end()));
    envelope.recipients.erase(kept, envelope.recipients.end());
    if (gone.empty()) {
        co_return 0;
    }
    auto saving = save_envelope(disk_, spool_, envelope);
    if (Result<void> const saved = co_await std::move(saving); !saved) {
        log_error("queue: msgid={} cannot remove recipients: {}", msgid, saved.error().what());
        co_return 0;
    }
    std::int64_t const now = std::time(nullptr);
    for (auto const& rcpt : gone) {
        log_info("{}", removed_line(envelope, rcpt, now));
    }
    if (envelope.recipients.empty()) {
        log_info("queue: msgid={} removed by administrator", msgid);
        peers_.send(Role::Scheduler, ipc::MessageRemoved{msgid});
    }
    co_return gone.size();
}

} // namespace smtpd::rt
