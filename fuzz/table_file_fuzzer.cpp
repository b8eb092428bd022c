// libFuzzer target for parse_table_file (grammar/conf/table_file.hpp), the reader of `file:`
// tables and of makemap's input. Property: any bytes give a table or an error (exactly one); an
// error's line lies within the text; a table is a list or a mapping, never both, with non-empty
// keys; and the table written back ("# @list" and one entry a line, or "key value" lines)
// parses to the same table (unless an entry has a blank at an end). abort() otherwise.
// Depends on: grammar/conf/table_file.hpp.
#include "conf/table_file.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using smtpd::conf::TableData;

// An entry with a blank at either end ("a\r" from "a\r:") does not survive being a line alone.
bool edges_blank(std::string_view s) {
    auto const blank = [](char c) {
        return std::string_view(" \t\r\v\f").find(c) != std::string_view::npos;
    };
    return !s.empty() && (blank(s.front()) || blank(s.back()));
}

std::string written_back(TableData const& t) {
    std::string out = t.list.empty() ? "" : "# @list\n";
    for (auto const& entry : t.list) {
        out += entry + "\n";
    }
    for (auto const& [key, value] : t.map) {
        out += key + " " + value + "\n";
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto const parsed = smtpd::conf::parse_table_file(text, "t");
    if (parsed.table.has_value() == parsed.error.has_value()) {
        std::abort();
    }
    if (parsed.error) {
        auto const lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
        if (parsed.error->where.line < 1 || parsed.error->where.line > lines + 1) {
            std::abort();
        }
        return 0;
    }
    TableData const& t = *parsed.table;
    if (!t.list.empty() && !t.map.empty()) {
        std::abort();
    }
    auto const empty_key = [](std::string const& k) { return k.empty(); };
    if (std::any_of(t.list.begin(), t.list.end(), empty_key) ||
        std::any_of(t.map.begin(), t.map.end(), [](auto const& kv) { return kv.first.empty(); })) {
        std::abort();
    }
    if (std::any_of(t.list.begin(), t.list.end(), edges_blank) ||
        std::any_of(t.map.begin(), t.map.end(), [](auto const& kv) {
            return edges_blank(kv.first) || edges_blank(kv.second);
        })) {
        return 0;
    }
    auto const again = smtpd::conf::parse_table_file(written_back(t), "t");
    if (!again.table || again.table->list != t.list || again.table->map != t.map) {
        std::abort();
    }
    return 0;
}
