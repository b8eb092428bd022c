// smtpctl's command words (control/smtpctl.hpp): every command of the table parses to its
// request, abbreviations resolve word by word as in smtpctl(8) ("s" is ambiguous, never "stop"),
// anything else is a usage error that says why; the mailq name; what a reply prints.
#include "control/smtpctl.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace smtpd::rt {
namespace {

using Words = std::vector<std::string>;

/// A msgid and an evpid as the spool makes them, for the kIdWord commands.
std::string const kMsgid = "0123456789abcdef";
std::string const kEvpid = "0123456789abcdef89abcdef";

ipc::ControlRequest request_for(Words const& words) {
    auto command = parse_command(words);
    EXPECT_TRUE(command.has_value()) << (command ? "" : command.error().message);
    return command ? make_request(command.value(), words, 7) : ipc::ControlRequest{};
}

std::string error_for(Words const& words) {
    auto command = parse_command(words);
    EXPECT_FALSE(command.has_value());
    return command ? std::string() : command.error().message;
}

/// The row's words, an evpid for kIdWord.
Words words_of(CtlCommand const& c) {
    Words words;
    for (auto w : c.words) {
        if (!w.empty()) {
            words.emplace_back(w == kIdWord ? std::string_view(kEvpid) : w);
        }
    }
    return words;
}

class SmtpctlCommandRow : public ::testing::TestWithParam<CtlCommand> {};

TEST_P(SmtpctlCommandRow, ItsWordsParseToItsRequest) {
    CtlCommand const& row = GetParam();
    ipc::ControlRequest const request = request_for(words_of(row));
    EXPECT_EQ(request.id, 7U);
    EXPECT_EQ(request.verb, row.verb);
    Words args = row.arg.empty() ? Words{} : Words{std::string(row.arg)};
    if (std::find(row.words.begin(), row.words.end(), kIdWord) != row.words.end()) {
        args.push_back(kEvpid);
    }
    EXPECT_EQ(request.args, args);
}

TEST_P(SmtpctlCommandRow, ItsWordsAbbreviatedToTheirShortestPrefixParse) {
    CtlCommand const& row = GetParam();
    // The shortest prefix of each word that no other command's word at that place shares.
    Words words;
    for (std::size_t i = 0; i < row.words.size() && !row.words.at(i).empty(); ++i) {
        std::string_view const word = row.words.at(i);
        if (word == kIdWord) {
            words.push_back(kMsgid); // an id is given in full
            continue;
        }
        std::size_t length = 1;
        for (CtlCommand const& other : kCtlCommands) {
            bool const same_so_far =
                std::equal(row.words.begin(), row.words.begin() + static_cast<std::ptrdiff_t>(i),
                           other.words.begin());
            std::string_view const theirs = other.words.at(i);
            if (!same_so_far || theirs == word) {
                continue;
            }
            while (length < word.size() && theirs.starts_with(word.substr(0, length))) {
                ++length;
            }
        }
        words.emplace_back(word.substr(0, length));
    }
    EXPECT_EQ(request_for(words).verb, row.verb);
}

TEST_P(SmtpctlCommandRow, IsListedInTheUsage) {
    EXPECT_NE(usage_text().find(GetParam().words[0]), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Table, SmtpctlCommandRow, ::testing::ValuesIn(kCtlCommands),
                         [](auto const& row) {
                             std::string name;
                             for (auto w : row.param.words) {
                                 if (!w.empty()) {
                                     if (w == kIdWord) {
                                         name += "Id";
                                         continue;
                                     }
                                     name += static_cast<char>(w[0] - 'a' + 'A');
                                     name += w.substr(1);
                                 }
                             }
                             return name;
                         });

TEST(SmtpctlCommand, OpenSmtpdWordsMapToTheirVerbs) {
    EXPECT_EQ(request_for({"show", "queue"}).verb, ipc::ControlVerb::ShowQueue);
    EXPECT_EQ(request_for({"schedule", "all"}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Schedule, {"all"}}));
    EXPECT_EQ(request_for({"schedule", kMsgid}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Schedule, {kMsgid}}));
    EXPECT_EQ(request_for({"schedule", kEvpid}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Schedule, {kEvpid}}));
    EXPECT_EQ(request_for({"remove", "all"}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Remove, {"all"}}));
    EXPECT_EQ(request_for({"remove", kMsgid}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Remove, {kMsgid}}));
    EXPECT_EQ(request_for({"remove", kEvpid}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Remove, {kEvpid}}));
    EXPECT_EQ(request_for({"pause", "mda"}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Pause, {"mda"}}));
    EXPECT_EQ(request_for({"resume", "mda"}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Resume, {"mda"}}));
    EXPECT_EQ(request_for({"stop"}), (ipc::ControlRequest{7, ipc::ControlVerb::Stop, {}}));
    EXPECT_EQ(request_for({"show", "hosts"}),
              (ipc::ControlRequest{7, ipc::ControlVerb::ShowHosts, {}}));
    EXPECT_EQ(request_for({"show", "hoststats"}),
              (ipc::ControlRequest{7, ipc::ControlVerb::ShowHostStats, {}}));
    EXPECT_EQ(request_for({"show", "relays"}),
              (ipc::ControlRequest{7, ipc::ControlVerb::ShowRelays, {}}));
    EXPECT_EQ(request_for({"show", "routes"}),
              (ipc::ControlRequest{7, ipc::ControlVerb::ShowRoutes, {}}));
}

