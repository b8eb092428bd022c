// to_queued: a resolved Destination as the queue stores it (spool/envelope.hpp's
// QueuedRecipient), so the dispatcher copies no field by hand. Depends on: recipients.hpp,
// spool/envelope.hpp.
#pragma once

#include "lookup/recipients.hpp"
#include "spool/envelope.hpp"

#include <cstdint>
#include <string>

namespace smtpd::rt {

/// The recipient `address` delivered to `d`, with the RFC 3461 NOTIFY bits and ORCPT the client
/// gave for it.
[[nodiscard]] QueuedRecipient to_queued(std::string address, Destination const& d,
                                        std::uint8_t notify, std::string orcpt);

} // namespace smtpd::rt
