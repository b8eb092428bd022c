// The envelope decoder's strictness: version 1 to 4 files still decode (an upgrade keeps the
// queue), an older version refuses the newer fields and each version requires its own, and
// unknown keys, duplicates, bad escapes and values out of their range give no envelope; the
// committed fuzz seeds decode or are refused as their names say.
#include "spool/envelope.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace smtpd::rt {
namespace {

// What version 1 wrote (the committed seed fuzz/corpus/envelope/valid).
constexpr std::string_view kVersion1 = "version 1\n"
                                       "id 0123456789abcdef\n"
                                       "created 1700000000\n"
                                       "helo client.example\n"
                                       "client 127.0.0.1\n"
                                       "local 1\n"
                                       "sender a@example.org\n"
                                       "rcpt b@localhost root /var/mail/Maildir\n"
                                       "attempts 0\n"
                                       "error \n";

// What version 2 wrote (the committed seed fuzz/corpus/envelope/v2-valid has the same form).
constexpr std::string_view kVersion2 = "version 2\n"
                                       "id id1\n"
                                       "created 1\n"
                                       "helo h\n"
                                       "client ::1\n"
                                       "local 0\n"
                                       "sender \n"
                                       "auth-user bob\n"
                                       "tls 1\n"
                                       "body 7BIT\n"
                                       "smtputf8 0\n"
                                       "ret FULL\n"
                                       "envid e1\n"
                                       "auth-param <>\n"
                                       "size 99\n"
                                       "rcpt c@d u /m 6 rfc822;c+40d\n"
                                       "attempts 1\n"
                                       "error 452%20full\n";

// A version 3 recipient line with every field given, but for `field` (1-based after "rcpt").
std::string rcpt_line(std::size_t field, std::string_view value) {
    std::array<std::string, 13> f = {"c@d",  "u",   "/m",   "6",    "rfc822;c+40d",
                                     "lmtp", "act", "1000", "1000", "/home/u",
                                     "0",    "1",   ""};
    f.at(field - 1) = std::string(value);
    std::string line = "rcpt";
    for (auto const& part : f) {
        line += " " + part;
    }
    return line;
}

QueuedEnvelope version2_sample() {
    QueuedEnvelope e{
        "id1", 1, "h", "::1", false, "", {{"c@d", "u", "/m", 6, "rfc822;c+40d"}}, 1, "452 full"};
    e.auth_user = "bob";
    e.tls = true;
    e.body = kBody7Bit;
    e.ret = kRetFull;
    e.envid = "e1";
    e.auth_param = "<>";
    e.declared_size = 99;
    return e;
}

// What version 4 (the current one) writes.
QueuedEnvelope current_sample() {
    QueuedEnvelope e = version2_sample();
    QueuedRecipient& r = e.recipients[0];
    r.method = QueuedRecipient::Method::Lmtp;
    r.action = "act";
    r.uid = 1000;
    r.gid = 1000;
    r.home = "/home/u";
    r.rcpt_to = true;
    e.last_try = 5;
    e.last_warn = 3;
    e.listener = "127.0.0.1:25";
    return e;
}

std::string seed(std::string const& name) {
    std::ifstream in(SMTPD_SOURCE_DIR "/fuzz/corpus/envelope/" + name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<std::string> lines_of(std::string const& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
        lines.push_back(text.substr(start, nl + 1 - start));
        start = nl + 1;
    }
    return lines;
}

std::string join(std::vector<std::string> const& lines) {
    std::string text;
    for (auto const& line : lines) {
        text += line;
    }
    return text;
}

std::string replace_line(std::string const& text, std::string_view key, std::string_view line) {
    auto lines = lines_of(text);
    for (auto& l : lines) {
        if (l.starts_with(std::string{key} + " ")) {
            l = std::string{line} + "\n";
        }
    }
    return join(lines);
}

TEST(EnvelopeVersion1, DecodesWithTheVersion2FieldsAtTheirDefaults) {
    auto const decoded = decode_envelope(kVersion1);
    ASSERT_TRUE(decoded.has_value());
    QueuedEnvelope const expected{"0123456789abcdef",
                                  1700000000,
                                  "client.example",
                                  "127.0.0.1",
                                  true,
                                  "a@example.org",
                                  {{"b@localhost", "root", "/var/mail/Maildir"}},
                                  0,
                                  ""};
    EXPECT_EQ(*decoded, expected);
    EXPECT_TRUE(decoded->auth_user.empty());
    EXPECT_FALSE(decoded->declared_size.has_value());
    EXPECT_EQ(decoded->recipients[0].notify, 0);
}

TEST(EnvelopeVersion1, IsRewrittenAsVersion5WithTheSameContent) {
    auto const decoded = decode_envelope(kVersion1);
    ASSERT_TRUE(decoded.has_value());
    std::string const text = encode_envelope(*decoded);
    EXPECT_TRUE(text.starts_with("version 5\n"));
    EXPECT_EQ(decode_envelope(text), decoded);
}

TEST(EnvelopeVersion1, RefusesEachVersion2Key) {
    for (auto const* line :
         {"auth-user \n", "tls 0\n", "body \n", "smtputf8 0\n", "ret \n", "envid \n",
          "auth-param \n", "size \n", "last-try 0\n", "last-warn 0\n", "listener \n"}) {
        EXPECT_FALSE(decode_envelope(std::string{kVersion1} + line)) << line;
    }
}

TEST(EnvelopeVersion1, RefusesAVersion2Recipient) {
    std::string const text = replace_line(std::string{kVersion1}, "rcpt", "rcpt c@d u /m 0 ");
    EXPECT_FALSE(decode_envelope(text));
}

TEST(EnvelopeVersion2, DecodesWithTheVersion3FieldsAtTheirDefaults) {
    auto const decoded = decode_envelope(kVersion2);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, version2_sample());
    EXPECT_EQ(decoded->recipients[0].method, QueuedRecipient::Method::Maildir);
    EXPECT_FALSE(decoded->recipients[0].uid.has_value());
    EXPECT_EQ(decoded->last_try, 0);
}

TEST(EnvelopeVersion2, RefusesEachVersion3KeyAndRecipient) {
    for (auto const* line : {"last-try 0\n", "last-warn 0\n"}) {
        EXPECT_FALSE(decode_envelope(std::string{kVersion2} + line)) << line;
    }
    EXPECT_FALSE(
        decode_envelope(replace_line(std::string{kVersion2}, "rcpt", rcpt_line(1, "c@d"))));
}

TEST(EnvelopeVersion3, DecodesWithoutAListener) {
    auto const decoded = decode_envelope(seed("v3-valid"));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(decoded->listener.empty());
    EXPECT_EQ(decoded->last_try, 1700000300);
    EXPECT_EQ(decoded->recipients.size(), 2U);
}

TEST(EnvelopeVersion3, RefusesTheVersion4Key) {
    EXPECT_FALSE(decode_envelope(seed("v3-valid") + "listener 127.0.0.1:25\n"));
    EXPECT_FALSE(decode_envelope(seed("v3-valid") + "listener \n"));
}

TEST(EnvelopeVersion2, RefusesAVersion1Recipient) {
    EXPECT_FALSE(decode_envelope(replace_line(std::string{kVersion2}, "rcpt", "rcpt c@d u /m")));
}

TEST(EnvelopeVersion5, RefusesAnOlderRecipient) {
    std::string const good = encode_envelope(current_sample());
    EXPECT_FALSE(decode_envelope(replace_line(good, "rcpt", "rcpt c@d u /m")));
    EXPECT_FALSE(decode_envelope(replace_line(good, "rcpt", "rcpt c@d u /m 6 rfc822;c+40d")));
    EXPECT_EQ(decode_envelope(replace_line(good, "rcpt", rcpt_line(1, "c@d"))), current_sample());
}

TEST(EnvelopeVersion5, RefusesRecipientsWithTooFewOrTooManyFields) {
    std::string const good = encode_envelope(current_sample());
    std::string const twelve = rcpt_line(13, "x").substr(0, rcpt_line(13, "x").size() - 2);
    for (auto const& rcpt : {rcpt_line(13, "d@e") + " ", rcpt_line(13, "d@e x"), rcpt_line(12, ""),
                             twelve, std::string("rcpt c@d u"), std::string("rcpt ")}) {
        EXPECT_FALSE(decode_envelope(replace_line(good, "rcpt", rcpt))) << rcpt;
    }
}

TEST(EnvelopeVersion5, RefusesAFileWithoutAnyOneOfItsFields) {
    auto const lines = lines_of(encode_envelope(current_sample()));
    ASSERT_EQ(lines.size(), 21U);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        auto without = lines;
        without.erase(without.begin() + static_cast<std::ptrdiff_t>(i));
        EXPECT_FALSE(decode_envelope(join(without))) << lines[i];
    }
}

