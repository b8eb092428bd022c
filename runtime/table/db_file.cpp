// DbFile and write_db_file (db_file.hpp) over libdb 5.3's native API: DB_HASH, as OpenSMTPD's
// dbopen(3) compatibility calls produce; the file format is the same.
// Depends on: db_file.hpp, libdb (db.h).
#include "table/db_file.hpp"

#include <db.h>

#include <cstring>
#include <unistd.h>

namespace smtpd::rt::table {

namespace {

std::error_code db_error(int rc) {
    return {rc > 0 ? rc : EIO, std::generic_category()};
}

DBT bytes_of(std::string& text) {
    DBT d{};
    d.data = text.data();
    d.size = static_cast<u_int32_t>(text.size() + 1); // with the NUL, as makemap stores it
    return d;
}

std::string_view view_of(DBT const& d) {
    return {static_cast<char const*>(d.data), d.size};
}

} // namespace

std::string db_text(std::string_view bytes) {
    if (!bytes.empty() && bytes.back() == '\0') {
        bytes.remove_suffix(1);
    }
    return std::string(bytes);
}

Result<DbFile> DbFile::open(std::string const& path) {
    DB* db = nullptr;
    if (int const rc = db_create(&db, nullptr, 0); rc != 0) {
        return failure(db_error(rc), path + ": " + db_strerror(rc));
    }
    if (int const rc = db->open(db, nullptr, path.c_str(), nullptr, DB_HASH, DB_RDONLY, 0);
        rc != 0) {
        db->close(db, 0);
        return failure(db_error(rc),
                       path + ": cannot open as a Berkeley DB hash file: " + db_strerror(rc));
    }
    return DbFile(db);
}

DbFile& DbFile::operator=(DbFile&& other) noexcept {
    if (this != &other) {
        if (db_ != nullptr) {
            static_cast<DB*>(db_)->close(static_cast<DB*>(db_), 0);
        }
        db_ = std::exchange(other.db_, nullptr);
    }
    return *this;
}

DbFile::~DbFile() {
    if (db_ != nullptr) {
        static_cast<DB*>(db_)->close(static_cast<DB*>(db_), 0);
    }
}

Result<std::optional<std::string>> DbFile::get(std::string_view key) const {
    DB* db = static_cast<DB*>(db_);
    std::string k(key);
    DBT dk = bytes_of(k);
    DBT dv{};
    int const rc = db->get(db, nullptr, &dk, &dv, 0);
    if (rc == DB_NOTFOUND || rc == DB_KEYEMPTY) {
        return std::optional<std::string>();
    }
    if (rc != 0) {
        return failure(db_error(rc), std::string("db get: ") + db_strerror(rc));
    }
    return std::optional<std::string>(db_text(view_of(dv)));
}

Result<std::vector<std::pair<std::string, std::string>>> DbFile::records() const {
    DB* db = static_cast<DB*>(db_);
    DBC* cursor = nullptr;
    if (int const rc = db->cursor(db, nullptr, &cursor, 0); rc != 0) {
        return failure(db_error(rc), std::string("db cursor: ") + db_strerror(rc));
    }
    std::vector<std::pair<std::string, std::string>> out;
    DBT dk{};
    DBT dv{};
    int rc = 0;
    while ((rc = cursor->get(cursor, &dk, &dv, DB_NEXT)) == 0) {
        out.emplace_back(db_text(view_of(dk)), db_text(view_of(dv)));
    }
    cursor->close(cursor);
    if (rc != DB_NOTFOUND) {
        return failure(db_error(rc), std::string("db walk: ") + db_strerror(rc));
    }
    return out;
}

Result<void> write_db_file(std::string const& path,
                           std::vector<std::pair<std::string, std::string>> const& records) {
    DB* db = nullptr;
    if (int const rc = db_create(&db, nullptr, 0); rc != 0) {
        return failure(db_error(rc), path + ": " + db_strerror(rc));
    }
    ::unlink(path.c_str());
    if (int const rc =
            db->open(db, nullptr, path.c_str(), nullptr, DB_HASH, DB_CREATE | DB_TRUNCATE, 0644);
        rc != 0) {
        db->close(db, 0);
        return failure(db_error(rc), path + ": " + db_strerror(rc));
    }
    for (auto const& [key, value] : records) {
        std::string k = key;
        std::string v = value;
        DBT dk = bytes_of(k);
        DBT dv = bytes_of(v);
        if (int const rc = db->put(db, nullptr, &dk, &dv, 0); rc != 0) {
            db->close(db, 0);
            return failure(db_error(rc), path + ": " + db_strerror(rc));
        }
    }
    if (int const rc = db->close(db, 0); rc != 0) {
        return failure(db_error(rc), path + ": " + db_strerror(rc));
    }
    return success();
}

} // namespace smtpd::rt::table
