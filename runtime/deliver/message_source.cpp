// Opening the queued message for a delivery.
#include "deliver/message_source.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace smtpd::rt {

Result<Fd> open_message(std::string const& path, int fd) {
    if (fd < 0) {
        return open_file(path, O_RDONLY);
    }
    Fd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0)); // shares the offset: the message's start
    if (!copy.valid()) {
        return last_error();
    }
    return copy;
}

Result<std::string> read_message(std::string const& path, int fd) {
    auto in = open_message(path, fd);
    if (!in) {
        return in.error();
    }
    return read_to_end(in.value().get());
}

} // namespace smtpd::rt
