// proc: tables (runtime/table/proc_table.hpp) against table processes written here in Python:
// the handshake and registered services, lookup/check/fetch/update answers, and every way a
// process can fail (garbled reply, wrong id, silence past the timeout, death) being a temporary
// failure after which the next lookup starts the process again. Also the protocol lines alone.
#include "table/proc_protocol.hpp"
#include "table/proc_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace smtpd::rt::table {
namespace {

using namespace std::chrono_literals;
using Found = std::optional<std::string>;

// A table process: answers `lookup` of alias "root" with "bob", `check` of domain
// "example.org", `fetch` with "a"; MODE changes what it does on a lookup of "x".
constexpr char const* kScript = R"(import sys, time
mode = sys.argv[1]
for line in sys.stdin:
    if line.strip() == "config|ready":
        break
print("register|alias"); print("register|domain"); print("register|source")
print("register|ready"); sys.stdout.flush()
for line in sys.stdin:
    f = line.rstrip("\n").split("|")
    kind, rid = f[4], (f[6] if f[4] != "update" else f[5])
    key = f[7] if len(f) > 7 else ""
    if kind == "update":
        out = "update-result|%s|ok" % rid
    elif key == "x" and mode == "garble":
        out = "nonsense"
    elif key == "x" and mode == "wrongid":
        out = "lookup-result|ffffffff|found|y"
    elif key == "x" and mode == "slow":
        time.sleep(3); out = "lookup-result|%s|found|late" % rid
    elif key == "x" and mode == "die":
        sys.exit(1)
    elif key == "x" and mode == "error":
        out = "lookup-result|%s|error|backend down" % rid
    elif kind == "lookup":
        out = "lookup-result|%s|%s" % (rid, "found|bob" if key == "root" else "not-found")
    elif kind == "check":
        out = "check-result|%s|%s" % (rid, "found" if key == "example.org" else "not-found")
    else:
        out = "fetch-result|%s|found|a" % rid
    print(out); sys.stdout.flush()
)";

struct Script {
    std::filesystem::path path;
    Script() {
        std::string pattern = (std::filesystem::temp_directory_path() / "procXXXXXX").string();
        int const fd = ::mkstemp(pattern.data());
        ::close(fd);
        path = pattern;
        std::ofstream(path) << kScript;
        // Readable by all: run as root, the table process drops to SMTPD_USER.
        std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                               std::filesystem::perms::group_read |
                                               std::filesystem::perms::others_read);
    }
    ~Script() { std::filesystem::remove(path); }
    Script(Script const&) = delete;
    Script& operator=(Script const&) = delete;
    Script(Script&&) = delete;
    Script& operator=(Script&&) = delete;
    [[nodiscard]] std::unique_ptr<Table> open(std::string const& mode) const {
        return open_proc_table("t", "python3 " + path.string() + " " + mode, 500ms).value();
    }
};

TEST(ProcTable, AnswersLookupCheckFetchAndUpdate) {
    Script script;
    auto t = script.open("plain");
    EXPECT_EQ(t->lookup(Service::Alias, "root").value(), Found("bob"));
    EXPECT_EQ(t->lookup(Service::Alias, "nobody").value(), Found());
    EXPECT_TRUE(t->match(Service::Domain, "example.org").value());
    EXPECT_FALSE(t->match(Service::Domain, "example.net").value());
    EXPECT_EQ(t->fetch(Service::Source).value(), Found("a"));
    EXPECT_TRUE(t->reload());
    auto const unregistered = t->lookup(Service::Credentials, "bob");
    ASSERT_FALSE(unregistered);
    EXPECT_NE(unregistered.error().what().find("did not register credentials"), std::string::npos);
}

TEST(ProcTable, EveryFailureIsTemporaryAndTheNextLookupStartsItAgain) {
    Script script;
    for (std::string const mode : {"garble", "wrongid", "slow", "die", "error"}) {
        auto t = script.open(mode);
        auto const failed = t->lookup(Service::Alias, "x");
        ASSERT_FALSE(failed) << mode;
        EXPECT_EQ(failed.error().code, std::errc::resource_unavailable_try_again) << mode;
        EXPECT_EQ(t->lookup(Service::Alias, "root").value(), Found("bob")) << mode;
    }
}

TEST(ProcTable, AMissingProgramOrAKeyWithANewlineFails) {
    auto t = open_proc_table("t", "/nonexistent/table-proc", 500ms).value();
    EXPECT_FALSE(t->lookup(Service::Alias, "root"));
    Script script;
    EXPECT_FALSE(script.open("plain")->lookup(Service::Alias, "a\nb"));
}

TEST(ProcProtocol, LinesAreThoseOfTableProcC) {
    EXPECT_EQ(proc::handshake("7.5.0", "t"), "config|smtpd-version|7.5.0\nconfig|protocol|0.1\n"
                                             "config|tablename|t\nconfig|ready\n");
    EXPECT_EQ(proc::request("t", "lookup", Service::Alias, "0000002a", "root", 12, 5),
              "table|0.1|12.000005|t|lookup|alias|0000002a|root");
    EXPECT_EQ(proc::request("t", "update", std::nullopt, "00000001", std::nullopt, 1, 0),
              "table|0.1|1.000000|t|update|00000001");
    EXPECT_TRUE(std::holds_alternative<proc::Ready>(proc::parse_register("register|ready")));
    EXPECT_TRUE(std::holds_alternative<proc::Garbled>(proc::parse_register("register|nope")));
    auto const found = proc::parse_answer("lookup-result|01|found|a|b", "lookup", "01");
    ASSERT_TRUE(std::holds_alternative<proc::Found>(found));
    EXPECT_EQ(std::get<proc::Found>(found).value, "a|b");
    EXPECT_TRUE(std::holds_alternative<proc::Garbled>(
        proc::parse_answer("lookup-result|01|found|", "lookup", "01")));
    EXPECT_TRUE(std::holds_alternative<proc::Garbled>(
        proc::parse_answer("check-result|02|found", "check", "01")));
    EXPECT_TRUE(std::holds_alternative<proc::Failed>(
        proc::parse_answer("fetch-result|01|error", "fetch", "01")));
}

} // namespace
} // namespace smtpd::rt::table
