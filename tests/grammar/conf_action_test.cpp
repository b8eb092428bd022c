// Tests of the action forms of smtpd.conf (maildir, mbox, lmtp, mda, forward-only and the
// alias, virtual, userbase and user options), of queue ttl and bounce warn-interval, and of
// their errors with exact file:line:column; plus parse_duration and parse_lmtp_destination.
// Depends on: grammar/conf/conf.hpp, lmtp_destination.hpp, numbers.hpp, GoogleTest.
#include "conf/conf.hpp"
#include "conf/lmtp_destination.hpp"
#include "conf/numbers.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>

namespace smtpd::conf {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char const* kTables = "table aliases file:/etc/mail/aliases\n"
                                "table virtuals { \"@example.org\" = bob }\n"
                                "table users { bob = \"1000:1000:/home/bob\" }\n";

Action action_ok(std::string const& line) {
    ConfResult r = parse_config(std::string(kTables) + line + "\n", "smtpd.conf");
    for (auto const& e : r.errors) {
        ADD_FAILURE() << e.to_string();
    }
    if (!r.config || r.config->actions.size() != 1) {
        ADD_FAILURE() << "no action from: " << line;
        return {};
    }
    return r.config->actions[0];
}

std::string first_error(std::string const& text) {
    ConfResult r = parse_config(text, "smtpd.conf");
    EXPECT_FALSE(r.ok()) << text;
    return r.errors.empty() ? std::string() : r.errors[0].to_string();
}

TEST(ConfAction, MaildirWithPathAndJunk) {
    Action const a = action_ok("action \"m\" maildir \"~/Mail\" junk");
    EXPECT_EQ(a.method, Action::Method::Maildir);
    EXPECT_EQ(a.path, "~/Mail");
    EXPECT_TRUE(a.junk);
    EXPECT_FALSE(action_ok("action m maildir").junk);
    Action const j = action_ok("action m maildir junk");
    EXPECT_TRUE(j.junk);
    EXPECT_FALSE(j.path.has_value());
}

TEST(ConfAction, Mbox) {
    Action const a = action_ok("action m mbox alias <aliases>");
    EXPECT_EQ(a.method, Action::Method::Mbox);
    EXPECT_EQ(a.alias_table, "aliases");
}

TEST(ConfAction, LmtpDestinationsAndRcptTo) {
    Action const a = action_ok("action l lmtp \"/var/dovecot/lmtp\" rcpt-to virtual <virtuals>");
    EXPECT_EQ(a.method, Action::Method::Lmtp);
    EXPECT_EQ(a.destination, "/var/dovecot/lmtp");
    EXPECT_TRUE(a.rcpt_to);
    EXPECT_EQ(a.virtual_table, "virtuals");
    Action const b = action_ok("action l lmtp localhost:24");
    EXPECT_EQ(b.destination, "localhost:24");
    EXPECT_FALSE(b.rcpt_to);
    EXPECT_EQ(action_ok("action l lmtp \"[::1]:2424\"").destination, "[::1]:2424");
}

TEST(ConfAction, MdaKeepsTheCommandUnexpanded) {
    Action const a = action_ok("action p mda \"/usr/bin/procmail -f %{sender}\" user bob");
    EXPECT_EQ(a.method, Action::Method::Mda);
    EXPECT_EQ(a.command, "/usr/bin/procmail -f %{sender}");
    EXPECT_EQ(a.user, "bob");
}

TEST(ConfAction, ForwardOnly) {
    Action const a = action_ok("action f forward-only alias <aliases>");
    EXPECT_EQ(a.method, Action::Method::ForwardOnly);
    EXPECT_EQ(a.alias_table, "aliases");
}

TEST(ConfAction, OptionsInAnyOrder) {
    Action const a = action_ok("action m maildir user bob userbase <users> virtual <virtuals>");
    EXPECT_EQ(a.user, "bob");
    EXPECT_EQ(a.userbase_table, "users");
    EXPECT_EQ(a.virtual_table, "virtuals");
    Action const b = action_ok("action m maildir virtual <virtuals> userbase <users> user bob");
    EXPECT_EQ(b.user, a.user);
    EXPECT_EQ(b.userbase_table, a.userbase_table);
    EXPECT_EQ(b.virtual_table, a.virtual_table);
}

TEST(ConfAction, OptionsAcrossContinuationLines) {
    Action const a = action_ok("action m maildir \\\n  alias <aliases> \\\n  user bob");
    EXPECT_EQ(a.alias_table, "aliases");
    EXPECT_EQ(a.user, "bob");
}

// clang-format off
struct ErrorCase {
    char const* id;
    std::string text;
    std::string first_error;
};
ErrorCase const kErrorCases[] = {
    {"UnknownMethod", "action x procmail\n", R"(smtpd.conf:1:10: expected a delivery method ("maildir", "mbox", "lmtp", "mda", "forward-only", "expand-only" or "relay") after "x")"},
    {"LmtpWithoutDestination", "action x lmtp\n", R"(smtpd.conf:1:14: expected an LMTP destination after "lmtp")"},
    {"LmtpWithoutPort", "action x lmtp localhost\n", R"(smtpd.conf:1:15: invalid LMTP destination "localhost": expected host:port, [address]:port or an absolute socket path)"},
    {"LmtpBadPort", "action x lmtp localhost:0\n", R"(smtpd.conf:1:15: invalid LMTP destination "localhost:0": invalid port "0")"},
    {"LmtpBadIpv6", "action x lmtp \"[::g]:24\"\n", R"(smtpd.conf:1:15: invalid LMTP destination "[::g]:24": invalid IPv6 address)"},
    {"MdaWithoutCommand", "action x mda\n", R"(smtpd.conf:1:13: expected a command after "mda")"},
    {"MdaEmptyCommand", "action x mda \"\"\n", R"(smtpd.conf:1:14: empty mda command)"},
    {"MdaBadFormat", "action x mda \"/bin/x %{nope}\"\n", R"(smtpd.conf:1:14: invalid mda command "/bin/x %{nope}": unknown variable "nope")"},
    {"AliasTwice", "table t { a = b }\naction x mbox alias <t> alias <t>\n", R"(smtpd.conf:2:25: "alias" already specified for this action)"},
    {"UserTwice", "action x maildir user a user b\n", R"(smtpd.conf:1:25: "user" already specified for this action)"},
    {"UserbaseTwice", "table t { a = b }\naction x maildir userbase <t> userbase <t>\n", R"(smtpd.conf:2:31: "userbase" already specified for this action)"},
    {"AliasThenVirtual", "table t { a = b }\naction x maildir alias <t> virtual <t>\n", R"(smtpd.conf:2:28: "alias" and "virtual" cannot be used together)"},
    {"VirtualThenAlias", "table t { a = b }\naction x maildir virtual <t> alias <t>\n", R"(smtpd.conf:2:30: "alias" and "virtual" cannot be used together)"},
    {"UserWithMbox", "action x mbox user bob\n", R"(smtpd.conf:1:15: "user" may not be specified for an mbox action)"},
    {"EmptyUser", "action x maildir user \"\"\n", R"(smtpd.conf:1:23: empty user name)"},
    {"UndefinedAliasTable", "action x mbox alias <nope>\n", R"(smtpd.conf:1:22: undefined table "nope" (tables must be declared before use))"},
    {"UndefinedUserbase", "action x mbox userbase <nope>\n", R"(smtpd.conf:1:25: undefined table "nope" (tables must be declared before use))"},
    {"AliasWithoutBrackets", "action x mbox alias aliases\n", R"(smtpd.conf:1:21: expected a table reference "<name>" after "alias")"},
    {"UnknownOption", "action x mbox bogus w\n", R"(smtpd.conf:1:15: unexpected "bogus" after "mbox")"},
    {"JunkAfterOption", "action x maildir user bob junk\n", R"(smtpd.conf:1:27: unexpected "junk" after "bob")"},
    {"QueueUnknownOption", "queue gzip\n", R"(smtpd.conf:1:7: expected "compression", "encryption" or "ttl" after "queue")"},
    {"QueueTtlMissing", "queue ttl\n", R"(smtpd.conf:1:10: expected a duration after "ttl")"},
    {"QueueTtlNoUnit", "queue ttl 4\n", R"(smtpd.conf:1:11: expected a duration after "ttl")"},
    {"QueueTtlBadUnit", "queue ttl 4w\n", R"(smtpd.conf:1:11: invalid ttl delay "4w": expected a number followed by s, m, h or d)"},
    {"QueueTtlZero", "queue ttl 0d\n", R"(smtpd.conf:1:11: invalid ttl delay "0d": expected a number followed by s, m, h or d)"},
    {"BounceWithoutKeyword", "bounce 4h\n", R"(smtpd.conf:1:8: expected "warn-interval" after "bounce")"},
    {"BounceBadDelay", "bounce warn-interval 1h, 2x\n", R"(smtpd.conf:1:26: invalid bounce delay "2x": expected a number followed by s, m, h or d)"},
    {"BounceTrailingComma", "bounce warn-interval 1h,\n", R"(smtpd.conf:1:25: expected a duration after ",")"},
};
// clang-format on

void PrintTo(ErrorCase const& c, std::ostream* os) {
    *os << c.id;
}

class ConfActionErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfActionErrors, FirstErrorHasExactPositionAndMessage) {
    EXPECT_EQ(first_error(GetParam().text), GetParam().first_error);
}

