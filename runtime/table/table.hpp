// Tables (table(5), smtpd-tables(7)): one interface over every backend, so that the lookup role
// asks "what is `key` for service S" without knowing where the answer lives. Backends: inline
// and `file:` (static_table.cpp), `db:` (Berkeley DB hash files as makemap(8) writes them,
// db_table.cpp), `getpwnam` (userinfo only) and `proc:` (a table process, proc_table.cpp).
// Keys compare through service_match (service.hpp), never by hand. A Table is used by one thread.
// Depends on: common/result.hpp, grammar's conf/ast.hpp, service.hpp.
#pragma once

#include "common/result.hpp"
#include "conf/ast.hpp"
#include "table/service.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::rt::table {

/// A table entry: a key and, in a mapping, its value (none in a list).
struct Entry {
    std::string key;
    std::optional<std::string> value;
    friend bool operator==(Entry const&, Entry const&) = default;
};

class Table {
  public:
    explicit Table(std::string name) : name_(std::move(name)) {}
    Table(Table const&) = delete;
    Table& operator=(Table const&) = delete;
    Table(Table&&) = delete;
    Table& operator=(Table&&) = delete;
    virtual ~Table() = default;

    [[nodiscard]] std::string const& name() const { return name_; }
    /// The backend's name as smtpd.conf writes it: "static", "file", "db", "getpwnam", "proc".
    [[nodiscard]] virtual std::string_view backend() const = 0;

    /// The value of the first entry whose key matches `key` for `service` (a list entry's value
    /// is ""); nullopt when none does. A failure is temporary (the table could not be read).
    [[nodiscard]] virtual Result<std::optional<std::string>> lookup(Service service,
                                                                    std::string_view key) = 0;
    /// Whether an entry matches `key` for `service` (a list's membership test).
    [[nodiscard]] virtual Result<bool> match(Service service, std::string_view key);
    /// The next key in turn (OpenSMTPD's table_fetch: round robin over the entries); nullopt
    /// when the table is empty. Backends that cannot enumerate fail with ENOTSUP.
    [[nodiscard]] virtual Result<std::optional<std::string>> fetch(Service service);
    /// Every entry, in the backend's order; ENOTSUP where the backend cannot enumerate.
    [[nodiscard]] virtual Result<std::vector<Entry>> entries() const;
    /// Reads the table's source again (`smtpctl update table`); the old contents stay on failure.
    [[nodiscard]] virtual Result<void> reload();

  private:
    std::string name_;
};

/// Whether a backend can serve a service (OpenSMTPD's table_backend.services): getpwnam only
/// userinfo; static, file and db every service but auth; proc every service.
[[nodiscard]] bool backend_serves(conf::Table::Source source, Service service);

/// The backend's name for messages ("file", "db", ...).
[[nodiscard]] std::string_view backend_name(conf::Table::Source source);

/// Opens the table the configuration declares (reads its file or database, starts no process
/// for proc: tables; see proc_table.hpp). Errors name the file and, for syntax, file:line:col.
[[nodiscard]] Result<std::unique_ptr<Table>> open_table(conf::Table const& declared);

/// A table of the given entries (inline tables, tests).
[[nodiscard]] std::unique_ptr<Table> make_static_table(std::string name,
                                                       std::vector<Entry> entries);

} // namespace smtpd::rt::table
