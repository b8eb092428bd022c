// Starting the role processes: one socketpair per kPeers row, then fork and re-exec of this
// binary with `-x <role>` (a fresh address-space layout per role, as OpenSMTPD does), the
// child's channel ends moved to the descriptors the topology gives them and every other
// descriptor closed. Depends on: role/topology.hpp, common/.
#pragma once

#include "common/fs.hpp"
#include "common/result.hpp"
#include "role/topology.hpp"

#include <array>
#include <string>
#include <sys/types.h>
#include <vector>

namespace smtpd::rt {

/// Both ends of each kPeers row: [0] for the row's `a`, [1] for its `b`.
using LinkEnds = std::vector<std::array<Fd, 2>>;

[[nodiscard]] Result<LinkEnds> make_links();

/// Forks and executes `exe` with `args` (argv[0] first) plus "-x <role>", giving the child its
/// ends of `links`, and `stdin_fd` (when not -1) as its standard input. Returns the child's pid.
[[nodiscard]] Result<pid_t> spawn_role(RoleInfo const& role, LinkEnds const& links,
                                       std::string const& exe, std::vector<std::string> const& args,
                                       int stdin_fd = -1);

/// The path of the running binary (/proc/self/exe), read before any chroot.
[[nodiscard]] Result<std::string> self_executable();

} // namespace smtpd::rt
