// parse_table_file: OpenSMTPD's table(5) file format, after table_static.c. Per line: trailing
// blanks (and a CR) dropped; a line whose first non-blank byte is '#' is a comment ('#' later on
// the line is data), and "# @list" before the first entry makes every line one list entry; the
// key runs to the first space, tab or ':' (or to "]" when it starts with "["); the value starts
// after blanks and ": " separators and runs to the end of the line. The first entry fixes the
// kind: without a value, a list, whose every later line is one key whole (util.c
// parse_table_line: "2001:db8::/32" is no key-value pair there); with one, a mapping, where a
// line without a value is an error. Depends on: table_file.hpp and the standard library.
#include "table_file.hpp"

#include <string>

namespace smtpd::conf {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

enum class Kind : unsigned char { Unknown, List, Map };

// table(5): the comment "# @list" before the first entry makes the file a list.
bool is_list_marker(std::string_view comment) {
    while (!comment.empty() && is_blank(comment.front())) {
        comment.remove_prefix(1);
    }
    return comment == "@list";
}

} // namespace

TableResult parse_table_file(std::string_view text, std::string_view file) {
    TableResult result;
    TableData data;
    Kind kind = Kind::Unknown;
    unsigned first_line = 0;
    unsigned line = 1;
    auto fail = [&](std::size_t column, std::string message) {
        result.error = ConfError{Location{std::string(file), line, static_cast<unsigned>(column)},
                                 std::move(message)};
        return result;
    };
    for (std::size_t pos = 0; pos <= text.size(); ++line) {
        auto const newline = text.find('\n', pos);
        auto const end = newline == std::string_view::npos ? text.size() : newline;
        std::string_view entry = text.substr(pos, end - pos);
        pos = end + 1;
        if (auto const nul = entry.find('\0'); nul != std::string_view::npos) {
            return fail(nul + 1, "NUL byte in table file");
        }
        while (!entry.empty() && is_blank(entry.back())) {
            entry.remove_suffix(1);
        }
        std::size_t k = 0;
        while (k < entry.size() && is_blank(entry[k])) {
            ++k;
        }
        if (k == entry.size()) {
            continue;
        }
        if (entry[k] == '#') {
            if (kind == Kind::Unknown && is_list_marker(entry.substr(k + 1))) {
                kind = Kind::List;
                first_line = line;
            }
            continue;
        }
        if (kind == Kind::List) { // util.c parse_table_line: in a list the line is the key
            data.list.emplace_back(entry.substr(k));
            continue;
        }
        std::size_t key_end = 0;
        if (entry[k] == '[') { // "[::1]:25": the key runs to the closing bracket
            key_end = entry.find(']', k);
            if (key_end == std::string_view::npos) {
                return fail(k + 1, "missing \"]\" in key");
            }
            ++key_end;
        } else {
            key_end = entry.find_first_of(" \t:", k);
            key_end = key_end == std::string_view::npos ? entry.size() : key_end;
        }
        if (key_end == k) {
            return fail(k + 1, "empty key");
        }
        std::size_t v = key_end < entry.size() ? key_end + 1 : entry.size();
        while (v < entry.size() &&
               (is_blank(entry[v]) ||
                (entry[v] == ':' && v + 1 < entry.size() && is_blank(entry[v + 1])))) {
            ++v;
        }
        std::string key(entry.substr(k, key_end - k));
        Kind const this_kind = v < entry.size() ? Kind::Map : Kind::List;
        if (kind == Kind::Unknown) {
            kind = this_kind;
            first_line = line;
        } else if (kind != this_kind) {
            std::string message = this_kind == Kind::List ? "list entry \"" : "key-value entry \"";
            message.append(key).append(this_kind == Kind::List
                                           ? "\" in a table of key-value entries"
                                           : "\" in a list table");
            message.append(" (the first entry, at line ").append(std::to_string(first_line));
            message.append(this_kind == Kind::List ? ", has a value)" : ", has no value)");
            return fail(k + 1, std::move(message));
        }
        if (this_kind == Kind::Map) {
            data.map.emplace_back(std::move(key), std::string(entry.substr(v)));
        } else {
            data.list.push_back(std::move(key));
        }
    }
    result.table = std::move(data);
    return result;
}

bool backend_serves(Table::Source source, std::string_view service) {
    switch (source) {
    case Table::Source::Getpwnam:
        return service == "userinfo";
    case Table::Source::Proc:
        return true;
    case Table::Source::File:
    case Table::Source::Inline:
    case Table::Source::Db:
        return service != "auth";
    }
    return false;
}

std::string_view backend_name(Table::Source source) {
    switch (source) {
    case Table::Source::File:
        return "file";
    case Table::Source::Inline:
        return "static";
    case Table::Source::Db:
        return "db";
    case Table::Source::Getpwnam:
        return "getpwnam";
    case Table::Source::Proc:
        return "proc";
    }
    return "static";
}

} // namespace smtpd::conf