INSTANTIATE_TEST_SUITE_P(Rows, ConfActionErrors, ::testing::ValuesIn(kErrorCases),
                         [](auto const& info) { return std::string(info.param.id); });

TEST(ConfAction, AnActionWithAnErrorIsNotAdded) {
    ConfResult r = parse_config("action x mbox user bob\nmatch for any action x\n", "smtpd.conf");
    ASSERT_EQ(r.errors.size(), 2u);
    EXPECT_EQ(r.errors[1].to_string(), "smtpd.conf:2:22: undefined action \"x\" (an action must "
                                       "be declared before the match rules that use it)");
}

TEST(ConfQueue, DefaultsAreOpenSmtpds) {
    ConfResult r = parse_config("", "smtpd.conf");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.config->queue_ttl, hours(96));
    EXPECT_EQ(r.config->bounce_warn_intervals, std::vector<seconds>{hours(4)});
}

TEST(ConfQueue, TtlAndWarnIntervals) {
    ConfResult r = parse_config("queue ttl 2d\nqueue ttl 36h\nbounce warn-interval 30m, 2h,\\\n"
                                " 1d\nbounce warn-interval 90s\n",
                                "smtpd.conf");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    EXPECT_EQ(r.config->queue_ttl, hours(36));
    EXPECT_EQ(r.config->bounce_warn_intervals,
              (std::vector<seconds>{minutes(30), hours(2), hours(24), seconds(90)}));
}

