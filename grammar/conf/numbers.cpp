// parse_number, parse_port, parse_size, parse_duration (see numbers.hpp). parse_size follows
// OpenBSD's scan_scaled(3): the unit scales the whole part and the fraction, and fraction digits
// beyond what can matter are ignored; the result is truncated to whole bytes. Depends on:
// numbers.hpp and the standard library.
#include "numbers.hpp"

#include <array>
#include <limits>
#include <utility>

namespace smtpd::conf {

namespace {

constexpr std::uint64_t kMaxSize = std::numeric_limits<std::int64_t>::max();
// 18 fraction digits keep 10^digits within 64 bits.
constexpr unsigned kMaxFractionDigits = 18;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/// The power of 1024 of a scan_scaled unit letter, or nullopt.
std::optional<unsigned> unit_power(char c) {
    constexpr std::string_view kUnits = "BKMGTPE";
    char const upper = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    auto const at = kUnits.find(upper);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    return static_cast<unsigned>(at);
}

} // namespace

std::optional<std::size_t> parse_number(std::string_view text, std::size_t low, std::size_t high) {
    std::size_t n = 0;
    for (char const c : text) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        n = n * 10 + static_cast<std::size_t>(c - '0');
        if (n > high) {
            return std::nullopt;
        }
    }
    if (text.empty() || n < low) {
        return std::nullopt;
    }
    return n;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    // parse.y accepts a service name too; these are the ones an MTA listens on.
    constexpr std::array<std::pair<std::string_view, std::uint16_t>, 3> kServices = {
        {{"smtp", 25}, {"smtps", 465}, {"submission", 587}}};
    for (auto const& [name, port] : kServices) {
        if (text == name) {
            return port;
        }
    }
    auto const n = parse_number(text, 1, std::numeric_limits<std::uint16_t>::max());
    if (!n) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(*n);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::size_t i = 0;
    std::uint64_t whole = 0;
    for (; i < text.size() && is_digit(text[i]); ++i) {
        whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
        if (whole > kMaxSize) {
            return std::nullopt;
        }
    }
    if (i == 0) {
        return std::nullopt; // no digits before the point or the unit
    }
    std::uint64_t fraction = 0;
    std::uint64_t denominator = 1;
    if (i < text.size() && text[i] == '.') {
        std::size_t const start = ++i;
        for (; i < text.size() && is_digit(text[i]); ++i) {
            if (i - start < kMaxFractionDigits) {
                fraction = fraction * 10 + static_cast<std::uint64_t>(text[i] - '0');
                denominator *= 10;
            }
        }
        if (i == start) {
            return std::nullopt; // "35.M"
        }
    }
    unsigned power = 0;
    if (i < text.size()) {
        auto const unit = unit_power(text[i]);
        if (!unit || i + 1 != text.size()) {
            return std::nullopt;
        }
        power = *unit;
    }
    std::uint64_t const scale = std::uint64_t{1} << (10 * power);
    if (whole > kMaxSize / scale) {
        return std::nullopt;
    }
    // floor(fraction * scale / denominator) by binary long division, one bit of `scale` at a
    // time: the remainder stays below the denominator (<= 10^18), so nothing overflows.
    std::uint64_t scaled_fraction = 0;
    std::uint64_t remainder = fraction;
    for (unsigned bit = 0; bit < 10 * power; ++bit) {
        remainder *= 2;
        scaled_fraction *= 2;
        if (remainder >= denominator) {
            remainder -= denominator;
            ++scaled_fraction;
        }
    }
    std::uint64_t const total = whole * scale;
    if (scaled_fraction > kMaxSize - total) {
        return std::nullopt;
    }
    return total + scaled_fraction;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    constexpr std::size_t kIntMax = std::numeric_limits<int>::max();
    constexpr std::array<std::pair<char, std::size_t>, 4> kUnits = {
        {{'s', 1}, {'m', 60}, {'h', 60 * 60}, {'d', 24 * 60 * 60}}};
    if (text.size() < 2) {
        return std::nullopt;
    }
    for (auto const& [unit, factor] : kUnits) {
        if (text.back() != unit) {
            continue;
        }
        auto const n = parse_number(text.substr(0, text.size() - 1), 1, kIntMax / factor);
        if (!n) {
            return std::nullopt;
        }
        return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(*n * factor));
    }
    return std::nullopt;
}

} // namespace smtpd::conf
