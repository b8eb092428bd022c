// Parsing table files in OpenSMTPD's table(5) "file:" format: one entry per line, either
// "key value" (a mapping; the value runs to the end of the line) or "key" alone (a list); '#'
// starts a comment; blank lines are ignored; "# @list" first makes each line a list entry. A file
// is either all list or all mapping.
// Depends on: conf.hpp (ConfError) and the standard library.
#pragma once

#include "ast.hpp"
#include "conf.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::conf {

/// The contents of one table file.
struct TableData {
    std::vector<std::string> list;
    std::vector<std::pair<std::string, std::string>> map;
};

/// A table, or the first error in it (file:line:column).
struct TableResult {
    std::optional<TableData> table;
    std::optional<ConfError> error;
};

/// Whether a table backend can serve a service of smtpd-tables(7) ("alias", "userinfo", ...), as
/// OpenSMTPD's table backends declare: getpwnam only userinfo; static, file and db every service
/// but auth; proc every service (the process registers its own when it starts).
[[nodiscard]] bool backend_serves(Table::Source source, std::string_view service);

/// The backend's name as smtpd.conf writes it: "static", "file", "db", "getpwnam", "proc".
[[nodiscard]] std::string_view backend_name(Table::Source source);

/// Parses table text; `file` names it in errors.
[[nodiscard]] TableResult parse_table_file(std::string_view text, std::string_view file);

} // namespace smtpd::conf
