// The table protocol's lines (proc_protocol.hpp), after table_proc.c: a reply must name the
// request's type and id; "found|" must carry a non-empty value for lookup and fetch; anything
// else is Garbled, which the caller turns into a temporary failure (OpenSMTPD exits instead).
// Depends on: proc_protocol.hpp.
#include "table/proc_protocol.hpp"

#include <fmt/format.h>

namespace smtpd::rt::table::proc {

std::string handshake(std::string_view smtpd_version, std::string_view table) {
    return fmt::format("config|smtpd-version|{}\nconfig|protocol|{}\nconfig|tablename|{}\n"
                       "config|ready\n",
                       smtpd_version, kVersion, table);
}

RegisterLine parse_register(std::string_view line) {
    constexpr std::string_view kPrefix = "register|";
    if (!line.starts_with(kPrefix)) {
        return Garbled{"not a register line"};
    }
    line.remove_prefix(kPrefix.size());
    if (line == "ready") {
        return Ready{};
    }
    auto const service = service_from_name(line);
    if (!service) {
        return Garbled{"unknown service"};
    }
    return Registered{*service};
}

std::string request(std::string_view table, std::string_view type, std::optional<Service> service,
                    std::string_view id, std::optional<std::string_view> key, long long seconds,
                    long microseconds) {
    std::string line =
        fmt::format("table|{}|{}.{:06}|{}|{}", kVersion, seconds, microseconds, table, type);
    if (service) {
        line += fmt::format("|{}|{}", service_name(*service), id);
        if (key) {
            line += fmt::format("|{}", *key);
        }
    } else {
        line += fmt::format("|{}", id);
    }
    return line;
}

Answer parse_answer(std::string_view line, std::string_view type, std::string_view id) {
    std::string const head = fmt::format("{}-result|{}|", type, id);
    if (!line.starts_with(head)) {
        return Garbled{"a reply to another request"};
    }
    line.remove_prefix(head.size());
    if (line == "not-found") {
        return NotFound{};
    }
    if (line == "error") {
        return Failed{""};
    }
    if (line.starts_with("error|")) {
        return Failed{std::string(line.substr(6))};
    }
    if (type == "update") {
        return line == "ok" ? Answer{Updated{}} : Answer{Garbled{"bad update result"}};
    }
    if (type == "check") {
        return line.starts_with("found") ? Answer{Found{}} : Answer{Garbled{"bad check result"}};
    }
    if (!line.starts_with("found|") || line.size() == 6) {
        return Garbled{"bad result"};
    }
    return Found{std::string(line.substr(6))};
}

} // namespace smtpd::rt::table::proc
