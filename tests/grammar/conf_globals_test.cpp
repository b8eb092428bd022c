// Tests of the global statements of conf_globals.cpp: queue compression and encryption (the key
// as OpenSMTPD takes it: 32 characters as written, or read at start from stdin or the
// terminal), smtp sub-addr-delim and ciphers, mda wrapper with the action option wrapper, mda
// limit and scheduler limit, and their errors with exact file:line:column.
// Depends on: grammar/conf/conf.hpp, GoogleTest.
#include "conf/conf.hpp"

#include <gtest/gtest.h>

#include <string>

namespace smtpd::conf {
namespace {

Config config_ok(std::string const& text) {
    ConfResult r = parse_config(text, "smtpd.conf");
    for (auto const& e : r.errors) {
        ADD_FAILURE() << e.to_string();
    }
    return r.config.value_or(Config{});
}

std::string first_error(std::string const& text) {
    ConfResult r = parse_config(text, "smtpd.conf");
    return r.errors.empty() ? "no error" : r.errors.front().to_string();
}

constexpr char const* kKey = "0123456789abcdef0123456789abcdef";

TEST(ConfGlobals, QueueCodingIsOffByDefault) {
    Config const c = config_ok("queue ttl 1d\n");
    EXPECT_FALSE(c.queue.compression);
    EXPECT_FALSE(c.queue.encryption);
}

TEST(ConfGlobals, QueueCompressionAndAKeyInTheFile) {
    Config const c = config_ok(std::string("queue compression\nqueue encryption ") + kKey + "\n");
    EXPECT_TRUE(c.queue.compression);
    EXPECT_TRUE(c.queue.encryption);
    EXPECT_EQ(c.queue.key_source, QueueCoding::KeySource::Config);
    EXPECT_EQ(c.queue.key, kKey);
}

TEST(ConfGlobals, QueueEncryptionKeyFromStdinOrTheTerminal) {
    for (char const* word : {"stdin", "STDIN", "\"-\""}) { // a bare - is no word
        Config const c = config_ok(std::string("queue encryption ") + word + "\n");
        EXPECT_EQ(c.queue.key_source, QueueCoding::KeySource::Stdin) << word;
        EXPECT_TRUE(c.queue.key.empty());
    }
    Config const c = config_ok("queue encryption\n");
    EXPECT_TRUE(c.queue.encryption);
    EXPECT_EQ(c.queue.key_source, QueueCoding::KeySource::Terminal);
}

TEST(ConfGlobals, AQueueKeyOfAnotherLengthIsAnError) {
    EXPECT_EQ(first_error("queue encryption 0123456789abcdef\n"),
              "smtpd.conf:1:18: invalid key for queue encryption: expected 32 characters, got 16");
    EXPECT_EQ(
        first_error("queue gzip\n"),
        "smtpd.conf:1:7: expected \"compression\", \"encryption\" or \"ttl\" after \"queue\"");
}

TEST(ConfGlobals, SmtpSubAddrDelimAndCiphers) {
    Config const c = config_ok("smtp sub-addr-delim \"-\"\nsmtp ciphers \"HIGH:!aNULL\"\n");
    EXPECT_EQ(c.sub_addr_delim, '-');
    EXPECT_EQ(c.smtp_ciphers, "HIGH:!aNULL");
    EXPECT_EQ(config_ok("queue ttl 1d\n").sub_addr_delim, '+');
    EXPECT_FALSE(config_ok("queue ttl 1d\n").smtp_ciphers);
}

TEST(ConfGlobals, SubAddrDelimIsOnePrintableCharacterNotAt) {
    EXPECT_EQ(first_error("smtp sub-addr-delim \"--\"\n"),
              "smtpd.conf:1:21: invalid sub-addr-delim \"--\": expected one character");
    for (char const* bad : {"\"@\"", "\" \""}) {
        EXPECT_NE(
            first_error(std::string("smtp sub-addr-delim ") + bad + "\n").find("cannot delimit"),
            std::string::npos)
            << bad;
    }
}

TEST(ConfGlobals, AnMdaWrapperTakesTheActionsCommandForItsMda) {
    Config const c = config_ok("mda wrapper \"w\" \"/usr/bin/spamc -e %{mda}\"\n"
                               "action \"a\" mda \"/usr/bin/procmail -d %{user.username}\" "
                               "wrapper \"w\"\n");
    ASSERT_EQ(c.actions.size(), 1U);
    EXPECT_EQ(c.actions[0].wrapper, "w");
    EXPECT_EQ(c.actions[0].command, "/usr/bin/spamc -e /usr/bin/procmail -d %{user.username}");
    EXPECT_EQ(c.mda_wrappers.at("w"), "/usr/bin/spamc -e %{mda}");
}

TEST(ConfGlobals, WrapperErrors) {
    EXPECT_EQ(first_error("action \"a\" mda \"x\" wrapper \"w\"\n"),
              "smtpd.conf:1:28: no mda wrapper with that name: \"w\"");
    EXPECT_EQ(first_error("mda wrapper \"w\" \"a\"\nmda wrapper \"w\" \"b\"\n"),
              "smtpd.conf:2:13: mda wrapper already declared with that name: \"w\"");
    EXPECT_EQ(first_error("mda wrapper \"w\" \"a\"\naction \"a\" mbox wrapper \"w\"\n"),
              "smtpd.conf:2:25: \"wrapper\" is implemented for mda actions only");
    EXPECT_NE(first_error("mda wrapper \"w\" \"a %{nope}\"\n").find("invalid mda wrapper command"),
              std::string::npos);
}

TEST(ConfGlobals, MdaAndSchedulerLimits) {
    Config const c = config_ok("mda limit max-session 10\nscheduler limit max-inflight 4\n");
    EXPECT_EQ(c.limits.mda_max_session, 10U);
    EXPECT_EQ(c.limits.scheduler_max_inflight, 4U);
    EXPECT_FALSE(config_ok("queue ttl 1d\n").limits.mda_max_session);
}

TEST(ConfGlobals, LimitKeysWithoutAMeaningHereAreRefusedNotIgnored) {
    EXPECT_EQ(first_error("mda limit task-hiwat 5\n"),
              "smtpd.conf:1:11: mda limit \"task-hiwat\" is not implemented yet");
    EXPECT_EQ(first_error("scheduler limit max-schedule 5\n"),
              "smtpd.conf:1:17: scheduler limit \"max-schedule\" is not implemented yet");
    EXPECT_EQ(first_error("mda limit bogus 5\n"),
              "smtpd.conf:1:11: invalid mda limit keyword: \"bogus\"");
    EXPECT_EQ(
        first_error("scheduler limit max-inflight 0\n"),
        "smtpd.conf:1:30: invalid max-inflight \"0\": expected a number between 1 and 1000000");
}

} // namespace
} // namespace smtpd::conf
