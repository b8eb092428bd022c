// Loading the credentials tables the listeners name.
#include "lookup/auth_tables.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace smtpd::rt {

namespace {

std::string where(conf::Location const& l) {
    return fmt::format("{}:{}:{}", l.file, l.line, l.column);
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
    auto loaded = table->source == conf::Table::Source::File
                      ? auth::Credentials::load(table->path)
                      : auth::Credentials::from_entries(table->map, "table <" + table->name + ">");
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
