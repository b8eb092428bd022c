// Recipients grouped into delivery attempts; the Maildir name of each copy.
#include "queue/recipient_batches.hpp"

#include "common/hash.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace smtpd::rt {

std::string delivery_name(QueuedEnvelope const& envelope, QueuedRecipient const& rcpt) {
    std::string key = rcpt.address;
    key += '\0';
    key += rcpt.target;
    return fmt::format("{}.M{}R{:016x}", envelope.created, envelope.id, fnv1a(key));
}

std::vector<std::uint32_t> batch_at(QueuedEnvelope const& envelope, std::size_t next) {
    auto const& rcpts = envelope.recipients;
    QueuedRecipient const& first = rcpts.at(next);
    std::vector<std::uint32_t> batch{static_cast<std::uint32_t>(next)};
    if (first.method == QueuedRecipient::Method::Maildir) {
        // A recipient whose file name (delivery_name) is already in the batch waits for the
        // next batch.
        auto named = [&](QueuedRecipient const& r) {
            return std::any_of(batch.begin(), batch.end(), [&](std::uint32_t k) {
                return rcpts[k].address == r.address && rcpts[k].target == r.target;
            });
        };
        for (std::size_t i = next + 1; i < rcpts.size() && batch.size() < kLocalBatch; ++i) {
            if (rcpts[i].method == QueuedRecipient::Method::Maildir && !named(rcpts[i])) {
                batch.push_back(static_cast<std::uint32_t>(i));
            }
        }
        return batch;
    }
    if (first.method != QueuedRecipient::Method::Relay) {
        return batch;
    }
    std::string const domain = relay_domain(first);
    for (std::size_t i = next + 1; i < rcpts.size(); ++i) {
        if (rcpts[i].method == QueuedRecipient::Method::Relay && rcpts[i].action == first.action &&
            relay_domain(rcpts[i]) == domain) {
            batch.push_back(static_cast<std::uint32_t>(i));
        }
    }
    return batch;
}

} // namespace smtpd::rt
