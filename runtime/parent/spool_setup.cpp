// Accounts, chroot directory and spool ownership at start.
#include "parent/spool_setup.hpp"

#include "common/fs.hpp"
#include "common/log.hpp"
#include "common/privileges.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

constexpr unsigned kSpoolMode = 0700;
constexpr unsigned kChrootMode = 0755;
constexpr int kFtwDescriptors = 16;

// nftw(3) takes a plain function; the owner it hands the tree to is set just before the walk.
uid_t g_owner_uid = 0; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
gid_t g_owner_gid = 0; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

int hand_over(char const* path, struct stat const* st, int /*flag*/, FTW* /*ftw*/) {
    if (st->st_uid != g_owner_uid || st->st_gid != g_owner_gid) {
        if (::lchown(path, g_owner_uid, g_owner_gid) != 0) {
            return -1;
        }
    }
    return 0;
}

Failure errno_failure(std::string const& what) {
    std::error_code const code = last_error();
    return failure(code, fmt::format("{}: {}", what, code.message()));
}

Result<void> prepare_spool(std::string const& spool, SystemAccount const& owner) {
    if (auto made = make_dirs(spool, kSpoolMode); !made) {
        return failure(made.error().code, fmt::format("spool {}: {}", spool, made.error().what()));
    }
    g_owner_uid = owner.uid;
    g_owner_gid = owner.gid;
    if (::nftw(spool.c_str(), hand_over, kFtwDescriptors, FTW_PHYS) != 0) {
        return errno_failure("spool " + spool + ": cannot give it to " + owner.name);
    }
    if (::chmod(spool.c_str(), kSpoolMode) != 0) {
        return errno_failure("chmod " + spool);
    }
    return success();
}

Result<void> prepare_chroot(std::string const& dir) {
    if (auto made = make_dirs(dir, kChrootMode); !made) {
        return failure(made.error().code,
                       fmt::format("chroot directory {}: {}", dir, made.error().what()));
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        return errno_failure("chroot directory " + dir);
    }
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return failure(std::make_error_code(std::errc::permission_denied),
                       fmt::format("chroot directory {} must be owned by root and writable by "
                                   "nobody else",
                                   dir));
    }
    return success();
}

} // namespace

Result<void> prepare_directories(DaemonOptions const& options) {
    if (!running_as_root()) {
        log_warn("smtpd: running as a normal user: no privilege drop, no chroot");
        if (auto made = make_dirs(options.spool, kSpoolMode); !made) {
            return failure(made.error().code,
                           fmt::format("spool {}: {}", options.spool, made.error().what()));
        }
        return success();
    }
    auto smtpd = find_account(SMTPD_USER);
    if (!smtpd) {
        return smtpd.error();
    }
    auto smtpq = find_account(SMTPQ_USER);
    if (!smtpq) {
        return smtpq.error();
    }
    if (auto jail = prepare_chroot(SMTPD_CHROOT); !jail) {
        return jail;
    }
    return prepare_spool(options.spool, smtpq.value());
}

} // namespace smtpd::rt
