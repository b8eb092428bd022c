// Loading the credentials tables the listeners name: file and inline tables through
// auth::Credentials, db: tables through their entries (runtime/table).
#include "lookup/auth_tables.hpp"

#include "table/table.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace smtpd::rt {

namespace {

std::string where(conf::Location const& l) {
    return fmt::format("{}:{}:{}", l.file, l.line, l.column);
}

// A db: (or other enumerable) table's entries as user -> hash pairs.
Result<auth::Credentials> from_backend(conf::Table const& declared) {
    auto opened = table::open_table(declared);
    if (!opened) {
        return opened.error();
    }
    auto entries = opened.value()->entries();
    if (!entries) {
        return entries.error();
    }
    std::vector<std::pair<std::string, std::string>> pairs;
    for (auto& entry : entries.value()) {
        pairs.emplace_back(std::move(entry.key), entry.value.value_or(std::string()));
    }
    return auth::Credentials::from_entries(pairs, "table <" + declared.name + ">");
}

Result<std::shared_ptr<auth::Credentials const>> credentials(conf::Config const& config,
                                                             conf::Listen const& listen) {
    if (listen.auth == conf::Listen::AuthMode::None || !listen.auth_table) {
        return std::shared_ptr<auth::Credentials const>();
    }
    auto const table =
        std::find_if(config.tables.begin(), config.tables.end(),
                     [&](conf::Table const& t) { return t.name == *listen.auth_table; });
    if (table == config.tables.end()) { // the configuration check makes this impossible
        return failure(std::make_error_code(std::errc::invalid_argument),
                       fmt::format("{}: no table <{}>", where(listen.where), *listen.auth_table));
    }
    auto loaded = table->source == conf::Table::Source::File ? auth::Credentials::load(table->path)
                  : table->source == conf::Table::Source::Inline
                      ? auth::Credentials::from_entries(table->map, "table <" + table->name + ">")
                      : from_backend(*table);
    if (!loaded.has_value()) {
        return failure(loaded.error().code,
                       fmt::format("{}: {}", where(table->where), loaded.error().what()));
    }
    return std::make_shared<auth::Credentials const>(std::move(loaded).value());
}

} // namespace

Result<ListenerCredentials> load_listener_credentials(conf::Config const& config) {
    ListenerCredentials all;
    for (auto const& listen : config.listeners) {
        auto one = credentials(config, listen);
        if (!one) {
            return one.error();
        }
        all.push_back(std::move(one).value());
    }
    return all;
}

} // namespace smtpd::rt
