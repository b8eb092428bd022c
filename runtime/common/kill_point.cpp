// The kill points of a test build (see kill_point.hpp); empty unless SMTPD_KILL_POINTS is set.
// Depends on: common/log.hpp.
#include "common/kill_point.hpp"

#if defined(SMTPD_KILL_POINTS) && SMTPD_KILL_POINTS

#include "common/log.hpp"

#include <csignal>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace smtpd::rt {

void kill_point(std::string_view name) {
    // Read once: the environment is not written after start-up, and the static is thread-safe.
    static std::string const armed = [] {
        char const* value = std::getenv("SMTPD_KILL_POINT");
        return std::string(value != nullptr ? value : "");
    }();
    if (armed.empty() || name != armed) {
        return;
    }
    log_warn("kill point {}: SIGKILL to the process group", name);
    ::kill(0, SIGKILL);
    ::raise(SIGKILL); // not reached: the group includes this process
    std::abort();
}

} // namespace smtpd::rt

#endif