TEST(EnvelopeVersion5, RefusesADuplicateOfAnySingleField) {
    auto const lines = lines_of(encode_envelope(current_sample()));
    for (auto const& line : lines) {
        if (line.starts_with("rcpt ")) {
            continue;
        }
        EXPECT_FALSE(decode_envelope(join(lines) + line)) << line;
    }
}

TEST(EnvelopeVersion5, TakesFieldsInAnyOrderAfterTheVersion) {
    auto lines = lines_of(encode_envelope(current_sample()));
    std::reverse(lines.begin() + 1, lines.end());
    EXPECT_EQ(decode_envelope(join(lines)), current_sample());
    std::swap(lines[0], lines[1]);
    EXPECT_FALSE(decode_envelope(join(lines)));
}

TEST(EnvelopeStrict, RefusesUnknownVersions) {
    std::string const good = encode_envelope(current_sample());
    for (auto const* version : {"version 0", "version 6", "version", "version 5x", "version -1",
                                "version 4294967298", "version %32 "}) {
        EXPECT_FALSE(decode_envelope(replace_line(good, "version", version))) << version;
    }
    EXPECT_FALSE(decode_envelope("version 5\n"));
    EXPECT_FALSE(decode_envelope(""));
}

TEST(EnvelopeStrict, RefusesUnknownKeysAndTruncation) {
    std::string const good = encode_envelope(current_sample());
    EXPECT_FALSE(decode_envelope(good + "color blue\n"));
    EXPECT_FALSE(decode_envelope(good + "Size 1\n"));
    EXPECT_FALSE(decode_envelope(good + "auth_user x\n"));
    EXPECT_FALSE(decode_envelope(good + "version 2\n"));
    EXPECT_FALSE(decode_envelope(good + "\n"));
    EXPECT_FALSE(decode_envelope(good + "tls\n"));
    EXPECT_FALSE(decode_envelope(good.substr(0, good.size() - 1)));
}

