// Delivery of queued messages. Each recipient delivered is removed from the envelope before the
// next is tried, so a crash never delivers a recipient twice; the message leaves the spool only
// once every recipient's delivery is durable.
#include "queue/queue_runner.hpp"

#include "common/log.hpp"
#include "deliver/maildir.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace smtpd::rt {

namespace {

// Retry after 1, 2, 4 ... minutes, at most an hour apart.
std::chrono::seconds retry_delay(unsigned attempts) {
    unsigned const shift = std::min(attempts, 6U);
    return std::min(std::chrono::seconds(60U << shift), std::chrono::seconds(3600));
}

} // namespace

void QueueRunner::schedule(std::string id) {
    disk_.post([this, id = std::move(id)] { deliver(id); });
}

void QueueRunner::recover() {
    auto const ids = spool_.recover();
    if (!ids.empty()) {
        log_info("queue: recovered {} message(s) from {}", ids.size(), spool_.root());
    }
    for (auto const& id : ids) {
        schedule(id);
    }
}

void QueueRunner::retry_later(std::string id, unsigned attempts) {
    // Called on a disk worker; the timer lives on the event loop.
    boost::asio::post(io_, [this, id = std::move(id), attempts]() mutable {
        auto timer = std::make_shared<boost::asio::steady_timer>(io_, retry_delay(attempts));
        timer->async_wait([this, timer, id = std::move(id)](boost::system::error_code ec) {
            if (!ec) {
                schedule(id);
            }
        });
    });
}

void QueueRunner::deliver(std::string const& id) {
    auto loaded = spool_.load_envelope(id);
    if (!loaded) {
        log_error("queue: msgid={} cannot load envelope: {}", id, loaded.error().message());
        return;
    }
    QueuedEnvelope envelope = std::move(loaded).value();
    std::string const message = spool_.message_path(id);
    while (!envelope.recipients.empty()) {
        QueuedRecipient const& rcpt = envelope.recipients.front();
        MaildirDelivery const d{rcpt.target,
                                "Return-Path: <" + envelope.sender +
                                    ">\nDelivered-To: " + rcpt.address + "\n",
                                message};
        // Only Maildir is delivered so far; other methods wait in the queue as temporary failures.
        auto delivered =
            rcpt.method == QueuedRecipient::Method::Maildir
                ? deliver_maildir(d, hostname_)
                : Result<std::string>(std::make_error_code(std::errc::function_not_supported));
        if (!delivered) {
            ++envelope.attempts;
            envelope.last_error = delivered.error().message();
            log_warn("delivery: TempFail for msgid={} to=<{}> user={} attempt={}: {}", id,
                     rcpt.address, rcpt.user, envelope.attempts, envelope.last_error);
            if (auto r = spool_.update_envelope(envelope); !r) {
                log_error("queue: msgid={} cannot update envelope: {}", id, r.error().message());
            }
            retry_later(id, envelope.attempts);
            return;
        }
        log_info("delivery: Ok for msgid={} to=<{}> user={} method=maildir path={}", id,
                 rcpt.address, rcpt.user, delivered.value());
        envelope.recipients.erase(envelope.recipients.begin());
        if (!envelope.recipients.empty()) {
            if (auto r = spool_.update_envelope(envelope); !r) {
                log_error("queue: msgid={} cannot update envelope: {}", id, r.error().message());
                retry_later(id, envelope.attempts);
                return;
            }
        }
    }
    if (auto r = spool_.remove(id); !r) {
        log_error("queue: msgid={} cannot remove delivered message: {}", id, r.error().message());
    }
}

} // namespace smtpd::rt
