// Password checks (runtime/auth/credentials.hpp) with hashes made at test time by libxcrypt
// (crypt_gensalt_rn + crypt_r) for bcrypt, sha512-crypt and yescrypt; credentials tables read
// from table(5) files; the system's users.
// Depends on: runtime/auth/credentials.hpp, temp_dir.hpp, libxcrypt, GoogleTest.
#include "auth/credentials.hpp"
#include "temp_dir.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <memory>
#include <string>

namespace smtpd::rt::auth {
namespace {

using testing::TempDir;

// A fresh hash of `password` with `prefix`'s method at its cheapest cost, to keep tests fast.
std::string make_hash(char const* prefix, std::string const& password) {
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
    unsigned long const cost = std::string(prefix) == "$2b$" ? 4 : 0; // bcrypt's lowest is 4
    if (crypt_gensalt_rn(prefix, cost, nullptr, 0, salt.data(), static_cast<int>(salt.size())) ==
        nullptr) {
        ADD_FAILURE() << "crypt_gensalt_rn " << prefix;
        return {};
    }
    auto data = std::make_unique<crypt_data>();
    char const* hash = crypt_r(password.c_str(), salt.data(), data.get());
    if (hash == nullptr || hash[0] == '*') {
        ADD_FAILURE() << "crypt_r " << prefix;
        return {};
    }
    EXPECT_EQ(std::string(hash).rfind(prefix, 0), 0u);
    return hash;
}

class PasswordHash : public ::testing::TestWithParam<char const*> {};

TEST_P(PasswordHash, MatchesOnlyTheRightPassword) {
    std::string const hash = make_hash(GetParam(), "correct horse");
    EXPECT_TRUE(check_password("correct horse", hash));
    EXPECT_FALSE(check_password("correct hors", hash));
    EXPECT_FALSE(check_password("correct horse ", hash));
    EXPECT_FALSE(check_password("", hash));
    EXPECT_FALSE(check_password(std::string("correct horse\0x", 15), hash));
    // The same password under another salt gives another hash; both match.
    std::string const again = make_hash(GetParam(), "correct horse");
    EXPECT_NE(again, hash);
    EXPECT_TRUE(check_password("correct horse", again));
}

TEST_P(PasswordHash, ATruncatedOrAlteredHashNeverMatches) {
    std::string const hash = make_hash(GetParam(), "pw");
    EXPECT_FALSE(check_password("pw", hash.substr(0, hash.size() - 1)));
    std::string altered = hash;
    altered.back() = altered.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(check_password("pw", altered));
}

INSTANTIATE_TEST_SUITE_P(Methods, PasswordHash, ::testing::Values("$2b$", "$6$", "$y$"),
                         [](auto const& info) {
                             std::string const p = info.param;
                             return p == "$2b$"  ? std::string("Bcrypt")
                                    : p == "$6$" ? std::string("Sha512Crypt")
                                                 : std::string("Yescrypt");
                         });

TEST(PasswordHashes, WhatCryptCannotHandleNeverMatches) {
    for (char const* hash : {"", "*", "!", "!!", "*LK*", "x", "$9$nope$", "$6$", "$y$"}) {
        EXPECT_FALSE(check_password("", hash)) << hash;
        EXPECT_FALSE(check_password("x", hash)) << hash;
        EXPECT_FALSE(check_password(hash, hash)) << hash;
    }
    // A locked account: "!" before a real hash.
    EXPECT_FALSE(check_password("pw", "!" + make_hash("$6$", "pw")));
}

class CredentialsTable : public ::testing::Test {
  protected:
    TempDir dir_;
    std::string bob_ = make_hash("$2b$", "bob's secret");
    std::string alice_ = make_hash("$6$", "alice's secret");
    std::string carol_ = make_hash("$y$", "carol's secret");

