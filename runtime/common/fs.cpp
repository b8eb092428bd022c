// POSIX file helpers. Every failure is returned as the errno of the call that failed.
#include "common/fs.hpp"

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smtpd::rt {

void Fd::reset() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

Result<Fd> open_file(std::string const& path, int flags, unsigned mode) {
    int const fd = ::open(path.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) {
        return last_error();
    }
    return Fd(fd);
}

Result<void> write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t const n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return last_error();
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return success();
}

Result<void> write_file_synced(std::string const& path, std::string_view content, int extra_flags) {
    auto fd = open_file(path, O_WRONLY | O_CREAT | extra_flags, 0600);
    if (!fd) {
        return fd.error();
    }
    if (auto r = write_all(fd.value().get(), content); !r) {
        return r.error();
    }
    return sync_fd(fd.value().get());
}

Result<void> write_all_at(int fd, std::string_view bytes, std::uint64_t offset) {
    while (!bytes.empty()) {
        ssize_t const n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return last_error();
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
    return success();
}

Result<std::string> read_at(int fd, std::uint64_t offset, std::size_t size) {
    std::string out(size, '\0');
    std::size_t got = 0;
    while (got < size) {
        ssize_t const n =
            ::pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return last_error();
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    return out;
}

Result<MessageContent> content_here(int fd) {
    off_t const at = ::lseek(fd, 0, SEEK_CUR);
    if (at < 0) {
        return last_error();
    }
    return MessageContent{fd, static_cast<std::uint64_t>(at)};
}

Result<std::uint64_t> content_size(MessageContent content) {
    struct stat st {};
    if (::fstat(content.fd, &st) != 0) {
        return last_error();
    }
    auto const size = static_cast<std::uint64_t>(st.st_size);
    return size > content.start ? size - content.start : 0;
}

Result<void> sync_data(int fd) {
    if (::fdatasync(fd) != 0) {
        return last_error();
    }
    return success();
}

Result<void> sync_fd(int fd) {
    if (::fsync(fd) != 0) {
        return last_error();
    }
    return success();
}

Result<void> sync_dir(std::string const& path) {
    auto dir = open_file(path, O_RDONLY | O_DIRECTORY);
    if (!dir) {
        return dir.error();
    }
    return sync_fd(dir.value().get());
}

Result<void> make_dirs(std::string const& path, unsigned mode) {
    for (std::size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos != path.size() && path[pos] != '/') {
            continue;
        }
        std::string const prefix = path.substr(0, pos);
        if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
            return last_error();
        }
    }
    return success();
}

Result<std::string> read_file(std::string const& path) {
    auto fd = open_file(path, O_RDONLY);
    if (!fd) {
        return fd.error();
    }
    return read_to_end(fd.value().get());
}

Result<std::size_t> read_piece(int fd, std::span<char> buffer) {
    for (;;) {
        ssize_t const n = ::read(fd, buffer.data(), buffer.size());
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            return last_error();
        }
    }
}

Result<std::string> read_to_end(int fd, std::size_t limit) {
    std::string out;
    auto appended = for_each_piece(fd, {}, [&](std::string_view piece) -> Result<void> {
        if (piece.size() > limit - out.size()) {
            return std::make_error_code(std::errc::file_too_large);
        }
        out.append(piece);
        return success();
    });
    if (!appended) {
        return appended.error();
    }
    return out;
}

bool is_no_space(std::error_code ec) {
    return ec == std::errc::no_space_on_device || ec.value() == EDQUOT;
}

} // namespace smtpd::rt
