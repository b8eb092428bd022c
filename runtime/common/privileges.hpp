// Dropping root: a role process looks up its account before it touches untrusted input, then
// chroots (when it has a jail) and gives up every id of root for the account's, checking that
// the change cannot be undone. A process that is not root drops nothing (development and tests),
// and says so once, from the parent. Depends on: common/result.hpp.
#pragma once

#include "common/result.hpp"

#include <string>
#include <sys/types.h>

namespace smtpd::rt {

/// A system account, as getpwnam(3) gives it.
struct SystemAccount {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
};

/// getpwnam_r(3); a Failure naming the user when there is none (with how to create it).
[[nodiscard]] Result<SystemAccount> find_account(std::string const& name);

/// True when the process runs as root and so must drop privileges.
[[nodiscard]] bool running_as_root();

/// chroot(2) into `jail` (unless empty) and chdir("/"), then setgroups/setresgid/setresuid to
/// `account`, and check that root cannot be regained. Only when running as root.
[[nodiscard]] Result<void> drop_privileges(SystemAccount const& account, std::string const& jail);

/// Becomes `account` for good (a delivery child): initgroups, setresgid, setresuid, chdir home.
[[nodiscard]] Result<void> become_user(SystemAccount const& account);

} // namespace smtpd::rt
