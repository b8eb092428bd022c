// Password checks for SMTP AUTH (RFC 4954), as OpenSMTPD's lookup process makes them: against a
// credentials table (table(5): one "user hash" line per user; OpenSMTPD's "user:hash" value form
// is read too), or against the system's users (passwd, then shadow). Hashes are crypt(3) strings
// checked with libxcrypt's crypt_r: bcrypt ($2b$), sha512-crypt ($6$), yescrypt ($y$) and the rest
// of what the library supports. The result of crypt_r is compared in constant time. A hash that
// crypt_r refuses ("*", "!", "", "!$6$..." for a locked account) never matches.
// Depends on: common/result.hpp, grammar's conf/table_file.hpp, libxcrypt, OpenSSL's libcrypto.
#pragma once

#include "common/result.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtpd::rt::auth {

/// True when crypt_r(password, hash) reproduces `hash` (compared in constant time).
[[nodiscard]] bool check_password(std::string_view password, std::string const& hash);

/// A credentials table: user name -> password hash.
class Credentials {
  public:
    /// Reads a table(5) file of "user hash" lines. Errors: the file cannot be read (its errno),
    /// a syntax error (file:line:column), a list without hashes, a user listed twice.
    [[nodiscard]] static Result<Credentials> load(std::string const& path);

    /// From key/value pairs, such as smtpd.conf's `table creds { user = hash }`; `source` names
    /// the table in errors.
    [[nodiscard]] static Result<Credentials>
    from_entries(std::vector<std::pair<std::string, std::string>> const& entries,
                 std::string const& source);

    /// True when `user` is in the table and `password` matches its hash. An unknown user and a
    /// wrong password give the same answer after the same kind of work: a password given for an
    /// unknown user is still hashed, against one of the table's hashes.
    [[nodiscard]] bool verify(std::string_view user, std::string_view password) const;

    [[nodiscard]] std::size_t size() const { return hashes_.size(); }

  private:
    std::map<std::string, std::string, std::less<>> hashes_;
};

/// The system's users, as OpenSMTPD's `auth` without a table: the user's hash from getpwnam_r,
/// or from getspnam_r when the passwd entry is shadowed ("x"). Reading the shadow file needs
/// root (the lookup process); without it every password is refused. An unknown user is refused
/// after hashing the password once, like a known one.
[[nodiscard]] bool verify_system_password(std::string_view user, std::string_view password);

} // namespace smtpd::rt::auth
