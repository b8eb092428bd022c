// The table protocol 0.1 of OpenSMTPD 7.5+ (smtpd-tables(7), table_proc.c), as pure functions
// over lines: the handshake smtpd sends, the `register|<service>` / `register|ready` lines the
// table process answers, the request lines (`table|0.1|<time>|<table>|lookup|<service>|<id>|
// <key>`, check, fetch, update) and the `<type>-result|<id>|...` answers. No I/O.
// Depends on: service.hpp, the standard library.
#pragma once

#include "table/service.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace smtpd::rt::table::proc {

inline constexpr std::string_view kVersion = "0.1";

/// The lines smtpd sends first: smtpd-version, protocol, tablename, ready.
[[nodiscard]] std::string handshake(std::string_view smtpd_version, std::string_view table);

/// One handshake answer: a service registered, the end of registration, or a bad line.
struct Registered {
    Service service;
};
struct Ready {};
struct Garbled {
    std::string why;
};
using RegisterLine = std::variant<Registered, Ready, Garbled>;
[[nodiscard]] RegisterLine parse_register(std::string_view line);

/// A request line (without its newline); `service` and `key` are absent for update.
[[nodiscard]] std::string request(std::string_view table, std::string_view type,
                                  std::optional<Service> service, std::string_view id,
                                  std::optional<std::string_view> key, long long seconds,
                                  long microseconds);

/// One answer to a request of `type` with `id`.
struct Found {
    std::string value; ///< empty for check
};
struct NotFound {};
struct Failed {
    std::string why;
};
struct Updated {};
using Answer = std::variant<Found, NotFound, Failed, Updated, Garbled>;
/// Parses "<type>-result|<id>|found|v", "...|not-found", "...|error[|why]", "...|ok" (update).
[[nodiscard]] Answer parse_answer(std::string_view line, std::string_view type,
                                  std::string_view id);

} // namespace smtpd::rt::table::proc