    std::string write(std::string const& text) {
        std::string path = dir_.path() + "/creds";
        std::ofstream(path) << text;
        return path;
    }
};

TEST_F(CredentialsTable, LoadsUserHashLinesAndVerifiesEachMethod) {
    auto creds = Credentials::load(
        write("# users\nbob " + bob_ + "\nalice\t" + alice_ + "\n\ncarol:" + carol_ + "\n"));
    ASSERT_TRUE(creds.has_value()) << creds.error().message;
    Credentials const& c = creds.value();
    EXPECT_EQ(c.size(), 3u);
    EXPECT_TRUE(c.verify("bob", "bob's secret"));
    EXPECT_TRUE(c.verify("alice", "alice's secret"));
    EXPECT_TRUE(c.verify("carol", "carol's secret"));
    EXPECT_FALSE(c.verify("bob", "alice's secret"));
    EXPECT_FALSE(c.verify("Bob", "bob's secret")); // user names are exact
    EXPECT_FALSE(c.verify("", ""));
}

TEST_F(CredentialsTable, UnknownUserAndWrongPasswordGiveTheSameAnswer) {
    auto creds = Credentials::load(write("bob " + bob_ + "\n"));
    ASSERT_TRUE(creds.has_value()) << creds.error().message;
    EXPECT_EQ(creds.value().verify("mallory", "bob's secret"),
              creds.value().verify("bob", "wrong"));
    EXPECT_FALSE(creds.value().verify("mallory", "bob's secret"));
}

TEST_F(CredentialsTable, OpenSmtpdUserColonHashValues) {
    // OpenSMTPD reads a credentials value as "hash" or "user:hash".
    auto creds = Credentials::from_entries({{"bob", "bob:" + bob_}}, "<creds>");
    ASSERT_TRUE(creds.has_value());
    EXPECT_TRUE(creds.value().verify("bob", "bob's secret"));
}

TEST_F(CredentialsTable, DisabledEntriesNeverMatch) {
    auto creds = Credentials::load(write("locked !" + bob_ + "\nstar *\nbang !\n"));
    ASSERT_TRUE(creds.has_value()) << creds.error().message;
    EXPECT_FALSE(creds.value().verify("locked", "bob's secret"));
    EXPECT_FALSE(creds.value().verify("star", "*"));
    EXPECT_FALSE(creds.value().verify("star", ""));
    EXPECT_FALSE(creds.value().verify("bang", "!"));
}

TEST_F(CredentialsTable, AnEmptyTableRefusesEveryone) {
    auto creds = Credentials::load(write("# nobody yet\n"));
    ASSERT_TRUE(creds.has_value()) << creds.error().message;
    EXPECT_EQ(creds.value().size(), 0u);
    EXPECT_FALSE(creds.value().verify("bob", "x"));
}

TEST_F(CredentialsTable, Errors) {
    std::string const missing = dir_.path() + "/nope";
    auto const no_file = Credentials::load(missing);
    ASSERT_FALSE(no_file.has_value());
    EXPECT_EQ(no_file.error().code, std::error_code(ENOENT, std::generic_category()));
    EXPECT_EQ(no_file.error().message, missing + ": No such file or directory");

    std::string const path = write("bob " + bob_ + "\nalice\n");
    auto const mixed = Credentials::load(path);
    ASSERT_FALSE(mixed.has_value());
    EXPECT_EQ(mixed.error().message,
              path + ":2:1: list entry \"alice\" in a table of key-value entries (the first "
                     "entry, at line 1, has a value)");

    auto const list = Credentials::load(write("bob\nalice\n"));
    ASSERT_FALSE(list.has_value());
    EXPECT_EQ(list.error().message,
              path + ": user \"bob\" has no password hash (expected \"user hash\" lines)");

    auto const twice = Credentials::load(write("bob " + bob_ + "\nbob " + alice_ + "\n"));
    ASSERT_FALSE(twice.has_value());
    EXPECT_EQ(twice.error().message, path + ": user \"bob\" is listed twice");
    EXPECT_EQ(twice.error().code, std::errc::invalid_argument);
}

TEST(SystemPasswords, UnknownAndPasswordlessUsersAreRefused) {
    EXPECT_FALSE(verify_system_password("no-such-user-smtpd-test", ""));
    EXPECT_FALSE(verify_system_password("no-such-user-smtpd-test", "x"));
    EXPECT_FALSE(verify_system_password(std::string("root\0x", 6), ""));
    // System accounts such as nobody have a locked or empty-refusing hash ("*", "!", "x").
    EXPECT_FALSE(verify_system_password("nobody", ""));
    EXPECT_FALSE(verify_system_password("nobody", "*"));
    EXPECT_FALSE(verify_system_password("root", ""));
}

} // namespace
} // namespace smtpd::rt::auth
