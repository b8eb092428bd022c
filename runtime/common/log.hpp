// Logging in OpenSMTPD's style: one line per event ("smtp connected ...", "delivery ..."), to
// stderr when running in the foreground (-d), to syslog otherwise; debug lines only with -v.
// Depends on: fmt.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace smtpd::rt {

enum class LogLevel : unsigned char { Debug, Info, Warn, Error };

/// Chooses where logs go and whether debug lines are kept. Call once at start.
void log_init(bool to_stderr, bool verbose, std::string_view ident);

void log_line(LogLevel level, std::string_view message);
[[nodiscard]] bool log_verbose();

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
