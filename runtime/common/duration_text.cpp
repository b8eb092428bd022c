// duration_text (see duration_text.hpp).
#include "common/duration_text.hpp"

#include <fmt/format.h>
#include <utility>

namespace smtpd::rt {

std::string duration_text(std::int64_t seconds) {
    if (seconds == 0) {
        return "0s";
    }
    std::string out = seconds < 0 ? "-" : "";
    // Unsigned, so that the most negative value has a magnitude too.
    std::uint64_t t =
        seconds < 0 ? 0 - static_cast<std::uint64_t>(seconds) : static_cast<std::uint64_t>(seconds);
    std::uint64_t const s = t % 60;
    t /= 60;
    std::uint64_t const m = t % 60;
    t /= 60;
    std::uint64_t const h = t % 24;
    std::uint64_t const d = t / 24;
    for (auto [value, unit] : {std::pair{d, 'd'}, {h, 'h'}, {m, 'm'}, {s, 's'}}) {
        if (value != 0) {
            out += fmt::format("{}{}", value, unit);
        }
    }
    return out;
}

} // namespace smtpd::rt
