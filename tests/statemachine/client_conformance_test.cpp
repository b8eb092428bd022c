// Every client-side conformance case (conformance/client, read at test time) replayed in memory
// against sm::ClientConnection: turn by turn (what the client sends after each group of the peer
// server's lines must be the case's C: lines, its results the O: lines), then with the server's
// bytes whole and split in two at every byte offset (a bounded sample for long streams), each
// of which must give the very same record: bytes sent, rows fired, results (Beast's
// parsegrind). Also shows that a case the client does not meet fails. Prints the counts.
// Depends on: client_conformance.hpp, GoogleTest.
#include "client_conformance.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <iostream>

namespace smtpd::sm::testing {
namespace {

std::string const kClientCases = std::string(SMTPD_CONFORMANCE_DIR) + "/client";

Case read(std::string const& header, std::string const& dialogue) {
    std::string const text =
        "id: t-1\nrfc: 5321 §4\nlevel: MUST\nquote: \"q\"\n" + header + "---\n" + dialogue;
    auto r = parse_case(text, "test.smtp", CaseFacts{}, CaseSide::Client);
    EXPECT_TRUE(r.value.has_value()) << r.error;
    return r.value ? *r.value : Case{};
}

std::string run(std::string const& header, std::string const& dialogue) {
    Case const c = read(header, dialogue);
    ClientSetup const setup = client_setup(c);
    EXPECT_EQ(setup.error, "");
    return check_client_case(c, setup).why;
}

constexpr char const* kOneRecipient = "relay: tls none\nmail: <a@example.org>\n"
                                      "rcpt: <b@example.net>\ncontent: hello\n";

constexpr char const* kPlainDialogue = R"(S: 220 mx.example ESMTP
C: EHLO client.example
S: 250 mx.example
C: MAIL FROM:<a@example.org>
S: 250 ok
C: RCPT TO:<b@example.net>
S: 250 ok
C: DATA
S: 354 go
C: hello
C: .
S: 250 queued
C: QUIT
S: 221 bye
)";

TEST(ClientConformanceCase, ReadsTheSetupAndTheMirroredSteps) {
    Case const c = read("relay: tls required helo h.example auth u p auth-in-clear\n"
                        "mail: <a@example.org> BODY=8BITMIME RET=HDRS ENVID=x\n"
                        "rcpt: <b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net\n"
                        "content: line {x*3}\ncontent-raw: raw\\n\n",
                        "S: 220\nR: 250 a\\r\\n\nC: QUIT | closed\nT: fail\nE: timeout\n"
                        "O: <b@example.net> tempfail 4xx 4.4.*\n");
    ClientSetup const s = client_setup(c);
    ASSERT_EQ(s.error, "");
    EXPECT_EQ(s.params.tls, ClientTlsPolicy::Required);
    EXPECT_EQ(s.params.helo, "h.example");
    ASSERT_TRUE(s.params.credentials.has_value());
    EXPECT_EQ(s.params.credentials->password, "p");
    EXPECT_TRUE(s.params.auth_in_clear);
    ASSERT_EQ(s.messages.size(), 1U);
    auto const& m = s.messages.front();
    EXPECT_EQ(m.mail.body, Body::EightBitMime);
    EXPECT_EQ(m.mail.ret, Ret::Headers);
    EXPECT_EQ(m.mail.envid, "x");
    ASSERT_EQ(m.recipients.size(), 1U);
    EXPECT_EQ(m.recipients[0].options.notify, kNotifySuccess | kNotifyFailure);
    EXPECT_EQ(m.recipients[0].options.orcpt, "rfc822;b@example.net");
    EXPECT_EQ(m.content, "line xxx\r\nraw\n");
    ASSERT_EQ(c.steps.size(), 6U);
    EXPECT_EQ(c.steps[0].bytes, "220\r\n");
    EXPECT_EQ(c.steps[1].bytes, "250 a\r\n");
    EXPECT_EQ(c.steps[2].alternatives, (std::vector<std::string>{"QUIT\r\n", ""}));
    EXPECT_EQ(c.steps[3].bytes, "fail");
    EXPECT_EQ(c.steps[4].kind, CaseStep::Kind::Event);
    EXPECT_EQ(c.steps[5].bytes, "<b@example.net> tempfail");
    EXPECT_EQ(c.steps[5].expect.spec, "4xx 4.4.*");
}

TEST(ClientConformanceCase, RefusesMalformedClientCases) {
    std::string const head = "id: x\nrfc: 1\nlevel: MAY\nquote: q\n";
    EXPECT_FALSE(parse_case(head + "---\nM: x\n", "f", {}, CaseSide::Client).value);
    EXPECT_FALSE(parse_case(head + "---\nT: maybe\n", "f", {}, CaseSide::Client).value);
    EXPECT_FALSE(parse_case(head + "---\nO: <a@b> lost\n", "f", {}, CaseSide::Client).value);
    EXPECT_FALSE(parse_case(head + "mail: <a@b>\n---\n", "f", {}, CaseSide::Server).value);
    Case const c = read("relay: tls sometimes-maybe colour blue\n", "");
    EXPECT_NE(client_setup(c).error, "");
}

TEST(ClientConformanceCase, AMetCasePasses) {
    EXPECT_EQ(run(kOneRecipient, std::string(kPlainDialogue) + "O: <b@example.net> delivered 250"),
              "");
}

TEST(ClientConformanceCase, ACaseTheClientDoesNotMeetFails) {
    // A wrong line, a missing line, a wrong result, a missing result, T: with no handshake.
    std::string const d = kPlainDialogue;
    std::string const ok = "O: <b@example.net> delivered 250\n";
    auto edit = [&](std::string const& from, std::string const& to) {
        std::string s = d + ok;
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    EXPECT_NE(run(kOneRecipient, edit("C: DATA", "C: BDAT")), "");
    EXPECT_NE(run(kOneRecipient, edit("C: QUIT\n", "")), "");
    EXPECT_NE(run(kOneRecipient, edit("delivered 250", "permfail")), "");
    EXPECT_NE(run(kOneRecipient, edit("delivered 250", "delivered 251")), "");
    EXPECT_NE(run(kOneRecipient, d), "");
    EXPECT_NE(run(kOneRecipient, edit("C: DATA\n", "C: DATA\nT: ok\n")), "");
    // `closed` matches only a client that has closed.
    EXPECT_NE(run(kOneRecipient, edit("C: QUIT\n", "C: closed\n")), "");
    EXPECT_EQ(run(kOneRecipient, edit("C: QUIT\n", "C: closed | QUIT\n")), "");
}

struct Counts {
    std::size_t replayed = 0;
    std::size_t splits = 0;
    std::size_t sampled = 0;
};

std::string replay_every_way(Case const& c, Counts& counts) {
    ClientSetup const setup = client_setup(c);
    if (!setup.error.empty()) {
        return setup.error;
    }
    ClientCheck const turns = check_client_case(c, setup);
    if (!turns.why.empty()) {
        return "turn by turn: " + turns.why;
    }
    ServerStream const stream = server_stream(c);
    if (replay_client(stream, setup, {}) != turns.record) {
        return "the server's bytes whole give another record than turn by turn";
    }
    auto const offsets = split_offsets(stream.bytes.size());
    counts.sampled += offsets.size() <= stream.bytes.size() ? 1 : 0;
    for (std::size_t const at : offsets) {
        std::array<std::size_t, 1> const cut{at};
        ++counts.splits;
        if (replay_client(stream, setup, cut) != turns.record) {
            return "split at offset " + std::to_string(at) + " of " +
                   std::to_string(stream.bytes.size()) + " gives another record";
        }
    }
    return "";
}

TEST(ClientConformance, EveryCaseTurnByTurnWholeAndSplitAtEveryOffset) {
    std::vector<std::string> errors;
    auto const cases = read_cases(kClientCases, CaseFacts{}, CaseSide::Client, errors);
    for (auto const& e : errors) {
        ADD_FAILURE() << e;
    }
    ASSERT_GE(cases.size(), 40U) << "no client conformance cases under " << kClientCases;
    Counts counts;
    std::vector<std::string> ids;
    for (auto const& c : cases) {
        if (std::ranges::find(ids, c.id) != ids.end()) {
            ADD_FAILURE() << c.path << ": duplicate id " << c.id;
        }
        ids.push_back(c.id);
        if (auto const why = replay_every_way(c, counts); !why.empty()) {
            ADD_FAILURE() << c.id << " (" << c.path << "): " << why;
            continue;
        }
        ++counts.replayed;
    }
    std::cout << "client conformance in memory: " << cases.size() << " cases, " << counts.replayed
              << " replayed (" << counts.splits << " splits; " << counts.sampled
              << " long streams split at a sample of offsets)\n";
}

} // namespace
} // namespace smtpd::sm::testing