TEST(SmtpctlCommand, AbbreviationsResolveWordByWord) {
    EXPECT_EQ(request_for({"sh", "q"}).verb, ipc::ControlVerb::ShowQueue);
    EXPECT_EQ(request_for({"sc", "a"}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Schedule, {"all"}}));
    EXPECT_EQ(request_for({"rem", kMsgid}),
              (ipc::ControlRequest{7, ipc::ControlVerb::Remove, {kMsgid}}));
    EXPECT_EQ(request_for({"st"}).verb, ipc::ControlVerb::Stop);
    EXPECT_EQ(request_for({"p", "md"}), (ipc::ControlRequest{7, ipc::ControlVerb::Pause, {"mda"}}));
    EXPECT_EQ(request_for({"p", "mt"}), (ipc::ControlRequest{7, ipc::ControlVerb::Pause, {"mta"}}));
    EXPECT_NE(error_for({"p", "m"}).find("ambiguous command: p m"), std::string::npos);
    EXPECT_EQ(request_for({"res", "mda"}).verb, ipc::ControlVerb::Resume);
    std::string const error = error_for({"r", "mda"});
    EXPECT_NE(error.find("ambiguous command: r mda"), std::string::npos) << error;
    EXPECT_NE(error.find("remove"), std::string::npos) << error;
    EXPECT_NE(error.find("resume"), std::string::npos) << error;
}

TEST(SmtpctlCommand, TheMtaTablesAbbreviateAsInSmtpctl8) {
    // smtpctl(8)'s own example: "sh ro" is show routes.
    EXPECT_EQ(request_for({"sh", "ro"}).verb, ipc::ControlVerb::ShowRoutes);
    EXPECT_EQ(request_for({"sh", "rel"}).verb, ipc::ControlVerb::ShowRelays);
    // "hosts" is a word of its own, though hoststats begins with it.
    EXPECT_EQ(request_for({"sh", "hosts"}).verb, ipc::ControlVerb::ShowHosts);
    EXPECT_EQ(request_for({"sh", "hostst"}).verb, ipc::ControlVerb::ShowHostStats);
    std::string const hosts = error_for({"sh", "host"});
    EXPECT_NE(hosts.find("ambiguous command: sh host (hosts, hoststats)"), std::string::npos)
        << hosts;
    std::string const r = error_for({"show", "r"});
    EXPECT_NE(r.find("ambiguous command: show r (relays, routes)"), std::string::npos) << r;
}

TEST(SmtpctlCommand, AnIdIsGivenInFullNeverAbbreviated) {
    EXPECT_EQ(error_for({"remove", "0123"}), "unknown command: remove 0123");
    EXPECT_EQ(error_for({"remove", "<"}), "unknown command: remove <");
    EXPECT_EQ(error_for({"remove", "<id>"}), "unknown command: remove <id>");
    EXPECT_EQ(error_for({"schedule", kMsgid + "0"}), "unknown command: schedule " + kMsgid + "0");
    EXPECT_EQ(error_for({"remove", "0123456789abcdeg"}),
              "unknown command: remove 0123456789abcdeg");
    EXPECT_EQ(error_for({"remove"}), "incomplete command: remove");
}

TEST(SmtpctlCommand, SingleLetterSIsAmbiguousNeverStop) {
    std::string const error = error_for({"s"});
    EXPECT_NE(error.find("ambiguous command: s"), std::string::npos) << error;
    EXPECT_NE(error.find("show"), std::string::npos) << error;
    EXPECT_NE(error.find("stop"), std::string::npos) << error;
}

TEST(SmtpctlCommand, NoWordsIsMissingCommand) {
    EXPECT_EQ(error_for({}), "missing command");
}

