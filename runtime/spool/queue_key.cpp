// Reading the queue encryption key at start (see queue_key.hpp).
// Depends on: spool/queue_key.hpp.
#include "spool/queue_key.hpp"

#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace smtpd::rt {

namespace {

/// Longer lines are not keys; reading stops there.
constexpr std::size_t kMaxKeyLine = 1024;

Result<std::string> checked(std::string key) {
    if (key.size() != kQueueKeySize) {
        return failure(std::make_error_code(std::errc::invalid_argument),
                       "invalid key for queue encryption: expected " +
                           std::to_string(kQueueKeySize) + " characters, got " +
                           std::to_string(key.size()));
    }
    return key;
}

} // namespace

Result<std::string> read_queue_key(int fd) {
    std::string line;
    char c = 0;
    // One byte at a time: nothing after the newline is taken from a shared standard input.
    while (line.size() <= kMaxKeyLine) {
        ssize_t const n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return failure(last_error(), "queue key: " + last_error().message());
        }
        if (n == 0 || c == '\n') {
            break;
        }
        line += c;
    }
    if (line.empty() && c != '\n') {
        return failure(std::make_error_code(std::errc::invalid_argument),
                       "queue key: nothing to read on the standard input");
    }
    return checked(std::move(line));
}

Result<std::string> ask_queue_key() {
    char* const typed = ::getpass("queue key: "); // NOLINT(concurrency-mt-unsafe): at start
    if (typed == nullptr) {
        return failure(last_error(), "queue key: getpass: " + last_error().message());
    }
    std::string key(typed);
    ::explicit_bzero(typed, std::strlen(typed));
    return checked(std::move(key));
}

Result<Fd> key_pipe(std::string const& key) {
    int fds[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return last_error();
    }
    Fd read_end(fds[0]);
    Fd const write_end(fds[1]);
    // A pipe holds 64 KiB: a 33-octet line never blocks.
    if (auto r = write_all(write_end.get(), key + "\n"); !r) {
        return r.error();
    }
    return read_end;
}

} // namespace smtpd::rt
