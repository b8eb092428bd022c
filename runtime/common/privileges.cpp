// Account lookup and the privilege drop of the role processes and delivery children.
#include "common/privileges.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace smtpd::rt {

namespace {

constexpr std::size_t kPasswdBuffer = 16384;

Failure errno_failure(std::string const& what) {
    std::error_code const code = last_error();
    return failure(code, fmt::format("{}: {}", what, code.message()));
}

Result<void> set_ids(SystemAccount const& account) {
    if (::setresgid(account.gid, account.gid, account.gid) != 0) {
        return errno_failure(fmt::format("setresgid {}", account.gid));
    }
    if (::setresuid(account.uid, account.uid, account.uid) != 0) {
        return errno_failure(fmt::format("setresuid {}", account.uid));
    }
    // Root must be gone for good: a process that can take uid 0 back has dropped nothing.
    if (account.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
        return failure(std::make_error_code(std::errc::operation_not_permitted),
                       fmt::format("user {} could regain root", account.name));
    }
    return success();
}

} // namespace

Result<SystemAccount> find_account(std::string const& name) {
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf(kPasswdBuffer);
    int const rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
    if (rc != 0 || found == nullptr) {
        return failure(std::make_error_code(std::errc::no_such_file_or_directory),
                       fmt::format("unknown user {}: create it, e.g. useradd -c \"SMTP Daemon\" "
                                   "-d /var/empty -s /usr/sbin/nologin -r -U {}",
                                   name, name));
    }
    return SystemAccount{pw.pw_name, pw.pw_uid, pw.pw_gid, pw.pw_dir};
}

bool running_as_root() {
    return ::geteuid() == 0;
}

Result<void> drop_privileges(SystemAccount const& account, std::string const& jail) {
    if (!running_as_root()) {
        return success();
    }
    if (!jail.empty()) {
        if (::chroot(jail.c_str()) != 0) {
            return errno_failure("chroot " + jail);
        }
        if (::chdir("/") != 0) {
            return errno_failure("chdir / in " + jail);
        }
    }
    gid_t const groups[] = {account.gid};
    if (::setgroups(1, groups) != 0) {
        return errno_failure("setgroups");
    }
    return set_ids(account);
}

Result<void> become_user(SystemAccount const& account) {
    if (running_as_root()) {
        if (::initgroups(account.name.c_str(), account.gid) != 0) {
            return errno_failure("initgroups " + account.name);
        }
        if (auto r = set_ids(account); !r) {
            return r;
        }
    }
    if (::chdir(account.home.c_str()) != 0 && ::chdir("/") != 0) {
        return errno_failure("chdir " + account.home);
    }
    return success();
}

} // namespace smtpd::rt
