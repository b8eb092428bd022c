// random_id() over std::random_device (getrandom(2) on Linux).
#include "common/random_id.hpp"

#include <cstdint>
#include <fmt/format.h>
#include <random>

namespace smtpd::rt {

std::string random_id() {
    thread_local std::random_device device; // one per thread: the queue begins messages on several
    std::uint64_t const value = (std::uint64_t{device()} << 32) | device();
    return fmt::format("{:016x}", value);
}

} // namespace smtpd::rt
