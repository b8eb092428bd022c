// open_proc_table (proc_table.hpp): refused until the table protocol lands.
// Depends on: proc_table.hpp.
#include "table/proc_table.hpp"

namespace smtpd::rt::table {

Result<std::unique_ptr<Table>> open_proc_table(std::string /*name*/, std::string const& command) {
    return failure(std::make_error_code(std::errc::not_supported),
                   "proc tables (" + command + ") are not implemented yet");
}

} // namespace smtpd::rt::table
