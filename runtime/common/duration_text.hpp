// A duration as OpenSMTPD's smtpctl writes it (to.c's duration_to_text): "0s", "45s", "1h2m",
// "3d4h5m6s", "-1m1s". Used by `show queue` and the MTA's `show hosts|relays|routes`.
// Depends on: the standard library.
#pragma once

#include <cstdint>
#include <string>

namespace smtpd::rt {

[[nodiscard]] std::string duration_text(std::int64_t seconds);

} // namespace smtpd::rt
