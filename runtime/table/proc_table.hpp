// The `proc:` backend: a table process speaking the table protocol 0.1 of OpenSMTPD 7.5+
// (smtpd-tables(7)) on its stdin and stdout. Not implemented yet: opening one fails.
// Depends on: table.hpp.
#pragma once

#include "table/table.hpp"

#include <memory>
#include <string>

namespace smtpd::rt::table {

/// A table process running `command`.
[[nodiscard]] Result<std::unique_ptr<Table>> open_proc_table(std::string name,
                                                             std::string const& command);

} // namespace smtpd::rt::table
