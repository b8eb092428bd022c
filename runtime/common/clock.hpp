// Wall-clock time in whole seconds, the unit of the queue's timestamps, the scheduler's policy
// and the dates in delivery status notices. Depends on: the standard library.
#pragma once

#include <chrono>

namespace smtpd::rt {

using SysSeconds = std::chrono::sys_seconds;

/// The current time, truncated to the second.
[[nodiscard]] inline SysSeconds now_seconds() {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

} // namespace smtpd::rt
