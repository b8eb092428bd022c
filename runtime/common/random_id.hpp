// Random 64-bit identifiers in hex, for queue ids and session ids (as OpenSMTPD's ids).
// Depends on: the standard library only.
#pragma once

#include <string>

namespace smtpd::rt {

/// 16 lowercase hex digits from the system's random device.
[[nodiscard]] std::string random_id();

} // namespace smtpd::rt
