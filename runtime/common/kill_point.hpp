// Named kill points for the crash tests: kill_point("after-content-fsync") kills the daemon at
// that instant when the environment variable SMTPD_KILL_POINT names it. Compiled in only with
// the CMake option SMTPD_KILL_POINTS (on in the sanitizer build the tests run); otherwise an
// inline no-op, so the release product has none. The variable is read once per process; every
// role sees it, since the roles are re-executed with the parent's environment.
// Invariant: a point that fires never returns; the calling process is always among the killed.
// Depends on: the standard library. Campaign and points: docs/arch/crash-campaign.md.
#pragma once

#include <string_view>

namespace smtpd::rt {

#if defined(SMTPD_KILL_POINTS) && SMTPD_KILL_POINTS
/// Sends SIGKILL to the whole process group (kill(0, SIGKILL)) if SMTPD_KILL_POINT == name.
/// A role under a dropped uid kills only the processes it may signal (itself and its account's
/// roles); the parent sees the role die and stops the rest.
void kill_point(std::string_view name);
#else
inline void kill_point(std::string_view /*name*/) {}
#endif

} // namespace smtpd::rt
