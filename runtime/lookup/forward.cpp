// read_forward_file, read_forward_as_user, read_include_file and default_recipients_io (see
// forward.hpp and recipients.hpp). The ~/.forward checks are made on the open descriptor (fstat),
// so the file checked is the file read. Depends on: forward.hpp, recipients.hpp, common/fs.hpp,
// common/log.hpp.
#include "lookup/forward.hpp"

#include "common/fs.hpp"
#include "common/log.hpp"
#include "lookup/recipients.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

// secure_file(): owned by the user or root, not writable by group or others.
bool owned_safely(struct stat const& st, UserInfo const& user) {
    return (st.st_uid == user.uid || st.st_uid == 0) && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::optional<std::string> read_all(int fd) {
    auto text = read_to_end(fd, kMaxForwardFile);
    if (!text) {
        return std::nullopt;
    }
    return std::move(text).value();
}

} // namespace

std::optional<std::string> read_forward_file(UserInfo const& user) {
    struct stat home {};
    if (::stat(user.home.c_str(), &home) != 0 || !S_ISDIR(home.st_mode) ||
        !owned_safely(home, user)) {
        return std::nullopt;
    }
    std::string const path = user.home + "/.forward";
    Fd const fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) {
        return std::nullopt; // ENOENT: no .forward; ELOOP: a symbolic link, refused
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !owned_safely(st, user)) {
        log_warn("lookup: {}: unsafe file, ignored", path);
        return std::nullopt;
    }
    return read_all(fd.get());
}

std::optional<std::string> read_include_file(std::string const& path) {
    Fd const fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) {
        log_warn("lookup: cannot open include file {}", path);
        return std::nullopt;
    }
    return read_all(fd.get());
}

std::optional<std::string> read_forward_as_user(UserInfo const& user) {
    if (::geteuid() != 0) {
        return read_forward_file(user);
    }
    gid_t const root_groups[] = {0};
    if (::setgroups(0, nullptr) != 0 || ::setegid(user.gid) != 0 || ::seteuid(user.uid) != 0) {
        (void)::seteuid(0);
        (void)::setegid(0);
        (void)::setgroups(1, root_groups);
        return std::nullopt;
    }
    auto content = read_forward_file(user);
    // Root again, or this process must not go on.
    if (::seteuid(0) != 0 || ::setegid(0) != 0 || ::setgroups(1, root_groups) != 0) {
        std::abort();
    }
    return content;
}

RecipientsIo default_recipients_io() {
    return RecipientsIo{find_user, read_forward_file, read_include_file, "_smtpd"};
}

} // namespace smtpd::rt