TEST(EnvelopeStrict, RefusesBadEscapesInEveryKindOfField) {
    std::string const good = encode_envelope(current_sample());
    for (auto const& [key, line] : std::vector<std::pair<std::string_view, std::string>>{
             {"helo", "helo a%G1"},
             {"envid", "envid %4"},
             {"auth-user", "auth-user %"},
             {"auth-param", "auth-param a%0a"},
             {"auth-param", "auth-param a\tb"},
             {"envid", "envid a b"},
             {"rcpt", rcpt_line(5, "rfc822;%zz")},
             {"rcpt", rcpt_line(4, "%3")},
             {"rcpt", rcpt_line(3, "/m%0")},
             {"rcpt", rcpt_line(7, "a%")},
             {"rcpt", rcpt_line(10, "/home/%GG")},
             {"rcpt", rcpt_line(6, "%6Ctmp")},
             {"error", "error \x7f"},
         }) {
        EXPECT_FALSE(decode_envelope(replace_line(good, key, line))) << line;
    }
}

TEST(EnvelopeStrict, RefusesValuesOutOfTheirRange) {
    std::string const good = encode_envelope(current_sample());
    for (auto const& [key, line] : std::vector<std::pair<std::string_view, std::string>>{
             {"rcpt", rcpt_line(4, "16")},
             {"rcpt", rcpt_line(4, "255")},
             {"rcpt", rcpt_line(4, "256")},
             {"rcpt", rcpt_line(4, "-1")},
             {"rcpt", rcpt_line(4, "FAILURE")},
             {"rcpt", rcpt_line(4, "")},
             {"rcpt", rcpt_line(6, "MAILDIR")},
             {"rcpt", rcpt_line(6, "RELAY")},
             {"rcpt", rcpt_line(6, "")},
             {"rcpt", rcpt_line(8, "-1")},
             {"rcpt", rcpt_line(8, "4294967296")},
             {"rcpt", rcpt_line(9, "x")},
             {"rcpt", rcpt_line(11, "2")},
             {"rcpt", rcpt_line(12, "")},
             {"last-try", "last-try -1"},
             {"last-try", "last-try "},
             {"last-warn", "last-warn 1x"},
             {"last-warn", "last-warn 9223372036854775808"},
             {"size", "size x"},
             {"size", "size -1"},
             {"size", "size 1k"},
             {"size", "size 18446744073709551616"},
             {"size", "size %20"},
             {"tls", "tls 2"},
             {"tls", "tls "},
             {"smtputf8", "smtputf8 yes"},
             {"body", "body 8bitmime"},
             {"body", "body BINARYMIME"},
             {"ret", "ret hdrs"},
             {"ret", "ret NEVER"},
         }) {
        EXPECT_FALSE(decode_envelope(replace_line(good, key, line))) << line;
    }
}