// OpenSMTPD fills four slots and skips the delays for which none is left, in one directive or
// across several; a bad delay among the skipped ones is still an error.
TEST(ConfQueue, DelaysBeyondTheFourthAreAcceptedAndNotUsed) {
    for (char const* text : {"bounce warn-interval 1h, 2h, 3h, 4h, 5h, 6h\n",
                             "bounce warn-interval 1h, 2h, 3h\nbounce warn-interval 4h, 5h\n"}) {
        ConfResult r = parse_config(text, "smtpd.conf");
        ASSERT_TRUE(r.ok()) << text << r.errors[0].to_string();
        EXPECT_EQ(r.config->bounce_warn_intervals,
                  (std::vector<seconds>{hours(1), hours(2), hours(3), hours(4)}));
    }
    ConfResult bad = parse_config("bounce warn-interval 1h, 2h, 3h, 4h, 5x\n", "smtpd.conf");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.errors[0].to_string(), "smtpd.conf:1:38: invalid bounce delay \"5x\": expected "
                                         "a number followed by s, m, h or d");
}

TEST(ConfNumbers, ParseDurationIsDelaytonum) {
    EXPECT_EQ(parse_duration("1s"), seconds(1));
    EXPECT_EQ(parse_duration("15m"), minutes(15));
    EXPECT_EQ(parse_duration("4h"), hours(4));
    EXPECT_EQ(parse_duration("4d"), hours(96));
    EXPECT_EQ(parse_duration("2147483647s"), seconds(2147483647));
    EXPECT_EQ(parse_duration("24855d"), hours(24855 * 24));
    for (char const* bad : {"", "s", "4", "0s", "-1s", "+1s", "1.5h", "1 h", "1H", "1hh",
                            "2147483648s", "24856d", "d1", "1w"}) {
        EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
    }
}

TEST(ConfLmtpDestination, ParsesEachForm) {
    EXPECT_EQ(parse_lmtp_destination("/run/lmtp").destination,
              (LmtpDestination{true, "/run/lmtp", 0}));
    EXPECT_EQ(parse_lmtp_destination("mail.example:24").destination,
              (LmtpDestination{false, "mail.example", 24}));
    EXPECT_EQ(parse_lmtp_destination("[2001:db8::1]:2424").destination,
              (LmtpDestination{false, "2001:db8::1", 2424}));
    EXPECT_EQ(parse_lmtp_destination("127.0.0.1:smtp").destination,
              (LmtpDestination{false, "127.0.0.1", 25}));
    for (char const* bad : {"", "host", "host:", ":24", "::1:24", "[::1]", "[x]:24", "a b:24",
                            "host:65536", "[::1]:0"}) {
        EXPECT_FALSE(parse_lmtp_destination(bad).destination.has_value()) << bad;
    }
}

// The committed fuzz seeds of this syntax: the valid ones parse, the err_ one reports every line.
TEST(ConfActionSeeds, ParseAsTheirNamesSay) {
    auto load = [](std::string const& name) {
        std::ifstream in(SMTPD_SOURCE_DIR "/fuzz/corpus/conf/" + name, std::ios::binary);
        EXPECT_TRUE(in) << name;
        return parse_config(std::string{std::istreambuf_iterator<char>(in), {}}, name);
    };
    for (char const* ok : {"action_methods.conf", "queue_bounce.conf"}) {
        ConfResult const r = load(ok);
        EXPECT_TRUE(r.ok()) << ok << ": " << (r.errors.empty() ? "" : r.errors[0].to_string());
    }
    ConfResult const bad = load("err_action.conf");
    ASSERT_EQ(bad.errors.size(), 9u);
    for (std::size_t i = 0; i < bad.errors.size(); ++i) {
        EXPECT_EQ(bad.errors[i].where.line, i + 2) << bad.errors[i].to_string();
    }
}

} // namespace
} // namespace smtpd::conf
