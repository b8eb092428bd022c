// How the queue groups a message's recipients into delivery attempts, and the file name each
// Maildir copy gets. Maildir recipients go together (their worker syncs new/ once for all);
// relayed ones of one domain and relay action go together (one transaction at the next hop);
// any other local method goes alone. Depends on: spool/envelope.hpp.
#pragma once

#include "spool/envelope.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace smtpd::rt {

/// Maildir recipients of one message asked for at once (each holds an open spool file).
inline constexpr std::size_t kLocalBatch = 16;

/// The Maildir name of a recipient's copy: the same at every attempt, so that a delivery made
/// just before a crash is recognised instead of repeated. Sorted by arrival as maildir(5) names.
[[nodiscard]] std::string delivery_name(QueuedEnvelope const& envelope,
                                        QueuedRecipient const& rcpt);

/// The recipients tried together from position `next` on (indexes into envelope.recipients,
/// `next` first): a Maildir one with the later Maildir ones, up to kLocalBatch, each file name
/// once (two workers must never write the same file at once); any other local one alone; a
/// relayed one with every later recipient of the same relay action and domain.
[[nodiscard]] std::vector<std::uint32_t> batch_at(QueuedEnvelope const& envelope, std::size_t next);

} // namespace smtpd::rt
