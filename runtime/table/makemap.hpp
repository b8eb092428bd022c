// makemap(8) and newaliases(8) as OpenSMTPD's smtpctl runs them: build a Berkeley DB hash file
// (db_file.hpp) from a table(5) file, or dump one (-U). newaliases rebuilds the database of the
// configuration's `aliases` table. Reads files only; writes the output through a temporary file
// renamed into place.
// Depends on: db_file.hpp, grammar's conf (table files, the configuration).
#pragma once

namespace smtpd::rt::table {

enum class MapProgram : unsigned char { Makemap, Newaliases };

/// Runs makemap or newaliases with its own command line (argv[0] is the program's name);
/// messages go to stdout and stderr; returns the exit status.
[[nodiscard]] int run_makemap(MapProgram program, int argc, char** argv);

/// True when argv[0] names makemap or newaliases (its last path component).
[[nodiscard]] bool invoked_as(char const* argv0, char const* name);

} // namespace smtpd::rt::table
