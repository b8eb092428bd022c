// The relay options that need tables or addresses (issue 14): plan_relay names the tables in the
// job, the lookup role answers from them (lookup/relay_tables.hpp: round robin over a list,
// addresses compared as addresses), resolve_relay_tables puts the answers in the job (smarthost
// from `host`/`domain`, sources from `src`, HELO names from `helo-src`) and pick_source chooses
// what a connection binds and says.
#include "lookup/relay_tables.hpp"
#include "mta/relay_job.hpp"
#include "mta/relay_tables.hpp"

#include "conf/conf.hpp"
#include "ipc_test_support.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace smtpd::rt::mta {
namespace {

using Service = ipc::RelayTableService;

std::unique_ptr<table::Table>
static_table(std::vector<std::string> const& list,
             std::vector<std::pair<std::string, std::string>> const& map) {
    std::vector<table::Entry> entries;
    for (auto const& key : list) {
        entries.push_back(table::Entry{key, std::nullopt});
    }
    for (auto const& [key, value] : map) {
        entries.push_back(table::Entry{key, value});
    }
    return table::make_static_table("t", std::move(entries));
}

constexpr char const* kTables =
    "table hosts { \"smtp://a.example:2525\", \"smtps://b.example\" }\n"
    "table domains { \"remote.example\" = \"smtp+notls://[127.0.0.9]:2526\" }\n"
    "table srcs { \"127.0.0.5\", \"::1\", \"127.0.0.6\" }\n"
    "table names { \"127.0.0.5\" = five.example, \"0::1\" = one.example }\n";

conf::Action action(std::string const& options) {
    auto parsed = conf::parse_config(std::string(kTables) + "action \"relay\" relay " + options +
                                         "\nmatch from local for any action \"relay\"\n",
                                     "smtpd.conf");
    EXPECT_TRUE(parsed.ok()) << (parsed.errors.empty() ? "" : parsed.errors[0].to_string());
    return parsed.ok() ? parsed.config->actions.at(0) : conf::Action{};
}

QueuedEnvelope envelope(std::string const& rcpt = "bob@remote.example") {
    QueuedEnvelope e{"m1", 1, "h", "127.0.0.1", true, "alice@localhost", {}, 0, {}};
    QueuedRecipient r{rcpt, "", ""};
    r.method = QueuedRecipient::Method::Relay;
    r.action = "relay";
    e.recipients.push_back(r);
    return e;
}

RelayJob plan(conf::Action const& a, QueuedEnvelope const& e = envelope()) {
    auto job = plan_relay(a, e, std::vector<std::uint32_t>{0}, PlanContext{"mail.example", 1});
    EXPECT_TRUE(job) << job.error().what();
    return job ? std::move(job).value() : RelayJob{};
}

/// The lookup role's side, in process: the tables of kTables, answered by RelayTables.
struct FakeLookup {
    std::map<std::string, std::unique_ptr<table::Table>, std::less<>> data;
    RelayTableAnswers tables{[this](std::string_view name) -> table::Table* {
        auto const it = data.find(name);
        return it == data.end() ? nullptr : it->second.get();
    }};
    std::vector<ipc::FindRelayTable> asked;

