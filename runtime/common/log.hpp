// Logging in OpenSMTPD's style: one line per event ("smtp connected ...", "delivery ..."), to
// stderr when running in the foreground (-d), to syslog otherwise; debug lines only with -v;
// trace lines (-T <subsystem>, as OpenSMTPD's) only for the subsystems turned on.
// Depends on: fmt.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace smtpd::rt {

enum class LogLevel : unsigned char { Debug, Info, Warn, Error };

/// Chooses where logs go and whether debug lines are kept. Call once at start.
void log_init(bool to_stderr, bool verbose, std::string_view ident);

void log_line(LogLevel level, std::string_view message);
/// Opens the syslog connection again (a forked child that closed its inherited descriptors).
void log_reopen();
[[nodiscard]] bool log_verbose();

/// The subsystems of smtpd -T, a bit each.
enum class Trace : std::uint16_t {
    Imsg = 1U << 0U,      ///< every IPC message sent or received between roles
    Smtp = 1U << 1U,      ///< the SMTP dialogue: command lines in, replies out (AUTH masked)
    Scheduler = 1U << 2U, ///< the scheduler's decisions
    Lookup = 1U << 3U,    ///< recipient lookups and their results
    Rules = 1U << 4U,     ///< which match rule a recipient met
    Bounce = 1U << 5U,    ///< delivery status notices built
};

struct TraceName {
    std::string_view name;
    std::uint16_t bits; ///< 0: accepted for OpenSMTPD's command lines, traces nothing here
};

/// OpenSMTPD's -T names; "all" is every bit.
inline constexpr std::array<TraceName, 13> kTraceNames{{
    {"imsg", static_cast<std::uint16_t>(Trace::Imsg)},
    {"io", 0},
    {"smtp", static_cast<std::uint16_t>(Trace::Smtp)},
    {"filters", 0},
    {"transfer", 0},
    {"bounce", static_cast<std::uint16_t>(Trace::Bounce)},
    {"scheduler", static_cast<std::uint16_t>(Trace::Scheduler)},
    {"expand", static_cast<std::uint16_t>(Trace::Lookup)},
    {"lookup", static_cast<std::uint16_t>(Trace::Lookup)},
    {"stat", 0},
    {"rules", static_cast<std::uint16_t>(Trace::Rules)},
    {"mproc", static_cast<std::uint16_t>(Trace::Imsg)},
    {"all", 0xFFFF},
}};

/// The bits of a -T name; none for a name OpenSMTPD does not have.
[[nodiscard]] std::optional<std::uint16_t> trace_bits(std::string_view name);
/// Turns on the traces of `bits` (from trace_bits). Call once at start, after log_init.
void log_set_traces(std::uint16_t bits);
[[nodiscard]] bool tracing(Trace subsystem);

template <class... Args>
void log_trace(Trace subsystem, fmt::format_string<Args...> f, Args&&... args) {
    if (tracing(subsystem)) {
        log_line(LogLevel::Debug, fmt::format(f, std::forward<Args>(args)...));
    }
}

template <class... Args> void log_debug(fmt::format_string<Args...> f, Args&&... args) {
    if (log_verbose()) {
        log_line(LogLevel::Debug, fmt::format(f, std::forward<Args>(args)...));
    }
}
template <class... Args> void log_info(fmt::format_string<Args...> f, Args&&... args) {
    log_line(LogLevel::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args> void log_warn(fmt::format_string<Args...> f, Args&&... args) {
    log_line(LogLevel::Warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args> void log_error(fmt::format_string<Args...> f, Args&&... args) {
    log_line(LogLevel::Error, fmt::format(f, std::forward<Args>(args)...));
}

} // namespace smtpd::rt
