// The table backends (runtime/table): inline and file tables with `# @list` and reload, db files
// written as makemap(8) writes them (keys and values with their NUL, lowercased keys, "<set>")
// and read back by lookup and by walking, getpwnam answering userinfo only, and a db file built
// by Debian's OpenSMTPD 6.8 makemap when one is installed beside the build.
#include "table/backends.hpp"
#include "table/db_file.hpp"
#include "table/table.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace smtpd::rt::table {
namespace {

using Found = std::optional<std::string>;

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "tableXXXXXX").string();
        path = ::mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(TempDir const&) = delete;
    TempDir& operator=(TempDir const&) = delete;
    TempDir(TempDir&&) = delete;
    TempDir& operator=(TempDir&&) = delete;
    [[nodiscard]] std::string write(std::string const& name, std::string const& text) const {
        std::ofstream(path / name) << text;
        return (path / name).string();
    }
};

conf::Table declared(std::string name, conf::Table::Source source, std::string path) {
    conf::Table t;
    t.name = std::move(name);
    t.source = source;
    t.path = std::move(path);
    return t;
}

TEST(StaticTable, LooksKeysUpWithoutCaseAndListsHaveEmptyValues) {
    auto t = make_static_table("t", {{"Root", "bob"}, {"abuse", "root"}});
    EXPECT_EQ(t->lookup(Service::Alias, "ROOT").value(), Found("bob"));
    EXPECT_EQ(t->lookup(Service::Alias, "nobody").value(), Found());
    auto l = make_static_table("l", {{"example.org", std::nullopt}});
    EXPECT_TRUE(l->match(Service::Domain, "Example.ORG").value());
    EXPECT_FALSE(l->match(Service::Domain, "example.net").value());
    EXPECT_EQ(l->lookup(Service::Domain, "example.org").value(), Found(""));
}

TEST(StaticTable, FetchTurnsOverTheKeys) {
    auto t = make_static_table("t", {{"a", std::nullopt}, {"b", std::nullopt}});
    EXPECT_EQ(t->fetch(Service::Source).value(), Found("a"));
    EXPECT_EQ(t->fetch(Service::Source).value(), Found("b"));
    EXPECT_EQ(t->fetch(Service::Source).value(), Found("a"));
    EXPECT_EQ(make_static_table("e", {})->fetch(Service::Source).value(), Found());
}

TEST(FileTable, ListMarkerMakesEveryLineAKeyAndReloadReadsTheFileAgain) {
    TempDir dir;
    auto const path = dir.write("list", "# @list\nexample.org\nwith space\n");
    auto t = open_table(declared("l", conf::Table::Source::File, path));
    ASSERT_TRUE(t) << t.error().what();
    EXPECT_TRUE(t.value()->match(Service::Domain, "with space").value());
    EXPECT_EQ(t.value()->backend(), "file");
    (void)dir.write("list", "# @list\nexample.net\n");
    EXPECT_TRUE(t.value()->match(Service::Domain, "example.org").value()); // until reloaded
    ASSERT_TRUE(t.value()->reload());
    EXPECT_FALSE(t.value()->match(Service::Domain, "example.org").value());
    EXPECT_TRUE(t.value()->match(Service::Domain, "example.net").value());
}

TEST(FileTable, AFailedReloadKeepsTheOldEntries) {
    TempDir dir;
    auto const path = dir.write("map", "root bob\n");
    auto t = open_table(declared("m", conf::Table::Source::File, path));
    ASSERT_TRUE(t);
    (void)dir.write("map", "root bob\nlistentry\n");
    auto const reloaded = t.value()->reload();
    ASSERT_FALSE(reloaded);
    EXPECT_NE(reloaded.error().what().find(":2:1:"), std::string::npos) << reloaded.error().what();
    EXPECT_EQ(t.value()->lookup(Service::Alias, "root").value(), Found("bob"));
}

TEST(DbTable, ReadsWhatItWroteAsMakemapStoresIt) {
    TempDir dir;
    auto const path = (dir.path / "aliases.db").string();
    ASSERT_TRUE(write_db_file(path, {{"root", "bob, alice"}, {"@example.org", "catchall"}}));
    auto raw = DbFile::open(path);
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw.value().get("root").value(), Found("bob, alice"));
    EXPECT_EQ(raw.value().get("Root").value(), Found()); // the file's keys are lowercased
    auto t = open_table(declared("a", conf::Table::Source::Db, path));
    ASSERT_TRUE(t) << t.error().what();
    EXPECT_EQ(t.value()->lookup(Service::Alias, "ROOT").value(), Found("bob, alice"));
    EXPECT_EQ(t.value()->lookup(Service::Alias, "@example.org").value(), Found("catchall"));
    EXPECT_EQ(t.value()->lookup(Service::Alias, "nobody").value(), Found());
    EXPECT_EQ(t.value()->entries().value().size(), 2U);
}