    FakeLookup() {
        auto parsed = conf::parse_config(kTables, "smtpd.conf");
        for (conf::Table const& t : parsed.config->tables) {
            data.emplace(t.name, table::open_table(t).value());
        }
    }
    RelayTableFinder finder() {
        return [this](Service service, std::string table,
                      std::string key) -> boost::asio::awaitable<Result<ipc::RelayTableFound>> {
            ipc::FindRelayTable request{7, service, std::move(table), std::move(key)};
            asked.push_back(request);
            co_return tables.answer(request);
        };
    }
};

Result<RelayJob> resolve(conf::Action const& a, RelayJob job, RelayTableFinder const& find) {
    boost::asio::io_context io;
    Result<RelayJob> out = failure(std::make_error_code(std::errc::interrupted), "not run");
    ipc::testing::spawn(io, [&]() -> boost::asio::awaitable<void> {
        auto resolving = resolve_relay_tables(std::move(job), a.relay, find);
        out = co_await std::move(resolving);
    });
    io.run();
    return out;
}

TEST(RelayTablesPlan, NamesEveryTableInTheJobAndALiteralSourceAsTheSource) {
    RelayJob const tables = plan(action("domain <domains> src <srcs> helo-src <names>"));
    EXPECT_EQ(tables.tables, (RelayTables{std::nullopt, "domains", "srcs", "names"}));
    EXPECT_TRUE(tables.sources.empty());
    EXPECT_EQ(tables.target.name, "remote.example"); // until the domain table says otherwise
    RelayJob const literal = plan(action("src 127.0.0.5 host <hosts>"));
    EXPECT_EQ(literal.tables, (RelayTables{"hosts", std::nullopt, std::nullopt, std::nullopt}));
    EXPECT_EQ(literal.sources, (std::vector<SourceAddress>{{"127.0.0.5", ""}}));
    EXPECT_TRUE(plan(action("")).tables.empty());
}

TEST(RelayTablesLookup, AListTurnsOnePlaceAtEachRequest) {
    FakeLookup lookup;
    std::vector<std::string> firsts;
    for (int i = 0; i < 4; ++i) {
        auto const found =
            lookup.tables.answer(ipc::FindRelayTable{1, Service::Source, "srcs", ""});
        ASSERT_TRUE(found.found);
        ASSERT_EQ(found.values.size(), 3U);
        firsts.push_back(found.values.front());
    }
    EXPECT_EQ(firsts, (std::vector<std::string>{"127.0.0.5", "::1", "127.0.0.6", "127.0.0.5"}));
    auto const hosts =
        lookup.tables.answer(ipc::FindRelayTable{2, Service::RelayHost, "hosts", ""});
    EXPECT_EQ(hosts.values,
              (std::vector<std::string>{"smtp://a.example:2525", "smtps://b.example"}));
    EXPECT_EQ(hosts.id, 2U);
}

TEST(RelayTablesLookup, KeysAreAddressesOrDomainsAndMissesAreNotFound) {
    auto const names = static_table({}, {{"127.0.0.5", "five.example"}, {"0::1", "one.example"}});
    EXPECT_EQ(relay_table_values(names.get(), Service::AddrName, "::1", 0),
              (std::vector<std::string>{"one.example"}));
    EXPECT_EQ(relay_table_values(names.get(), Service::AddrName, "127.0.0.5", 0),
              (std::vector<std::string>{"five.example"}));
    EXPECT_EQ(relay_table_values(names.get(), Service::AddrName, "127.0.0.6", 0), std::nullopt);
    EXPECT_EQ(relay_table_values(names.get(), Service::AddrName, "", 0), std::nullopt);
    auto const domains = static_table({}, {{"Remote.Example", "smtp://relay.example"}});
    EXPECT_EQ(relay_table_values(domains.get(), Service::RelayHost, "remote.EXAMPLE", 0),
              (std::vector<std::string>{"smtp://relay.example"}));
    EXPECT_EQ(relay_table_values(domains.get(), Service::RelayHost, "other.example", 0),
              std::nullopt);
    EXPECT_EQ(relay_table_values(nullptr, Service::Source, "", 0), std::nullopt);
    // A file table's entry that is not an address is no source; none left is nothing.
    auto const sources = static_table({"bogus", "127.0.0.7", "0:0::1"}, {});
    EXPECT_EQ(relay_table_values(sources.get(), Service::Source, "", 0),
              (std::vector<std::string>{"127.0.0.7", "::1"}));
    auto const useless = static_table({"bogus"}, {});
    EXPECT_EQ(relay_table_values(useless.get(), Service::Source, "", 0), std::nullopt);
}

TEST(RelayTablesResolve, ADomainInTheTableGoesToItsSmarthostOthersToTheirMx) {
    FakeLookup lookup;
    conf::Action const a = action("domain <domains>");
    auto const listed = resolve(a, plan(a), lookup.finder());
    ASSERT_TRUE(listed) << listed.error().what();
    EXPECT_TRUE(listed.value().target.smarthost);
    EXPECT_EQ(listed.value().target.name, "[127.0.0.9]");
    EXPECT_EQ(listed.value().target.port, 2526);
    EXPECT_EQ(listed.value().params.tls, sm::ClientTlsPolicy::None);
    EXPECT_TRUE(listed.value().tables.empty());
    EXPECT_EQ(lookup.asked.back().key, "remote.example");

    auto const other = resolve(a, plan(a, envelope("x@other.example")), lookup.finder());
    ASSERT_TRUE(other) << other.error().what();
    EXPECT_FALSE(other.value().target.smarthost);
    EXPECT_EQ(other.value().target.name, "other.example");
    EXPECT_EQ(other.value().params.tls, sm::ClientTlsPolicy::Opportunistic);
}

TEST(RelayTablesResolve, AHostTableGivesItsSmarthostsInTurnWithTheirTls) {
    FakeLookup lookup;
    conf::Action const a = action("host <hosts>");
    auto const first = resolve(a, plan(a), lookup.finder());
    auto const second = resolve(a, plan(a), lookup.finder());
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first.value().target.name, "a.example");
    EXPECT_EQ(first.value().target.port, 2525);
    EXPECT_EQ(first.value().params.tls, sm::ClientTlsPolicy::Opportunistic);
    EXPECT_EQ(second.value().target.name, "b.example");
    EXPECT_EQ(second.value().target.port, 465);
    EXPECT_TRUE(second.value().params.implicit_tls);
    EXPECT_TRUE(second.value().verify);
}

