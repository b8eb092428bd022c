// gethostname(2) with a fallback.
#include "common/host_name.hpp"

#include <unistd.h>

namespace smtpd::rt {

std::string host_name() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') {
        return "localhost";
    }
    return buf;
}

} // namespace smtpd::rt
