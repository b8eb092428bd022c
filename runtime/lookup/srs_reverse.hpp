// The reverse mapping of SRS recipients in the lookup role, after OpenSMTPD's lka_expand: when
// smtpd.conf sets an `srs key`, a recipient whose local part is tagged SRS0=/SRS1= at one of our
// domains is decoded (srs/srs.hpp) and the address it stands for is resolved instead, matched as
// mail from this host (OpenSMTPD's EF_INTERNAL), so a bounce reaches the original sender through
// whatever rule routes that address, relay included. A forged, expired or malformed one is
// refused for good (550 5.1.1, the reply OpenSMTPD gives it). Depends on: recipients.hpp, srs/.
#pragma once

#include "lookup/recipients.hpp"
#include "srs/srs.hpp"

#include <optional>
#include <string_view>

namespace smtpd::rt {

/// The srs keys and ttl of smtpd.conf; nullopt when it sets no `srs key` (no mapping then).
[[nodiscard]] std::optional<srs::Keys> srs_keys(conf::SrsConfig const& config);

/// The resolution of local@domain when it is an SRS address for us: the decoded address's, with
/// each destination's `recipient` the SRS address as received and its `dest` the address reached
/// (the decoded one unless expansion went further); or UnknownUser when it does not check.
/// nullopt when the mapping does not apply: no key, no SRS tag, or a domain that is not ours (a
/// domain whose first matching rule relays, so that mail to other sites' SRS addresses passes).
[[nodiscard]] std::optional<Resolution> resolve_srs(Recipients const& recipients,
                                                    std::optional<srs::Keys> const& keys,
                                                    std::string_view local, std::string_view domain,
                                                    bool client_local, RecipientsIo const& io);

} // namespace smtpd::rt
