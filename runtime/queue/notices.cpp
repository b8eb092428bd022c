// Building, addressing and queueing delivery status notifications.
#include "queue/notices.hpp"

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/random_id.hpp"
#include "ipc/request.hpp"

#include <algorithm>
#include <ctime>

namespace smtpd::rt {

namespace asio = boost::asio;

namespace {

std::string_view notice_word(DsnKind kind) {
    switch (kind) {
    case DsnKind::Failure:
        return "failure";
    case DsnKind::Delay:
        return "delay";
    case DsnKind::Relayed:
        break;
    }
    return "relayed";
}

std::uint64_t unsigned_time(std::int64_t t) {
    return t > 0 ? static_cast<std::uint64_t>(t) : 0;
}

} // namespace

ipc::ScheduleMessage schedule_of(QueuedEnvelope const& e) {
    return {e.id, unsigned_time(e.created), e.attempts, unsigned_time(e.last_try),
            unsigned_time(e.last_warn)};
}

void Notices::resolved(ipc::RecipientResolved reply) {
    complete_reply(resolved_, std::move(reply), Role::Queue);
}

asio::awaitable<std::optional<std::vector<QueuedRecipient>>>
Notices::resolve_sender(std::string const& sender) {
    auto const at = sender.rfind('@');
    ipc::LookupRecipient request{0, sender.substr(0, at),
                                 at == std::string::npos ? hostname_ : sender.substr(at + 1), true};
    auto asking = ipc::ask(peers_.to(Role::Lookup), resolved_, std::move(request));
    auto answer = co_await std::move(asking);
    if (!answer || answer.value().verdict != ipc::RcptVerdict::Accepted) {
        co_return std::nullopt;
    }
    std::vector<QueuedRecipient> to;
    for (auto const& encoded : answer.value().recipients) {
        if (auto r = decode_recipient(encoded)) {
            to.push_back(std::move(*r));
        }
    }
    co_return to;
}

asio::awaitable<bool> Notices::enqueue(std::string const& text, std::vector<QueuedRecipient> to) {
    auto begun = spool_.begin();
    if (!begun) {
        log_warn("queue: cannot create a notice: {}", begun.error().what());
        co_return false;
    }
    IncomingMessage message = std::move(begun).value();
    message.write(text);
    QueuedEnvelope envelope{message.id(), std::time(nullptr), hostname_, {}, true,
                            {},           std::move(to),      0,         {}};
    auto work = [&spool = spool_, &message, &envelope] {
        return spool.commit_or_drop(message, envelope);
    };
    auto committing = disk_.run(std::move(work));
    if (Result<void> const committed = co_await std::move(committing); !committed) {
        log_warn("queue: cannot commit a notice: {}", committed.error().what());
        co_return false;
    }
    peers_.send(Role::Scheduler, schedule_of(envelope));
    co_return true;
}

asio::awaitable<bool> Notices::send(QueuedEnvelope const& envelope,
                                    std::vector<DsnRecipient> recipients, DsnKind kind) {
    std::erase_if(recipients, [&](DsnRecipient const& r) {
        auto const queued =
            std::find_if(envelope.recipients.begin(), envelope.recipients.end(),
                         [&](QueuedRecipient const& q) { return q.address == r.address; });
        std::uint8_t const notify = queued == envelope.recipients.end() ? 0 : queued->notify;
        return !dsn_wanted(envelope.sender, notify, kind);
    });
    if (recipients.empty()) {
        log_trace(Trace::Bounce, "bounce: msgid={} no {} notice: none wanted (NOTIFY, <>)",
                  envelope.id, notice_word(kind));
        co_return true;
    }
    auto to = co_await resolve_sender(envelope.sender);
    if (!to || to->empty()) {
        log_warn("queue: msgid={} notice to <{}> dropped: no rule delivers or relays it",
                 envelope.id, envelope.sender);
        co_return true;
    }
    auto original = spool_.read_content(envelope.id);
    SysSeconds const t = now_seconds();
    BounceReport report{hostname_, t, random_id() + "@" + hostname_, std::nullopt,
                        std::move(recipients)};
    if (kind == DsnKind::Delay) {
        report.retry_until = SysSeconds{std::chrono::seconds{envelope.created}} + ttl_;
    }
    std::string const text =
        build_bounce(envelope, report, original ? original.value() : std::string());
    log_trace(Trace::Bounce, "bounce: msgid={} {} notice of {} octets for {} recipient(s)",
              envelope.id, notice_word(kind), text.size(), report.recipients.size());
    auto enqueuing = enqueue(text, std::move(*to));
    bool const queued = co_await std::move(enqueuing);
    if (queued) {
        log_info("queue: msgid={} {} notice sent to <{}>", envelope.id, notice_word(kind),
                 envelope.sender);
    }
    co_return queued;
}

} // namespace smtpd::rt
