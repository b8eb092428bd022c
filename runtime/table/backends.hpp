// The constructors of each backend, for open_table (table.cpp) and the tests; callers outside
// runtime/table use open_table. Depends on: table.hpp.
#pragma once

#include "table/table.hpp"

#include <memory>
#include <string>

namespace smtpd::rt::table {

/// A `file:` table: the table(5) file at `path` (static_table.cpp).
[[nodiscard]] Result<std::unique_ptr<Table>> open_file_table(std::string name,
                                                             std::string const& path);
/// A `db:` table: the Berkeley DB hash file at `path` (db_table.cpp).
[[nodiscard]] Result<std::unique_ptr<Table>> open_db_table(std::string name,
                                                           std::string const& path);
/// The `getpwnam` table: userinfo from the system's users (getpwnam_table.cpp).
[[nodiscard]] std::unique_ptr<Table> make_getpwnam_table(std::string name);

} // namespace smtpd::rt::table
