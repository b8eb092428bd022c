// The queued envelope made from a transaction record: the session's envelope zipped with the
// destinations recorded for each accepted recipient, in order; 8-bit content marked 8BITMIME.
// Depends on: transaction.hpp, queued_options.hpp.
#include "dispatcher/transaction.hpp"

#include "dispatcher/queued_options.hpp"

namespace smtpd::rt {

std::optional<QueuedEnvelope> queued_envelope(Transaction const& tx, QueuedEnvelope base) {
    if (!tx.envelope || tx.envelope->recipients.size() != tx.destinations.size()) {
        return std::nullopt;
    }
    sm::Envelope const& envelope = *tx.envelope;
    auto const& sender = envelope.sender.mailbox;
    base.sender = sender ? sender->local_part + "@" + sender->domain : std::string();
    copy_session_options(envelope, base);
    if (tx.message && tx.message->eight_bit) {
        base.body = kBody8BitMime; // RFC 6152 §3: 8-bit data the client did not declare
    }
    for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
        if (tx.destinations[i].empty()) {
            return std::nullopt;
        }
        for (QueuedRecipient dest : tx.destinations[i]) {
            copy_recipient_options(envelope.recipients[i].options, dest);
            base.recipients.push_back(std::move(dest));
        }
    }
    return base;
}

} // namespace smtpd::rt
