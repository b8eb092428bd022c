// check_password, Credentials, verify_system_password (see credentials.hpp). crypt_r's state
// (struct crypt_data, about 32 KiB) lives on the heap and is wiped after use, as are the copies
// of the password.
// Depends on: credentials.hpp, grammar's conf/table_file.hpp, common/fs.hpp, libxcrypt,
// OpenSSL (CRYPTO_memcmp, OPENSSL_cleanse), POSIX passwd and shadow lookups.
#include "auth/credentials.hpp"

#include "common/fs.hpp"
#include "conf/table_file.hpp"

#include <openssl/crypto.h>

#include <crypt.h>
#include <pwd.h>
#include <shadow.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>

namespace smtpd::rt::auth {

namespace {

// A hash to spend the same kind of work on when there is no user to check: a yescrypt hash
// (libxcrypt's default method) of a password nobody knows.
constexpr char const* kDummyHash =
    "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$AVHi9PxSVBRpe6ZTh7JXJxSoD55qgPEst7o8rztmEJ0";

struct WipedString {
    std::string text;
    explicit WipedString(std::string_view from) : text(from) {}
    WipedString(WipedString const&) = delete;
    WipedString& operator=(WipedString const&) = delete;
    ~WipedString() { OPENSSL_cleanse(text.data(), text.size()); }
};

/// OpenSMTPD's credentials value: "hash", or "user:hash" (table_parse_lookup K_CREDENTIALS).
std::string hash_of_value(std::string const& value) {
    auto const colon = value.find(':');
    return colon == std::string::npos ? value : value.substr(colon + 1);
}

std::error_code invalid() {
    return std::make_error_code(std::errc::invalid_argument);
}

} // namespace

bool check_password(std::string_view password, std::string const& hash) {
    // A disabled or locked entry; crypt_r would also refuse most of them.
    if (hash.empty() || hash.front() == '*' || hash.front() == '!') {
        return false;
    }
    if (password.find('\0') != std::string_view::npos) {
        return false; // crypt_r reads a C string: it would check a prefix of the password
    }
    WipedString const secret(password);
    auto data = std::make_unique<crypt_data>();
    char const* out = crypt_r(secret.text.c_str(), hash.c_str(), data.get());
    // libxcrypt answers a hash it cannot handle with NULL or a failure token starting with '*'.
    bool const same = out != nullptr && out[0] != '*' && std::strlen(out) == hash.size() &&
                      CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
    OPENSSL_cleanse(data.get(), sizeof(crypt_data));
    return same;
}

Result<Credentials>
Credentials::from_entries(std::vector<std::pair<std::string, std::string>> const& entries,
                          std::string const& source) {
    Credentials credentials;
    for (auto const& [user, value] : entries) {
        if (!credentials.hashes_.emplace(user, hash_of_value(value)).second) {
            return failure(invalid(), source + ": user \"" + user + "\" is listed twice");
        }
    }
    return credentials;
}

Result<Credentials> Credentials::load(std::string const& path) {
    auto text = read_file(path);
    if (!text) {
        return failure(text.error().code, path + ": " + text.error().what());
    }
    conf::TableResult parsed = conf::parse_table_file(text.value(), path);
    OPENSSL_cleanse(text.value().data(), text.value().size());
    if (parsed.error || !parsed.table) {
        return failure(invalid(), parsed.error ? parsed.error->to_string() : path);
    }
    conf::TableData const& table = *parsed.table;
    if (!table.list.empty()) {
        return failure(invalid(), path + ": user \"" + table.list.front() +
                                      R"(" has no password hash (expected "user hash" lines))");
    }
    return from_entries(table.map, path);
}

bool Credentials::verify(std::string_view user, std::string_view password) const {
    auto const it = hashes_.find(user);
    if (it == hashes_.end()) {
        // The same work as for a wrong password, against a hash of this table.
        (void)check_password(password, hashes_.empty() ? kDummyHash : hashes_.begin()->second);
        return false;
    }
    return check_password(password, it->second);
}

namespace {

/// getpwnam_r / getspnam_r's buffer, grown on ERANGE.
template <class Entry, class Lookup>
std::optional<std::string> lookup_hash(std::string const& user, Lookup lookup,
                                       char* Entry::*field) {
    std::vector<char> buffer(16384);
    for (int tries = 0; tries < 4; ++tries) {
        Entry entry{};
        Entry* found = nullptr;
        int const rc = lookup(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (rc == ERANGE) {
            buffer.resize(buffer.size() * 4);
            continue;
        }
        std::optional<std::string> hash;
        if (rc == 0 && found != nullptr && found->*field != nullptr) {
            hash = found->*field;
        }
        OPENSSL_cleanse(buffer.data(), buffer.size());
        return hash;
    }
    return std::nullopt;
}

} // namespace

bool verify_system_password(std::string_view user, std::string_view password) {
    std::string const name(user);
    std::optional<std::string> hash;
    if (name.find('\0') == std::string::npos) {
        hash = lookup_hash<passwd>(name, getpwnam_r, &passwd::pw_passwd);
        // "x": the hash is in the shadow file (readable by root only).
        if (hash && *hash == "x") {
            hash = lookup_hash<spwd>(name, getspnam_r, &spwd::sp_pwdp);
        }
    }
    if (!hash) {
        (void)check_password(password, kDummyHash);
        return false;
    }
    bool const ok = check_password(password, *hash);
    OPENSSL_cleanse(hash->data(), hash->size());
    return ok;
}

} // namespace smtpd::rt::auth
