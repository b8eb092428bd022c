// This host's name, as gethostname(2) gives it ("localhost" when it gives nothing).
// Depends on: the C library.
#pragma once

#include <string>

namespace smtpd::rt {

[[nodiscard]] std::string host_name();

} // namespace smtpd::rt
