// open_table, backend_serves and the defaults of Table (table.hpp).
// Depends on: table.hpp, backends.hpp, grammar's conf/table_file.hpp (backend_serves).
#include "table/table.hpp"

#include "conf/table_file.hpp"
#include "table/backends.hpp"
#include "table/proc_table.hpp"

namespace smtpd::rt::table {

namespace {

Failure unsupported(Table const& table, std::string_view what) {
    return failure(std::make_error_code(std::errc::not_supported),
                   "table <" + table.name() + ">: the " + std::string(table.backend()) +
                       " backend cannot " + std::string(what));
}

} // namespace

Result<bool> Table::match(Service service, std::string_view key) {
    auto found = lookup(service, key);
    if (!found) {
        return found.error();
    }
    return found.value().has_value();
}

Result<std::optional<std::string>> Table::fetch(Service /*service*/) {
    return unsupported(*this, "fetch entries");
}

Result<std::vector<Entry>> Table::entries() const {
    return unsupported(*this, "list its entries");
}

Result<void> Table::reload() {
    return success();
}

bool backend_serves(conf::Table::Source source, Service service) {
    return conf::backend_serves(source, service_name(service));
}

std::string_view backend_name(conf::Table::Source source) {
    return conf::backend_name(source);
}

Result<std::unique_ptr<Table>> open_table(conf::Table const& declared) {
    switch (declared.source) {
    case conf::Table::Source::Inline: {
        std::vector<Entry> entries;
        entries.reserve(declared.list.size() + declared.map.size());
        for (auto const& key : declared.list) {
            entries.push_back(Entry{key, std::nullopt});
        }
        for (auto const& [key, value] : declared.map) {
            entries.push_back(Entry{key, value});
        }
        return make_static_table(declared.name, std::move(entries));
    }
    case conf::Table::Source::File:
        return open_file_table(declared.name, declared.path);
    case conf::Table::Source::Db:
        return open_db_table(declared.name, declared.path);
    case conf::Table::Source::Getpwnam:
        return make_getpwnam_table(declared.name);
    case conf::Table::Source::Proc:
        return open_proc_table(declared.name, declared.path);
    }
    return failure(std::make_error_code(std::errc::invalid_argument), "unknown table backend");
}

} // namespace smtpd::rt::table
