// The numbers of smtpd.conf: decimal counts, ports (numbers or the mail service names), sizes
// with OpenSMTPD's scaled units (scan_scaled(3): 35M, 1.5G, 512K, 1000) and durations (4d, 30m).
// Pure functions; never throw. Depends on: the standard library only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace smtpd::conf {

/// A decimal number in [low, high]: digits only, no sign, no blanks.
[[nodiscard]] std::optional<std::size_t> parse_number(std::string_view text, std::size_t low,
                                                      std::size_t high);

/// A port: a number from 1 to 65535, or "smtp", "smtps" or "submission".
[[nodiscard]] std::optional<std::uint16_t> parse_port(std::string_view text);

/// A size in bytes as scan_scaled(3) reads it: digits, an optional fraction, and an optional unit
/// B, K, M, G, T, P or E (either case; powers of 1024), e.g. "35M" or "1.5K" (1536). Unlike
/// scan_scaled it refuses a sign, blanks, an empty number and anything after the unit; and a
/// value above INT64_MAX.
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);

/// A duration as parse.y's delaytonum() reads it: a number from 1 followed by one unit, s, m, h
/// or d ("4d", "90m"), at most INT_MAX seconds in all.
[[nodiscard]] std::optional<std::chrono::seconds> parse_duration(std::string_view text);

} // namespace smtpd::conf
