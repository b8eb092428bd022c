// run_makemap (makemap.hpp), after OpenSMTPD's makemap.c: options -t aliases|set, -o out, -d
// hash (btree is refused: db: tables open hash files only), -U (dump), -b i (newaliases), -C and
// -O AliasFile= for sendmail compatibility; newaliases takes -f config. Keys are lowercased and
// stored with their NUL, values with theirs; a set's value is "<set>"; a duplicate key or an
// alias line with an empty recipient is an error naming file:line.
// Depends on: makemap.hpp, db_file.hpp, grammar's conf/conf.hpp and conf/table_file.hpp.
#include "table/makemap.hpp"

#include "common/fs.hpp"
#include "conf/conf.hpp"
#include "conf/table_file.hpp"
#include "table/db_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace smtpd::rt::table {

namespace {

enum class MapType : unsigned char { Plain, Aliases, Set };

constexpr char const* kAliases = "/etc/mail/aliases";
constexpr char const* kConfig = "/etc/smtpd.conf";

struct MapOptions {
    MapProgram program = MapProgram::Makemap;
    MapType type = MapType::Plain;
    std::optional<std::string> out;
    std::optional<std::string> source;
    std::string config = kConfig;
    bool dump = false;
};

int usage(MapProgram program) {
    std::fputs(program == MapProgram::Newaliases
                   ? "usage: newaliases [-f file]\n"
                   : "usage: makemap [-U] [-d dbtype] [-o dbfile] [-t type] file\n",
               stderr);
    return 1;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// makemap.c make_aliases: every comma-separated recipient must be non-empty.
bool valid_aliases(std::string_view value) {
    for (;;) {
        auto const comma = value.find(',');
        if (trim(value.substr(0, comma)).empty()) {
            return false;
        }
        if (comma == std::string_view::npos) {
            return true;
        }
        value.remove_prefix(comma + 1);
    }
}

// The line of the `nth` entry whose key is `key` (for messages): the parser keeps no line
// numbers per entry.
std::size_t line_of(std::string_view text, std::string_view key, int nth = 1) {
    std::size_t line = 1;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto const end = std::min(text.find('\n', pos), text.size());
        auto const entry = trim(text.substr(pos, end - pos));
        bool const keyed =
            lowercase(entry.substr(0, key.size())) == key &&
            (entry.size() == key.size() || std::strchr(" \t:", entry[key.size()]) != nullptr);
        if (keyed && --nth == 0) {
            return line;
        }
        pos = end + 1;
        ++line;
    }
    return line;
}

Result<std::vector<std::pair<std::string, std::string>>>
records_of(MapOptions const& o, std::string const& text, std::string const& source) {
    auto fail = [&](std::string message) {
        return failure(std::make_error_code(std::errc::invalid_argument), std::move(message));
    };
    bool const set = o.type == MapType::Set;
    auto parsed = conf::parse_table_file(set ? "# @list\n" + text : text, source);
    if (!parsed.table) {
        auto error = parsed.error.value_or(conf::ConfError{{source, 1, 1}, "invalid table"});
        error.where.line -= set ? 1 : 0;
        return fail(error.to_string());
    }
    std::vector<std::pair<std::string, std::string>> records;
    if (set) {
        for (auto const& key : parsed.table->list) {
            records.emplace_back(lowercase(key), "<set>");
        }
    } else {
        if (!parsed.table->list.empty()) {
            auto const& key = parsed.table->list.front();
            return fail(fmt::format("{}:{}: invalid entry", source, line_of(text, lowercase(key))));
        }
        for (auto const& [key, value] : parsed.table->map) {
            if (o.type == MapType::Aliases && !valid_aliases(value)) {
                return fail(
                    fmt::format("{}:{}: invalid entry", source, line_of(text, lowercase(key))));
            }
            records.emplace_back(lowercase(key), value);
        }
    }
    std::set<std::string, std::less<>> seen;
    for (auto const& [key, value] : records) {
        if (!seen.insert(key).second) {
            return fail(
                fmt::format("{}:{}: duplicate entry for {}", source, line_of(text, key, 2), key));
        }
    }
    return records;
}

int dump(std::string const& path) {
    auto db = DbFile::open(path);
    if (!db) {
        std::fprintf(stderr, "makemap: dbopen: %s\n", db.error().what().c_str());
        return 1;
    }
    auto records = db.value().records();
    if (!records) {
        std::fprintf(stderr, "makemap: %s\n", records.error().what().c_str());
        return 1;
    }
    for (auto const& [key, value] : records.value()) {
        std::printf("%s\t%s\n", key.c_str(), value.c_str());
    }
    return 0;
}

// makemap.c conf_aliases: the `aliases` table's path without ".db", or /etc/mail/aliases.
std::optional<std::string> aliases_source(std::string const& config_path) {
    auto text = read_file(config_path);
    if (!text) {
        std::fprintf(stderr, "newaliases: %s: %s\n", config_path.c_str(),
                     text.error().what().c_str());
        return std::nullopt;
    }
    auto parsed = conf::parse_config(text.value(), config_path);
    if (!parsed.ok()) {
        for (auto const& e : parsed.errors) {
            std::fprintf(stderr, "%s\n", e.to_string().c_str());
        }
        return std::nullopt;
    }
    if (!parsed.config) {
        return std::nullopt;
    }
    for (auto const& t : parsed.config->tables) {
        if (t.name == "aliases" && !t.path.empty()) {
            std::string path = t.path;
            if (path.size() > 3 && path.ends_with(".db")) {
                path.resize(path.size() - 3);
            }
            return path;
        }
    }
    return std::string(kAliases);
}

int build(MapOptions const& o, std::string const& source) {
    std::string const out = o.out.value_or(source + ".db");
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) {
        std::fprintf(stderr, "makemap: stat: %s: %s\n", source.c_str(), std::strerror(errno));
        return 1;
    }
    auto text = read_file(source);
    if (!text) {
        std::fprintf(stderr, "makemap: %s: %s\n", source.c_str(), text.error().what().c_str());
        return 1;
    }
    auto records = records_of(o, text.value(), source);
    if (!records) {
        std::fprintf(stderr, "makemap: %s\n", records.error().what().c_str());
        return 1;
    }
    std::string const temporary = out + ".tmp" + std::to_string(::getpid());
    auto written = write_db_file(temporary, records.value());
    // makemap.c: the database carries the source's mode and owner.
    if (written && (::chmod(temporary.c_str(), st.st_mode & 07777) != 0 ||
                    ::chown(temporary.c_str(), st.st_uid, st.st_gid) != 0)) {
        written = failure(last_error(), temporary + ": " + last_error().message());
    }
    if (written && ::rename(temporary.c_str(), out.c_str()) != 0) {
        written = failure(last_error(), out + ": rename: " + last_error().message());
    }
    if (!written) {
        ::unlink(temporary.c_str());
        std::fprintf(stderr, "makemap: %s\n", written.error().what().c_str());
        return 1;
    }
    if (o.program == MapProgram::Newaliases) {
        std::printf("%s: %zu aliases\n", source.c_str(), records.value().size());
    } else if (records.value().empty()) {
        std::fprintf(stderr, "makemap: warning: empty map created: %s\n", out.c_str());
    }
    return 0;
}

} // namespace

