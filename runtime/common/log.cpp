// Log sinks: stderr with a timestamp-free line (as OpenSMTPD -d), or syslog(3) with LOG_MAIL.
#include "common/log.hpp"

#include <cstdio>
#include <string>
#include <syslog.h>

namespace smtpd::rt {

namespace {

struct LogState {
    bool to_stderr = true;
    bool verbose = false;
    std::string ident = "smtpd";
    std::uint16_t traces = 0;
};

LogState& state() {
    static LogState s;
    return s;
}

int syslog_priority(LogLevel level) {
    switch (level) {
    case LogLevel::Debug:
        return LOG_DEBUG;
    case LogLevel::Info:
        return LOG_INFO;
    case LogLevel::Warn:
        return LOG_WARNING;
    case LogLevel::Error:
        break;
    }
    return LOG_ERR;
}

} // namespace

void log_init(bool to_stderr, bool verbose, std::string_view ident) {
    state() = LogState{to_stderr, verbose, std::string(ident)};
    log_reopen();
}

void log_reopen() {
    if (!state().to_stderr) {
        closelog();
        openlog(state().ident.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
    }
}

bool log_verbose() {
    return state().verbose;
}

std::optional<std::uint16_t> trace_bits(std::string_view name) {
    for (auto const& t : kTraceNames) {
        if (t.name == name) {
            return t.bits;
        }
    }
    return std::nullopt;
}

void log_set_traces(std::uint16_t bits) {
    state().traces = bits;
}

bool tracing(Trace subsystem) {
    return (state().traces & static_cast<std::uint16_t>(subsystem)) != 0;
}

void log_line(LogLevel level, std::string_view message) {
    if (state().to_stderr) {
        std::string line(message);
        line += '\n';
        std::fputs(line.c_str(), stderr);
        return;
    }
    syslog(syslog_priority(level), "%.*s", static_cast<int>(message.size()), message.data());
}

} // namespace smtpd::rt
