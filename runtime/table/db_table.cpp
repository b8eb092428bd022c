// The `db:` backend (OpenSMTPD's table_db.c): a Berkeley DB hash file written by makemap(8).
// Exact services look the lowercased key up in the hash; domain, netaddr, mailaddr and regex
// walk the records through service_match, as table_db.c does. The file is opened again when its
// mtime changes (table_db.c) and on reload().
// Depends on: table.hpp, backends.hpp, db_file.hpp.
#include "table/backends.hpp"
#include "table/db_file.hpp"

#include <algorithm>
#include <sys/stat.h>

namespace smtpd::rt::table {

namespace {

constexpr std::string_view kSetValue = "<set>"; // makemap -t set

bool walks(Service service) {
    return service == Service::Domain || service == Service::Netaddr ||
           service == Service::Mailaddr || service == Service::Regex;
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

Result<long> mtime_of(std::string const& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return failure(last_error(), path + ": " + last_error().message());
    }
    return static_cast<long>(st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec);
}

class DbTable final : public Table {
  public:
    DbTable(std::string name, std::string path, DbFile file, long mtime)
        : Table(std::move(name)), path_(std::move(path)), file_(std::move(file)), mtime_(mtime) {}

    [[nodiscard]] std::string_view backend() const override { return "db"; }

    Result<std::optional<std::string>> lookup(Service service, std::string_view key) override {
        if (auto fresh = refresh(); !fresh) {
            return fresh.error();
        }
        if (!walks(service)) {
            return file_.get(lowercase(key));
        }
        auto records = file_.records();
        if (!records) {
            return records.error();
        }
        for (auto const& [k, v] : records.value()) {
            if (service_match(service, k, key)) {
                return std::optional<std::string>(v);
            }
        }
        return std::optional<std::string>();
    }

    Result<std::optional<std::string>> fetch(Service /*service*/) override {
        auto records = file_.records();
        if (!records) {
            return records.error();
        }
        if (records.value().empty()) {
            return std::optional<std::string>();
        }
        std::size_t const at = turn_++ % records.value().size();
        return std::optional<std::string>(records.value().at(at).first);
    }

    [[nodiscard]] Result<std::vector<Entry>> entries() const override {
        auto records = file_.records();
        if (!records) {
            return records.error();
        }
        std::vector<Entry> out;
        for (auto& [k, v] : records.value()) {
            out.push_back(
                Entry{std::move(k), v == kSetValue ? std::nullopt : std::optional<std::string>(v)});
        }
        return out;
    }

    Result<void> reload() override {
        auto mtime = mtime_of(path_);
        if (!mtime) {
            return mtime.error();
        }
        auto file = DbFile::open(path_);
        if (!file) {
            return file.error();
        }
        file_ = std::move(file).value();
        mtime_ = mtime.value();
        return success();
    }

  private:
    // table_db.c: a changed file is opened again before the lookup; a failure keeps the old.
    Result<void> refresh() {
        auto mtime = mtime_of(path_);
        if (!mtime) {
            return mtime.error();
        }
        if (mtime.value() == mtime_) {
            return success();
        }
        return reload();
    }

    std::string path_;
    DbFile file_;
    long mtime_ = 0;
    std::size_t turn_ = 0;
};

} // namespace

Result<std::unique_ptr<Table>> open_db_table(std::string name, std::string const& path) {
    auto mtime = mtime_of(path);
    if (!mtime) {
        return mtime.error();
    }
    auto file = DbFile::open(path);
    if (!file) {
        return file.error();
    }
    return std::unique_ptr<Table>(
        std::make_unique<DbTable>(std::move(name), path, std::move(file).value(), mtime.value()));
}

} // namespace smtpd::rt::table