TEST(EnvelopeStrict, AcceptsEveryNotifyValueInRange) {
    std::string const good = encode_envelope(current_sample());
    for (unsigned notify = 0; notify < 16; ++notify) {
        auto const decoded =
            decode_envelope(replace_line(good, "rcpt", rcpt_line(4, std::to_string(notify))));
        ASSERT_TRUE(decoded.has_value()) << notify;
        EXPECT_EQ(decoded->recipients[0].notify, notify);
    }
}

TEST(EnvelopeStrict, RefusesAnEnvelopeWithoutRecipients) {
    auto const lines = lines_of(encode_envelope(current_sample()));
    std::string text;
    for (auto const& line : lines) {
        if (!line.starts_with("rcpt ")) {
            text += line;
        }
    }
    EXPECT_FALSE(decode_envelope(text));
}

// The committed fuzz seeds are named after what the decoder must make of them.
TEST(EnvelopeSeeds, DecodeOrAreRefusedAsTheirNamesSay) {
    for (auto const& [name, decodes] : std::vector<std::pair<std::string, bool>>{
             {"valid", true},
             {"escaped", true},
             {"v2-valid", true},
             {"v2-escaped", true},
             {"bad-version", false},
             {"v1-with-v2-key", false},
             {"v2-missing-auth-param", false},
             {"v2-notify-out-of-range", false},
             {"v3-valid", true},
             {"v3-escaped", true},
             {"v3-bad-method", false},
             {"v3-v2-recipient", false},
             {"v2-with-v3-key", false},
             {"v4-valid", true},
             {"v3-with-v4-key", false},
             {"v5-valid", true},
             {"v4-with-relay", false},
         }) {
        std::string const text = seed(name);
        ASSERT_FALSE(text.empty()) << name;
        EXPECT_EQ(decode_envelope(text).has_value(), decodes) << name;
    }
}

TEST(EnvelopeSeeds, TheVersion1SeedIsWhatVersion1Wrote) {
    EXPECT_EQ(seed("valid"), kVersion1);
}

// Version 5 wrote what version 4 did but for its number (and the method relay).
TEST(EnvelopeSeeds, TheVersion4And5SeedsAreWhatEachWrites) {
    std::string current = encode_envelope(current_sample());
    EXPECT_EQ(seed("v5-valid"), current);
    ASSERT_TRUE(current.starts_with("version 5\n"));
    current.replace(0, 9, "version 4");
    EXPECT_EQ(seed("v4-valid"), current);
}

TEST(EnvelopeVersion5, RoundTripsARelayRecipientAndVersion4RefusesIt) {
    QueuedEnvelope e = current_sample();
    QueuedRecipient& r = e.recipients[0];
    r = QueuedRecipient{"c@remote.example", "", ""};
    r.method = QueuedRecipient::Method::Relay;
    r.action = "relay";
    r.dest = "d@elsewhere.example";
    std::string text = encode_envelope(e);
    EXPECT_NE(text.find(" relay relay   "), std::string::npos) << text;
    EXPECT_EQ(decode_envelope(text), e);
    text.replace(0, 9, "version 4");
    EXPECT_FALSE(decode_envelope(text));
}

} // namespace
} // namespace smtpd::rt
