// The files an expansion reads besides the tables, as the single-process daemon reads them:
// a user's ~/.forward (refused unless it is a regular file owned by the user or root and not
// writable by group or others, in a home directory that is safe in the same way, as OpenSMTPD's
// secure_file; symbolic links are not followed) and alias :include: files. In the
// privilege-separated daemon the root parent opens ~/.forward instead (RecipientsIo).
// Depends on: aliases.hpp (UserInfo), common/.
#pragma once

#include "lookup/aliases.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace smtpd::rt {

/// The largest ~/.forward or include file read.
inline constexpr std::size_t kMaxForwardFile = 64 * 1024;

/// The contents of home/.forward; nullopt when there is none or it is not safe to read.
[[nodiscard]] std::optional<std::string> read_forward_file(UserInfo const& user);

/// read_forward_file with the user's ids (effective uid and gid, no supplementary groups) for
/// the time of the read when the process runs as root, so that root reads nothing the user could
/// not: the parent's service to the lookup role. Single-threaded callers only.
[[nodiscard]] std::optional<std::string> read_forward_as_user(UserInfo const& user);

/// The contents of an :include: file; nullopt when it cannot be read.
[[nodiscard]] std::optional<std::string> read_include_file(std::string const& path);

} // namespace smtpd::rt
