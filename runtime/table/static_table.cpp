// The static backend (table(5) inline tables and `file:`): the entries in memory, in file order,
// keys compared through service_match. A `file:` table reads its file again on reload() and keeps
// its old entries when the new file is unreadable or malformed (OpenSMTPD's table_static_update).
// Depends on: table.hpp, common/fs.hpp, grammar's conf/table_file.hpp.
#include "common/fs.hpp"
#include "conf/table_file.hpp"
#include "table/table.hpp"

#include <algorithm>

namespace smtpd::rt::table {

namespace {

Result<std::vector<Entry>> read_entries(std::string const& path) {
    auto text = read_file(path);
    if (!text) {
        return failure(text.error().code, path + ": " + text.error().what());
    }
    auto parsed = conf::parse_table_file(text.value(), path);
    if (!parsed.table) {
        return failure(std::make_error_code(std::errc::invalid_argument),
                       parsed.error ? parsed.error->to_string() : path + ": invalid table");
    }
    std::vector<Entry> entries;
    for (auto& key : parsed.table->list) {
        entries.push_back(Entry{std::move(key), std::nullopt});
    }
    for (auto& [key, value] : parsed.table->map) {
        entries.push_back(Entry{std::move(key), std::move(value)});
    }
    return entries;
}

class StaticTable final : public Table {
  public:
    StaticTable(std::string name, std::vector<Entry> entries, std::string path)
        : Table(std::move(name)), entries_(std::move(entries)), path_(std::move(path)) {}

    [[nodiscard]] std::string_view backend() const override {
        return path_.empty() ? "static" : "file";
    }

    Result<std::optional<std::string>> lookup(Service service, std::string_view key) override {
        auto const found = std::find_if(entries_.begin(), entries_.end(), [&](Entry const& e) {
            return service_match(service, e.key, key);
        });
        if (found == entries_.end()) {
            return std::optional<std::string>();
        }
        return std::optional<std::string>(found->value.value_or(std::string()));
    }

    Result<std::optional<std::string>> fetch(Service /*service*/) override {
        if (entries_.empty()) {
            return std::optional<std::string>();
        }
        std::size_t const at = turn_++ % entries_.size();
        return std::optional<std::string>(entries_.at(at).key);
    }

    [[nodiscard]] Result<std::vector<Entry>> entries() const override { return entries_; }

    Result<void> reload() override {
        if (path_.empty()) {
            return success();
        }
        auto fresh = read_entries(path_);
        if (!fresh) {
            return fresh.error();
        }
        entries_ = std::move(fresh).value();
        turn_ = 0;
        return success();
    }

  private:
    std::vector<Entry> entries_;
    std::string path_; ///< empty for an inline table
    std::size_t turn_ = 0;
};

} // namespace

std::unique_ptr<Table> make_static_table(std::string name, std::vector<Entry> entries) {
    return std::make_unique<StaticTable>(std::move(name), std::move(entries), std::string());
}

Result<std::unique_ptr<Table>> open_file_table(std::string name, std::string const& path) {
    auto entries = read_entries(path);
    if (!entries) {
        return entries.error();
    }
    return std::unique_ptr<Table>(
        std::make_unique<StaticTable>(std::move(name), std::move(entries).value(), path));
}

} // namespace smtpd::rt::table
