// The semantic checks of smtpd.conf (see conf_build.hpp). Error messages name the offending
// value in double quotes and, for duplicates, where the first definition is.
// Depends on: conf_build.hpp, numbers.hpp and the standard library.
#include "conf_build.hpp"

#include "numbers.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace smtpd::conf {

namespace {

constexpr std::size_t kShownLength = 60;

bool is_macro_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '_';
    });
}

} // namespace

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::string quote_for_message(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size() && i < kShownLength; ++i) {
        auto const c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            std::array<char, 8> buf{};
            std::snprintf(buf.data(), buf.size(), "\\x%02X", static_cast<unsigned>(c));
            out += buf.data();
        } else {
            out += static_cast<char>(c);
        }
    }
    if (text.size() > kShownLength) {
        out += "...";
    }
    return out + "\"";
}

ConfigBuilder::ConfigBuilder(std::string_view file,
                             std::map<std::string, std::string> const& defines)
    : file_(file), defines_(defines.begin(), defines.end()) {
    config_.macros = defines;
}

Location ConfigBuilder::where(Token const& t) const {
    return Location{file_, t.line, t.column};
}

void ConfigBuilder::error(Token const& at, std::string message) {
    errors_.push_back(ConfError{where(at), std::move(message)});
}

void ConfigBuilder::give_up() {
    Location const last = errors_.empty() ? Location{file_, 1, 1} : errors_.back().where;
    errors_.push_back(ConfError{last, "too many errors, giving up"});
    gave_up_ = true;
}

std::optional<std::string> ConfigBuilder::macro(std::string_view name) const {
    auto const it = config_.macros.find(std::string(name));
    if (it == config_.macros.end()) {
        return std::nullopt;
    }
    return it->second;
}

void ConfigBuilder::apply(rules::Statement const& statement, Token const& first) {
    first_ = &first;
    boost::apply_visitor(*this, statement.get());
    first_ = nullptr;
}

ConfResult ConfigBuilder::finish() && {
    if (!gave_up_) {
        check_pkis_complete();
    }
    ConfResult result;
    if (errors_.empty()) {
        result.config = std::move(config_);
    }
    result.errors = std::move(errors_);
    return result;
}

// varset. A -D definition wins over the file's (parse.y symset() with persist).
void ConfigBuilder::operator()(rules::MacroDef const& s) {
    if (!is_macro_name(s.name.text)) {
        error(s.name, "invalid macro name " + quote_for_message(s.name.text) +
                          ": only letters, digits and \"_\" are allowed");
        return;
    }
    if (rules::is_keyword(s.name.text)) {
        error(s.name, "macro name " + quote_for_message(s.name.text) + " is a keyword");
        return;
    }
    if (defines_.find(s.name.text) == defines_.end()) {
        config_.macros[s.name.text] = s.value.text;
    }
}

bool ConfigBuilder::table_exists(Token const& name) {
    bool const found = std::any_of(config_.tables.begin(), config_.tables.end(),
                                   [&](Table const& t) { return t.name == name.text; });
    if (!found) {
        error(name, "undefined table " + quote_for_message(name.text) +
                        " (tables must be declared before use)");
    }
    return found;
}

// parse.y (7.x): "/path" is a file; "backend:config" names a backend, whose config must be
// absolute; a bare word names a backend without config (getpwnam). table.c: "file" is the static
// backend; db, getpwnam and proc are the others.
bool ConfigBuilder::table_source(Table& table, Token const& source) {
    std::string_view const text = source.text;
    if (!text.empty() && text.front() == '/') {
        table.source = Table::Source::File;
        table.path = text;
        return true;
    }
    auto const colon = text.find(':');
    std::string_view const backend = text.substr(0, colon);
    std::optional<Table::Source> kind;
    if (backend == "file") {
        kind = Table::Source::File;
    } else if (backend == "db") {
        kind = Table::Source::Db;
    } else if (backend == "getpwnam") {
        kind = Table::Source::Getpwnam;
    } else if (backend == "proc") {
        kind = Table::Source::Proc;
    }
    if (!kind) {
        error(source, "unsupported table backend " + quote_for_message(backend) +
                          R"(: expected "file", "db", "getpwnam" or "proc")");
        return false;
    }
    table.source = *kind;
    if (colon == std::string_view::npos) {
        if (*kind == Table::Source::Getpwnam) {
            return true;
        }
        error(source, "invalid table source " + quote_for_message(text) + ": the " +
                          std::string(backend) + " backend needs an absolute path after \"" +
                          std::string(backend) + ":\"");
        return false;
    }
    if (colon + 1 >= text.size() || text[colon + 1] != '/') {
        error(source,
              "invalid table source " + quote_for_message(text) +
                  (*kind == Table::Source::Proc ? ": the table process must be an absolute path"
                                                : ": the file path must be absolute"));
        return false;
    }
    if (*kind == Table::Source::Getpwnam) {
        error(source, "invalid table source " + quote_for_message(text) +
                          ": the getpwnam backend takes no parameter");
        return false;
    }
    table.path = text.substr(colon + 1);
    return true;
}

void ConfigBuilder::operator()(rules::TableStmt const& s) {
    auto const previous = std::find_if(config_.tables.begin(), config_.tables.end(),
                                       [&](Table const& t) { return t.name == s.name.text; });
    if (previous != config_.tables.end()) {
        error(s.name, "table " + quote_for_message(s.name.text) + " is already defined at line " +
                          std::to_string(previous->where.line));
        return;
    }
    if (s.name.text.empty()) {
        error(s.name, "empty table name");
        return;
    }
    Table table;
    table.name = s.name.text;
    table.where = where(*first_);
    auto const& body = s.body.get();
    if (auto const* source = boost::get<Token>(&body)) {
        if (!table_source(table, *source)) {
            return;
        }
    } else if (auto const* list = boost::get<std::vector<Token>>(&body)) {
        for (auto const& t : *list) {
            table.list.push_back(t.text);
        }
    } else if (auto const* map = boost::get<std::vector<rules::KeyValue>>(&body)) {
        for (auto const& kv : *map) {
            table.map.emplace_back(kv.key.text, kv.value.text);
        }
    }
    config_.tables.push_back(std::move(table));
}

} // namespace smtpd::conf
