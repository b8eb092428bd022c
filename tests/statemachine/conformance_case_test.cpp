// The conformance replay's own parts: the case reader decodes as conformance/runner/smtpconf.py
// does, the matcher follows the runner's rules, and a case the server does not meet fails in
// memory (wrong code, a missing reply, a wrong body, T: with no handshake), so that
// conformance_replay_test.cpp can fail. Depends on: conformance_replay.hpp, GoogleTest.
#include "conformance_replay.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace smtpd::sm::testing {
namespace {

Case read(std::string const& dialogue) {
    std::string const text = "id: t-1\nrfc: 5321 §4\nlevel: MUST\nquote: \"q\"\n---\n" + dialogue;
    auto r = parse_case(text, "test.smtp", integration_facts());
    EXPECT_TRUE(r.value.has_value()) << r.error;
    return r.value ? *r.value : Case{};
}

std::string run(std::string const& dialogue, Listener const& listener = plain_listener()) {
    Case const c = read(dialogue);
    return check_case(c, replay_case(client_stream(c), listener, integration_facts(), {}));
}

TEST(ConformanceCase, ReadsStepsAsTheRunnerDoes) {
    Case const c =
        read("S: 220\nC: RCPT TO:<a@{domain}>\n# comment\n\nR: x\\r\\n\\x41\\0\\\\{ab*3}\n"
             "S: 250 +size | 55x 5.7.*\nT:\nW: 0.5\nM: {id}\\n\n");
    ASSERT_EQ(c.steps.size(), 7U);
    EXPECT_EQ(c.steps[1].bytes, "RCPT TO:<a@localhost>\r\n");
    EXPECT_EQ(c.steps[2].bytes, std::string("x\r\nA\0\\ababab", 12));
    auto const& alts = c.steps[3].expect.alternatives;
    ASSERT_EQ(alts.size(), 2U);
    EXPECT_EQ(alts[0].keywords, std::vector<std::string>{"SIZE"});
    EXPECT_EQ(alts[1].code, "55x");
    EXPECT_EQ(alts[1].enhanced, "5.7.*");
    EXPECT_EQ(c.steps[4].kind, CaseStep::Kind::Tls);
    EXPECT_EQ(c.steps[5].seconds, 0.5);
    EXPECT_EQ(c.steps[6].bytes, "t-1\n");
    ClientStream const s = client_stream(c);
    EXPECT_EQ(s.handshakes, std::vector<std::size_t>{s.bytes.size()});
    EXPECT_EQ(s.writes, std::vector<std::size_t>{s.bytes.size()}); // one write: C: and R:
}

TEST(ConformanceCase, DecodesEscapesAsPythonDoes) {
    EXPECT_EQ(decode_escapes("\\t\\101\\0\\q\\'\\\\"), std::string("\tA\0\\q'\\", 7));
}

TEST(ConformanceCase, RefusesMalformedCases) {
    CaseFacts const facts;
    EXPECT_FALSE(parse_case("id: x\n", "f", facts).value);
    EXPECT_FALSE(parse_case("id: x\nrfc: 1\nlevel: OFTEN\nquote: q\n---\n", "f", facts).value);
    EXPECT_FALSE(
        parse_case("id: x\nrfc: 1\nlevel: MAY\nquote: q\n---\nS: 6xx\n", "f", facts).value);
    EXPECT_FALSE(parse_case("id: x\nrfc: 1\nlevel: MAY\nquote: q\n---\nX: y\n", "f", facts).value);
}

TEST(ConformanceCase, MatchesRepliesAsTheRunnerDoes) {
    auto const expect = [](std::string const& spec) {
        auto r = parse_case("id: x\nrfc: 1\nlevel: MAY\nquote: q\n---\nS: " + spec + "\n", "f", {});
        return r.value->steps.at(0).expect;
    };
    std::vector<std::string> const ehlo{"250-mx.test", "250-SIZE 100", "250 HELP"};
    EXPECT_TRUE(expect("250 +SIZE").matches(ehlo));
    EXPECT_TRUE(expect("2xx +size +HELP").matches(ehlo));
    EXPECT_FALSE(expect("250 +DSN").matches(ehlo));
    EXPECT_FALSE(expect("251").matches(ehlo));
    std::vector<std::string> const refused{"550 5.7.1 relaying denied"};
    EXPECT_TRUE(expect("55x 5.7.* | 55x 5.1.*").matches(refused));
    EXPECT_FALSE(expect("55x 5.1.*").matches(refused));
    EXPECT_FALSE(expect("45x 5.7.*").matches(refused));
    EXPECT_FALSE(expect("550 5.7.10").matches(refused));
    EXPECT_FALSE(expect("closed").matches(refused));
    EXPECT_TRUE(expect("closed | any").matches(refused));
    EXPECT_TRUE(expect("250 | closed").accepts_close());
}

constexpr std::string_view kMail =
    "S: 220\nC: EHLO c.example\nS: 250\nC: MAIL FROM:<a@example.org>\n"
    "S: 250\nC: RCPT TO:<b@{domain}>\nS: 250\nC: DATA\nS: 354\n"
    "C: Subject: {id}\nC:\nC: body\nC: .\nS: 250\n";

TEST(ConformanceReplay, ACaseTheServerMeetsPasses) {
    EXPECT_EQ(run(std::string(kMail) + "M: body\\n\nC: QUIT\nS: 221\nS: closed\n"), "");
    EXPECT_EQ(run("S: 220\nC: EHLO c\nS: 250 +STARTTLS\nR: STARTTLS\\r\\nNOOP\\r\\n\nS: 220\nT:\n"
                  "C: EHLO c\nS: 250 +AUTH\nC: AUTH PLAIN {auth_plain}\nS: 235\n",
                  starttls_auth_listener()),
              "");
}

TEST(ConformanceReplay, ACaseTheServerDoesNotMeetFails) {
    EXPECT_NE(run("S: 220\nC: DATA\nS: 354\n"), "");                              // 503 in truth
    EXPECT_NE(run("S: 220\nC: NOOP\nS: 250\nS: 250\n"), "");                      // one reply only
    EXPECT_NE(run("S: 220\nC: NOOP\nS: 250\nS: closed\n"), "");                   // still open
    EXPECT_NE(run("S: 220\nC: QUIT\nS: 221\nS: 250\n"), "");                      // closed
    EXPECT_NE(run("S: 220\nC: EHLO c\nS: 250 +STARTTLS\n"), "");                  // not offered
    EXPECT_NE(run(std::string(kMail) + "M: other body\\n\n"), "");                // another body
    EXPECT_NE(run("S: 220\nC: MAIL FROM:<a@example.org>\nS: 503\nM: x\n"), "");   // nothing queued
    EXPECT_NE(run("S: 220\nC: RCPT TO:<x@elsewhere.invalid>\nS: 503\nT:\n"), ""); // no STARTTLS
    EXPECT_NE(run("S: 220\nC: EHLO c\nS: 250\nC: MAIL FROM:<a@b.example>\nS: 250\n"
                  "C: RCPT TO:<x@elsewhere.invalid>\nS: 250\n"),
              ""); // relaying is refused
    EXPECT_NE(run("S: 220\nC: EHLO c\nS: 250\nC: STARTTLS\nS: 220\nT:\nC: EHLO c\nS: 250\n"
                  "C: AUTH PLAIN {auth_bad_plain}\nS: 235\n",
                  starttls_auth_listener()),
              ""); // a wrong password is refused
}

} // namespace
} // namespace smtpd::sm::testing
