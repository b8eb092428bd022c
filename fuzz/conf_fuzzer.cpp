// libFuzzer target for the smtpd.conf parsers: the same bytes go to parse_config (with a fixed
// include file), parse_table_file and expand_format/check_format. Property: nothing crashes, a
// result is either a value or errors (never both, never neither), and every error carries line >= 1
// and column >= 1; a format that check_format rejects is rejected by expand_format too. abort()
// otherwise. Depends on: grammar/conf (conf.hpp, table_file.hpp, format.hpp).
#include "conf/conf.hpp"
#include "conf/format.hpp"
#include "conf/table_file.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace {

std::optional<std::string> fixed_lookup(std::string_view name) {
    if (name == "user.directory") {
        return "/home/bob";
    }
    if (name.find("domain") != std::string_view::npos) {
        return "example.org";
    }
    return "bob+tag";
}

// include "a" reads a small file with a macro, a statement and an unterminated brace; any other
// name cannot be read (the fuzzer never touches the file system).
smtpd::conf::FileText fixed_file(std::string const& path) {
    if (path == "a") {
        return {"x = \"1\"\nlisten on lo port $x\ntable t {", {}};
    }
    return {std::nullopt, "cannot open file: No such file or directory"};
}

void check_config(std::string_view text) {
    auto const r =
        smtpd::conf::parse_config(text, "fuzz.conf", {{"d", "lo port 25 {"}}, fixed_file);
    if (r.ok() == !r.errors.empty()) {
        std::abort();
    }
    for (auto const& e : r.errors) {
        if (e.where.line < 1 || e.where.column < 1) {
            std::abort();
        }
    }
}

void check_table(std::string_view text) {
    auto const t = smtpd::conf::parse_table_file(text, "fuzz.table");
    if (t.table.has_value() == t.error.has_value()) {
        std::abort();
    }
    if (t.error && (t.error->where.line < 1 || t.error->where.column < 1)) {
        std::abort();
    }
}

void check_format(std::string_view text) {
    auto const expanded = smtpd::conf::expand_format(text, fixed_lookup);
    auto const syntax = smtpd::conf::check_format(text);
    if (syntax && !std::holds_alternative<smtpd::conf::FormatError>(expanded)) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    check_config(text);
    check_table(text);
    check_format(text);
    return 0;
}