bool invoked_as(char const* argv0, char const* name) {
    std::string_view const path(argv0 == nullptr ? "" : argv0);
    auto const slash = path.rfind('/');
    return path.substr(slash == std::string_view::npos ? 0 : slash + 1) == name;
}

int run_makemap(MapProgram program, int argc, char** argv) {
    MapOptions o;
    o.program = program;
    char const* opts = program == MapProgram::Newaliases ? "f:h" : "b:C:d:ho:O:t:U";
    optind = 1;
    int ch = 0;
    while ((ch = ::getopt(argc, argv, opts)) != -1) {
        std::string_view const arg = optarg == nullptr ? "" : optarg;
        switch (ch) {
        case 'b':
            if (arg == "i") {
                o.program = MapProgram::Newaliases;
            }
            break;
        case 'C':
            break; // sendmail compatibility
        case 'd':
            if (arg != "hash") {
                std::fprintf(stderr, "makemap: unsupported DB type '%s'\n", optarg);
                return 1;
            }
            break;
        case 'f':
            o.config = arg;
            break;
        case 'o':
            o.out = arg;
            break;
        case 'O':
            if (arg.starts_with("AliasFile=")) {
                o.type = MapType::Aliases;
                o.source = arg.substr(std::strlen("AliasFile="));
            }
            break;
        case 't':
            if (arg == "aliases") {
                o.type = MapType::Aliases;
            } else if (arg == "set") {
                o.type = MapType::Set;
            } else {
                std::fprintf(stderr, "makemap: unsupported type '%s'\n", optarg);
                return 1;
            }
            break;
        case 'U':
            o.dump = true;
            break;
        default:
            return usage(o.program);
        }
    }
    std::vector<std::string> const args(argv + optind, argv + argc);
    if (o.program == MapProgram::Newaliases) {
        if (::geteuid() != 0) {
            std::fputs("newaliases: need root privileges\n", stderr);
            return 1;
        }
        if (!args.empty()) {
            return usage(o.program);
        }
        o.type = MapType::Aliases;
        if (!o.source) {
            o.source = aliases_source(o.config);
            if (!o.source) {
                return 1;
            }
        }
    } else {
        if (args.size() != 1) {
            return usage(o.program);
        }
        o.source = args.front();
    }
    return o.dump ? dump(*o.source) : build(o, *o.source);
}

} // namespace smtpd::rt::table
