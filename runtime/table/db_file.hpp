// Berkeley DB hash files as OpenSMTPD's makemap(8) writes them and its table_db.c reads them
// (libdb 5.3, Debian's libdb5.3-dev): every key and every value is stored with its terminating
// NUL byte; keys are lowercased; a set's value is "<set>". DbFile is the one place that touches
// libdb: reading a record, walking all records, writing a whole file.
// Depends on: common/result.hpp, libdb.
#pragma once

#include "common/result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::rt::table {

/// A read-only open Berkeley DB hash file.
class DbFile {
  public:
    /// Opens `path` read-only; fails when it is missing or not a DB hash file.
    [[nodiscard]] static Result<DbFile> open(std::string const& path);
    DbFile(DbFile&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
    DbFile& operator=(DbFile&& other) noexcept;
    DbFile(DbFile const&) = delete;
    DbFile& operator=(DbFile const&) = delete;
    ~DbFile();

    /// The value stored under `key` (the key as given, its NUL added), without its NUL.
    [[nodiscard]] Result<std::optional<std::string>> get(std::string_view key) const;
    /// Every record in the file's order, keys and values without their NUL.
    [[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> records() const;

  private:
    explicit DbFile(void* db) : db_(db) {}
    void* db_ = nullptr; ///< a DB*; void so that db.h stays out of this header
};

/// The bytes of a record as a string: a trailing NUL (as makemap writes) is dropped.
[[nodiscard]] std::string db_text(std::string_view bytes);

/// Writes a new DB hash file at `path` (replacing one there) with the records given, each key
/// and value stored with its NUL, as makemap does. The caller has lowercased the keys.
[[nodiscard]] Result<void>
write_db_file(std::string const& path,
              std::vector<std::pair<std::string, std::string>> const& records);

} // namespace smtpd::rt::table