TEST(SmtpctlCommand, UnknownWordsAreRefused) {
    EXPECT_EQ(error_for({"frobnicate"}), "unknown command: frobnicate");
    EXPECT_EQ(error_for({"show", "stats"}), "unknown command: show stats");
    EXPECT_EQ(error_for({"pause", "smtp"}), "unknown command: pause smtp");
    EXPECT_EQ(error_for({"stop", "now"}), "unknown command: stop now");
    EXPECT_EQ(error_for({"show", "queue", "x"}), "unknown command: show queue x");
    EXPECT_EQ(error_for({""}), "unknown command: ");
    EXPECT_EQ(error_for({"show", ""}), "unknown command: show ");
}

TEST(SmtpctlCommand, WordsAreCaseSensitive) {
    EXPECT_EQ(error_for({"SHOW", "QUEUE"}), "unknown command: SHOW QUEUE");
}

TEST(SmtpctlCommand, LongerThanTheWordIsNotAnAbbreviation) {
    EXPECT_EQ(error_for({"stopp"}), "unknown command: stopp");
}

TEST(SmtpctlCommand, FirstWordAloneIsIncomplete) {
    EXPECT_EQ(error_for({"show"}), "incomplete command: show");
    EXPECT_EQ(error_for({"pau"}), "incomplete command: pau");
}

TEST(SmtpctlName, MailqIsRecognisedByBasename) {
    EXPECT_TRUE(invoked_as_mailq("mailq"));
    EXPECT_TRUE(invoked_as_mailq("/usr/bin/mailq"));
    EXPECT_TRUE(invoked_as_mailq("./mailq"));
    EXPECT_FALSE(invoked_as_mailq("smtpctl"));
    EXPECT_FALSE(invoked_as_mailq("/usr/sbin/smtpctl"));
    EXPECT_FALSE(invoked_as_mailq("/mailq/smtpctl"));
    EXPECT_FALSE(invoked_as_mailq("mailq2"));
    EXPECT_FALSE(invoked_as_mailq(""));
}

TEST(SmtpctlUsage, NamesTheSocketOptionAndMailq) {
    std::string const usage = usage_text();
    EXPECT_NE(usage.find("usage: smtpctl [-s socket] command"), std::string::npos);
    EXPECT_NE(usage.find("mailq"), std::string::npos);
    EXPECT_NE(usage.find("show queue"), std::string::npos);
}

CtlCommand command(Words const& words) {
    return parse_command(words).value();
}

TEST(SmtpctlPrint, OkLinesGoToStdout) {
    CtlPrint const p = print_reply(command({"show", "queue"}), {1, true, {"a|b|c|0|", "d"}});
    EXPECT_EQ(p.out, (Words{"a|b|c|0|", "d"}));
    EXPECT_TRUE(p.err.empty());
    EXPECT_EQ(p.status, 0);
}

TEST(SmtpctlPrint, EmptyQueuePrintsNothing) {
    CtlPrint const p = print_reply(command({"show", "queue"}), {1, true, {}});
    EXPECT_TRUE(p.out.empty());
    EXPECT_EQ(p.status, 0);
}

TEST(SmtpctlPrint, EmptyMtaTablesPrintNothing) {
    for (auto const* table : {"hosts", "hoststats", "relays", "routes"}) {
        CtlPrint const p = print_reply(command({"show", table}), {1, true, {}});
        EXPECT_TRUE(p.out.empty()) << table;
        EXPECT_EQ(p.status, 0) << table;
    }
}

TEST(SmtpctlUsage, EveryCommandIsTwoSpacesOrMoreFromItsHelp) {
    // test_smtpctl.py's ManPage test splits the usage's lines there.
    std::string const usage = usage_text();
    for (CtlCommand const& c : kCtlCommands) {
        EXPECT_NE(usage.find(std::string(c.words[1].empty() ? c.words[0] : c.words[1]) + "  "),
                  std::string::npos)
            << c.help;
    }
}

TEST(SmtpctlPrint, OkWithoutLinesConfirms) {
    CtlPrint const p = print_reply(command({"pause", "mda"}), {1, true, {}});
    EXPECT_EQ(p.out, Words{"command succeeded"});
    EXPECT_EQ(p.status, 0);
}

TEST(SmtpctlPrint, RefusalGoesToStderrWithStatusOne) {
    CtlPrint const p = print_reply(command({"stop"}), {1, false, {"permission denied"}});
    EXPECT_TRUE(p.out.empty());
    EXPECT_EQ(p.err, Words{"permission denied"});
    EXPECT_EQ(p.status, 1);
}

TEST(SmtpctlPrint, RefusalWithoutLinesSaysCommandFailed) {
    CtlPrint const p = print_reply(command({"show", "queue"}), {1, false, {}});
    EXPECT_EQ(p.err, Words{"command failed"});
    EXPECT_EQ(p.status, 1);
}

} // namespace
} // namespace smtpd::rt