TEST(RelayTablesResolve, SourcesComeInTurnEachWithItsHeloName) {
    FakeLookup lookup;
    conf::Action const a = action("helo fallback.example src <srcs> helo-src <names>");
    auto const job = resolve(a, plan(a), lookup.finder());
    ASSERT_TRUE(job) << job.error().what();
    EXPECT_EQ(job.value().sources,
              (std::vector<SourceAddress>{
                  {"127.0.0.5", "five.example"}, {"::1", "one.example"}, {"127.0.0.6", ""}}));
    auto const v4 = pick_source(job.value(), "127.0.0.11");
    EXPECT_EQ(v4.value(), (PickedSource{"127.0.0.5", "five.example"}));
    EXPECT_EQ(pick_source(job.value(), "::1").value(), (PickedSource{"::1", "one.example"}));
    auto const next = resolve(a, plan(a), lookup.finder()); // the table turned: 127.0.0.6 first
    ASSERT_TRUE(next);
    EXPECT_EQ(pick_source(next.value(), "127.0.0.11").value(),
              (PickedSource{"127.0.0.6", "fallback.example"}));
}

TEST(RelayTablesResolve, HeloSrcWithALiteralSourceAndANameThatIsNoName) {
    FakeLookup lookup;
    lookup.data["names"] = static_table({}, {{"127.0.0.5", "five.example"},
                                             {"0::1", "one.example"},
                                             {"127.0.0.8", "bad name\r\nRSET"}});
    conf::Action const a = action("src 127.0.0.5 helo-src <names>");
    auto const job = resolve(a, plan(a), lookup.finder());
    ASSERT_TRUE(job);
    EXPECT_EQ(job.value().sources, (std::vector<SourceAddress>{{"127.0.0.5", "five.example"}}));
    conf::Action const b = action("src 127.0.0.8 helo-src <names>");
    auto const bad = resolve(b, plan(b), lookup.finder());
    ASSERT_TRUE(bad);
    EXPECT_EQ(pick_source(bad.value(), "127.0.0.11").value(),
              (PickedSource{"127.0.0.8", "mail.example"}));
}

TEST(RelayTablesResolve, NothingUsableKeepsTheMailQueued) {
    FakeLookup lookup;
    lookup.data["srcs"] = static_table({"bogus"}, {});
    conf::Action const a = action("src <srcs>");
    auto const none = resolve(a, plan(a), lookup.finder());
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().what(), "no source address in table srcs");
    lookup.data.erase("hosts");
    conf::Action const h = action("host <hosts>");
    EXPECT_FALSE(resolve(h, plan(h), lookup.finder()));
    lookup.data["domains"] = static_table({}, {{"remote.example", "http://nowhere"}});
    conf::Action const d = action("domain <domains>");
    auto const bad = resolve(d, plan(d), lookup.finder());
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().what().find("invalid relay URL \"http://nowhere\""), std::string::npos)
        << bad.error().what();
    RelayTableFinder const broken =
        [](Service, std::string,
           std::string) -> boost::asio::awaitable<Result<ipc::RelayTableFound>> {
        co_return failure(std::make_error_code(std::errc::broken_pipe), "lookup gone");
    };
    EXPECT_FALSE(resolve(a, plan(a), broken));
}

TEST(RelayTablesResolve, TlsRefusesATableUrlWithoutTls) {
    FakeLookup lookup;
    conf::Action const a = action("domain <domains> tls");
    auto const job = resolve(a, plan(a), lookup.finder());
    ASSERT_FALSE(job);
    EXPECT_EQ(job.error().code, std::errc::invalid_argument);
}

TEST(RelayTablesPick, NoSourcesBindNothingAndAFamilyWithoutSourceFails) {
    RelayJob job;
    job.params.helo = "mail.example";
    EXPECT_EQ(pick_source(job, "192.0.2.1").value(), (PickedSource{std::nullopt, "mail.example"}));
    job.sources = {{"127.0.0.5", ""}};
    EXPECT_EQ(pick_source(job, "::1").error().code, std::errc::address_family_not_supported);
    EXPECT_EQ(pick_source(job, "mx.example").error().code, std::errc::address_family_not_supported);
    EXPECT_EQ(pick_source(job, "192.0.2.1").value(), (PickedSource{"127.0.0.5", "mail.example"}));
}

} // namespace
} // namespace smtpd::rt::mta