TEST(DbTable, ASetMatchesDomainsByWalkingAndReopensAChangedFile) {
    TempDir dir;
    auto const path = (dir.path / "domains.db").string();
    ASSERT_TRUE(write_db_file(path, {{"example.org", "<set>"}}));
    auto t = open_table(declared("d", conf::Table::Source::Db, path));
    ASSERT_TRUE(t);
    EXPECT_TRUE(t.value()->match(Service::Domain, "EXAMPLE.org").value());
    EXPECT_EQ(t.value()->entries().value(), (std::vector<Entry>{{"example.org", std::nullopt}}));
    ASSERT_TRUE(write_db_file(path, {{"example.net", "<set>"}}));
    ASSERT_TRUE(t.value()->reload());
    EXPECT_FALSE(t.value()->match(Service::Domain, "example.org").value());
    EXPECT_TRUE(t.value()->match(Service::Domain, "example.net").value());
}

TEST(DbTable, AFileThatIsNoDatabaseIsAnError) {
    TempDir dir;
    auto const path = dir.write("not.db", "root bob\n");
    EXPECT_FALSE(open_table(declared("x", conf::Table::Source::Db, path)));
    EXPECT_FALSE(open_table(declared("x", conf::Table::Source::Db, path + ".missing")));
}

// tests/conf/files/aliases-db.db was written by Debian's OpenSMTPD 6.8 `makemap -t aliases`.
TEST(DbTable, ReadsTheCorpusFileOfOpenSmtpdMakemap) {
    auto t = open_table(
        declared("a", conf::Table::Source::Db, SMTPD_SOURCE_DIR "/tests/conf/files/aliases-db.db"));
    ASSERT_TRUE(t) << t.error().what();
    EXPECT_EQ(t.value()->lookup(Service::Alias, "root").value(), Found("bob"));
    EXPECT_EQ(t.value()->lookup(Service::Alias, "List").value(), Found("bob, alice@example.com"));
    EXPECT_EQ(t.value()->lookup(Service::Alias, "bounces").value(),
              Found("\"|/usr/local/bin/handle-bounce\""));
    EXPECT_EQ(t.value()->entries().value().size(), 5U);
}

// Debian's OpenSMTPD 6.8 makemap (a setgid copy, as it insists); skipped without it.
TEST(DbTable, ReadsAFileOfOpenSmtpdMakemap) {
    char const* makemap = std::getenv("SMTPD_REF_MAKEMAP");
    if (makemap == nullptr || ::access(makemap, X_OK) != 0) {
        GTEST_SKIP() << "SMTPD_REF_MAKEMAP names no OpenSMTPD makemap";
    }
    TempDir dir;
    auto const source = dir.write("aliases", "Root: bob, alice\npostmaster root\n");
    std::string const command = std::string(makemap) + " -t aliases -o " + source + ".db " + source;
    ASSERT_EQ(std::system(command.c_str()), 0) << command; // NOLINT(cert-env33-c): a test tool
    auto t = open_table(declared("a", conf::Table::Source::Db, source + ".db"));
    ASSERT_TRUE(t) << t.error().what();
    EXPECT_EQ(t.value()->lookup(Service::Alias, "root").value(), Found("bob, alice"));
    EXPECT_EQ(t.value()->lookup(Service::Alias, "postmaster").value(), Found("root"));
}

TEST(GetpwnamTable, AnswersUserinfoOnly) {
    auto t = make_getpwnam_table("pw");
    auto const root = t->lookup(Service::Userinfo, "root");
    ASSERT_TRUE(root);
    ASSERT_TRUE(root.value());
    EXPECT_EQ(root.value()->rfind("0:0:", 0), 0U) << *root.value();
    EXPECT_EQ(t->lookup(Service::Userinfo, "no-such-user-here").value(), Found());
    EXPECT_FALSE(t->lookup(Service::Alias, "root"));
}

TEST(TableBackends, ServeWhatOpenSmtpdBackendsServe) {
    EXPECT_TRUE(backend_serves(conf::Table::Source::Getpwnam, Service::Userinfo));
    EXPECT_FALSE(backend_serves(conf::Table::Source::Getpwnam, Service::Alias));
    EXPECT_TRUE(backend_serves(conf::Table::Source::Db, Service::Alias));
    EXPECT_FALSE(backend_serves(conf::Table::Source::File, Service::Auth));
    EXPECT_TRUE(backend_serves(conf::Table::Source::Proc, Service::Auth));
}

} // namespace
} // namespace smtpd::rt::table
