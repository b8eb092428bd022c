// Bounces: the exact DSN text, its MIME structure re-parsed (RFC 3464 §2, RFC 2046 §5.1), what
// is returned of the original (RFC 3461 §4.3, §6.2), the RFC 3461 rules on sending one at all,
// and properties over any bytes: lines CRLF-terminated and at most 998 octets, no injected field,
// group or part.
#include "queue/bounce.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace smtpd::rt {
namespace {

using std::chrono::seconds;

constexpr SysSeconds kSent{seconds{1700003600}};

QueuedEnvelope envelope() {
    QueuedEnvelope e;
    e.id = "0123456789abcdef";
    e.created = 1700000000;
    e.sender = "alice@example.org";
    e.recipients = {
        {"bob@example.net", "bob", "/m", kQueuedNotifyFailure, "rfc822;bob+40example.net"}};
    e.envid = "QQ314159";
    return e;
}

DsnRecipient bob() {
    return DsnRecipient{"bob@example.net",
                        "rfc822;bob+40example.net",
                        DsnKind::Failure,
                        "5.1.1",
                        "550 5.1.1 <bob@example.net>: no such user",
                        "mx.example.net",
                        kSent - seconds{600}};
}

BounceReport report(std::vector<DsnRecipient> recipients = {bob()}) {
    return BounceReport{"mx.example.com", kSent, "20231114231320.abc@mx.example.com", std::nullopt,
                        std::move(recipients)};
}

constexpr std::string_view kOriginal = "From: alice@example.org\r\nSubject: hi\r\n\r\nHello\r\n";

struct Part {
    std::string headers;
    std::string body;
};

struct Mime {
    std::string headers;
    std::string boundary;
    std::vector<Part> parts;
};

// A strict reader of what build_bounce writes: one multipart, delimiters on their own lines.
Mime parse(std::string const& msg) {
    Mime m;
    std::size_t const end = msg.find("\r\n\r\n");
    m.headers = msg.substr(0, end + 2);
    std::size_t const b = m.headers.find("boundary=\"") + 10;
    m.boundary = m.headers.substr(b, m.headers.find('"', b) - b);
    std::string const delimiter = "\r\n--" + m.boundary;
    std::size_t at = msg.find(delimiter);
    while (at != std::string::npos && msg.compare(at + delimiter.size(), 2, "--") != 0) {
        std::size_t const start = at + delimiter.size() + 2;
        at = msg.find(delimiter, start);
        std::string const text = msg.substr(start, at - start);
        std::size_t const split = text.find("\r\n\r\n");
        m.parts.push_back({text.substr(0, split + 2), text.substr(split + 4)});
    }
    EXPECT_EQ(msg.substr(at), delimiter + "--\r\n");
    return m;
}

std::size_t count(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

TEST(Bounce, WritesTheWholeFailureNotice) {
    std::string const msg = build_bounce(envelope(), report(), kOriginal);
    std::string const b = parse(msg).boundary;
    EXPECT_EQ(b.substr(0, 8), "=_smtpd_");
    EXPECT_EQ(b.size(), 24U);
    EXPECT_EQ(msg, "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n"
                   "To: <alice@example.org>\r\n"
                   "Subject: Delivery status notification: error\r\n"
                   "Date: Tue, 14 Nov 2023 23:13:20 +0000\r\n"
                   "Message-ID: <20231114231320.abc@mx.example.com>\r\n"
                   "Auto-Submitted: auto-replied\r\n"
                   "MIME-Version: 1.0\r\n"
                   "Content-Type: multipart/report; report-type=delivery-status;\r\n"
                   " boundary=\"" +
                       b +
                       "\"\r\n"
                       "Content-Transfer-Encoding: 7bit\r\n"
                       "\r\n"
                       "This is a MIME-encapsulated message (RFC 3464 delivery status "
                       "notification).\r\n"
                       "\r\n--" +
                       b +
                       "\r\n"
                       "Content-Type: text/plain; charset=us-ascii\r\n"
                       "\r\n"
                       "This is the mail system at mx.example.com.\r\n"
                       "\r\n"
                       "Your message could not be delivered to the recipients marked \"failed\" "
                       "below;\r\n"
                       "it will not be retried for them.\r\n"
                       "\r\n"
                       "  bob@example.net (failed, 5.1.1)\r\n"
                       "    550 5.1.1 <bob@example.net>: no such user\r\n"
                       "\r\n--" +
                       b +
                       "\r\n"
                       "Content-Type: message/delivery-status\r\n"
                       "\r\n"
                       "Original-Envelope-Id: QQ314159\r\n"
                       "Reporting-MTA: dns; mx.example.com\r\n"
                       "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                       "\r\n"
                       "Original-Recipient: rfc822; bob@example.net\r\n"
                       "Final-Recipient: rfc822; bob@example.net\r\n"
                       "Action: failed\r\n"
                       "Status: 5.1.1\r\n"
                       "Remote-MTA: dns; mx.example.net\r\n"
                       "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: no such user\r\n"
                       "Last-Attempt-Date: Tue, 14 Nov 2023 23:03:20 +0000\r\n"
                       "\r\n--" +
                       b +
                       "\r\n"
                       "Content-Type: message/rfc822\r\n"
                       "\r\n"
                       "From: alice@example.org\r\n"
                       "Subject: hi\r\n"
                       "\r\n"
                       "Hello\r\n"
                       "\r\n--" +
                       b + "--\r\n");
}

TEST(Bounce, DelayNoticeReturnsHeadersAndRetryDate) {
    DsnRecipient r = bob();
    r.kind = DsnKind::Delay;
    r.status = "4.4.1";
    r.diagnostic = "421 4.4.1 try later";
    BounceReport rep = report({r});
    rep.retry_until = kSent + std::chrono::hours{24};
    QueuedEnvelope e = envelope();
    e.ret = kRetFull;
    Mime const m = parse(build_bounce(e, rep, kOriginal));
    EXPECT_NE(m.headers.find("Subject: Delivery status notification: delay\r\n"),
              std::string::npos);
    ASSERT_EQ(m.parts.size(), 3U);
    EXPECT_NE(m.parts[1].body.find("Action: delayed\r\nStatus: 4.4.1\r\n"), std::string::npos);
    EXPECT_NE(m.parts[1].body.find("Will-Retry-Until: Wed, 15 Nov 2023 23:13:20 +0000\r\n"),
              std::string::npos);
    EXPECT_EQ(m.parts[2].headers, "Content-Type: text/rfc822-headers\r\n");
    EXPECT_EQ(m.parts[2].body, "From: alice@example.org\r\nSubject: hi\r\n");
}

// RFC 3461 §6.2.3: relayed to a next hop without DSN, NOTIFY=SUCCESS asked.
TEST(Bounce, RelayedNoticeSaysRelayedWithTheNextHopAndOnlyTheHeaders) {
    DsnRecipient r = bob();
    r.kind = DsnKind::Relayed;
    r.status = "";
    r.diagnostic = "250 2.0.0 queued as 42";
    r.remote_mta = "mx1.example.net";
    BounceReport rep = report({r});
    rep.retry_until = kSent;
    Mime const m = parse(build_bounce(envelope(), rep, kOriginal));
    EXPECT_NE(m.headers.find("Subject: Delivery status notification: relayed\r\n"),
              std::string::npos);
    ASSERT_EQ(m.parts.size(), 3U);
    EXPECT_NE(m.parts[0].body.find("(relayed, 2.0.0)"), std::string::npos);
    EXPECT_NE(m.parts[1].body.find("Action: relayed\r\nStatus: 2.0.0\r\n"
                                   "Remote-MTA: dns; mx1.example.net\r\n"),
              std::string::npos);
    EXPECT_EQ(m.parts[1].body.find("Will-Retry-Until"), std::string::npos);
    EXPECT_EQ(m.parts[2].headers, "Content-Type: text/rfc822-headers\r\n");
}

TEST(Bounce, FailureNeverCarriesWillRetryUntil) {
    BounceReport rep = report();
    rep.retry_until = kSent;
    EXPECT_EQ(build_bounce(envelope(), rep, kOriginal).find("Will-Retry-Until"), std::string::npos);
}

TEST(Bounce, RetHdrsReturnsOnlyTheHeaderSection) {
    QueuedEnvelope e = envelope();
    e.ret = kRetHdrs;
    Mime const m = parse(build_bounce(e, report(), kOriginal));
    ASSERT_EQ(m.parts.size(), 3U);
    EXPECT_EQ(m.parts[2].headers, "Content-Type: text/rfc822-headers\r\n");
    EXPECT_EQ(m.parts[2].body, "From: alice@example.org\r\nSubject: hi\r\n");
}

TEST(Bounce, LargeOriginalFallsBackToHeaders) {
    std::string original(kOriginal);
    original += std::string(kMaxReturnedMessage, 'x');
    Mime const m = parse(build_bounce(envelope(), report(), original));
    EXPECT_EQ(m.parts[2].headers, "Content-Type: text/rfc822-headers\r\n");
    EXPECT_EQ(m.parts[2].body, "From: alice@example.org\r\nSubject: hi\r\n");
}

TEST(Bounce, HugeHeaderSectionIsCutAtALineEnd) {
    std::string original;
    while (original.size() < 2 * kMaxReturnedHeaders) {
        original += "X-Filler: 0123456789012345678901234567890123456789\r\n";
    }
    QueuedEnvelope e = envelope();
    e.ret = kRetHdrs;
    Mime const m = parse(build_bounce(e, report(), original + "\r\nbody\r\n"));
    EXPECT_EQ(m.parts[2].headers, "Content-Type: text/rfc822-headers\r\n");
    EXPECT_LE(m.parts[2].body.size(), kMaxReturnedHeaders);
    EXPECT_EQ(m.parts[2].body.substr(m.parts[2].body.size() - 4), "89\r\n");
}

TEST(Bounce, OmitsOptionalFieldsWithoutTheirParameters) {
    QueuedEnvelope e = envelope();
    e.envid.clear();
    DsnRecipient r = bob();
    r.orcpt.clear();
    r.remote_mta.clear();
    r.last_attempt.reset();
    std::string const msg = build_bounce(e, report({r}), "");
    EXPECT_EQ(msg.find("Original-Envelope-Id"), std::string::npos);
    EXPECT_EQ(msg.find("Original-Recipient"), std::string::npos);
    EXPECT_EQ(msg.find("Remote-MTA"), std::string::npos);
    EXPECT_EQ(msg.find("Last-Attempt-Date"), std::string::npos);
    EXPECT_EQ(parse(msg).parts.size(), 2U);
}

TEST(Bounce, DecodesXtextOfEnvidAndOrcpt) {
    QueuedEnvelope e = envelope();
    e.envid = "a+2Bb+0D+0AX-Injected:+20x+zz";
    DsnRecipient r = bob();
    r.orcpt = "rfc822;b+2Bc+40example.net";
    Mime const m = parse(build_bounce(e, report({r}), kOriginal));
    EXPECT_NE(m.parts[1].body.find("Original-Envelope-Id: a+b??X-Injected: x+zz\r\n"),
              std::string::npos);
    EXPECT_NE(m.parts[1].body.find("Original-Recipient: rfc822; b+c@example.net\r\n"),
              std::string::npos);
}

TEST(Bounce, MultiLineReplyIsContinuedAndLocalErrorsAreNotSmtp) {
    DsnRecipient r = bob();
    r.diagnostic = "550-mailbox unavailable\r\n550 user has moved\r\n";
    DsnRecipient local = bob();
    local.address = "carol@example.net";
    local.diagnostic = "maildir: permission denied";
    Mime const m = parse(build_bounce(envelope(), report({r, local}), kOriginal));
    EXPECT_NE(m.parts[1].body.find("Diagnostic-Code: smtp; 550-mailbox unavailable\r\n"
                                   " 550 user has moved\r\n"),
              std::string::npos);
    EXPECT_NE(m.parts[1].body.find("Diagnostic-Code: X-Smtpd; maildir: permission denied\r\n"),
              std::string::npos);
}

TEST(Bounce, MalformedStatusBecomesGenericCode) {
    DsnRecipient failed = bob();
    failed.status = "5.1.1\r\nAction: delivered";
    DsnRecipient delayed = bob();
    delayed.kind = DsnKind::Delay;
    delayed.status = "4.1234.1";
    Mime const m = parse(build_bounce(envelope(), report({failed, delayed}), kOriginal));
    EXPECT_NE(m.parts[1].body.find("Status: 5.0.0\r\n"), std::string::npos);
    EXPECT_NE(m.parts[1].body.find("Status: 4.0.0\r\n"), std::string::npos);
    EXPECT_EQ(count(m.parts[1].body, "Action: delivered"), 0U);
}

TEST(Bounce, InjectionInDiagnosticAndAddressesIsNeutralised) {
    QueuedEnvelope e = envelope();
    e.sender = "alice@example.org>\r\nBcc: victim@example.com\r\n\r\n";
    DsnRecipient r = bob();
    r.address = "bob@example.net\r\nAction: delivered";
    r.diagnostic = "550 no\r\n\r\nFinal-Recipient: rfc822; evil@x\nAction: delivered\r\n\r\n";
    r.remote_mta = "mx\r\nReporting-MTA: dns; evil";
    std::string const msg = build_bounce(e, report({r}), kOriginal);
    Mime const m = parse(msg);
    EXPECT_EQ(count(m.headers, "\r\nBcc:"), 0U);
    EXPECT_NE(m.headers.find("To: <alice@example.org>??Bcc: victim@example.com????"
                             ">\r\n"),
              std::string::npos);
    ASSERT_EQ(m.parts.size(), 3U);
    EXPECT_EQ(count(m.parts[1].body, "\r\nFinal-Recipient:"), 1U);
    EXPECT_EQ(count(m.parts[1].body, "\r\nAction:"), 1U);
    EXPECT_EQ(count(m.parts[1].body, "\r\nReporting-MTA:"), 1U);
    EXPECT_EQ(count(m.parts[1].body, "\r\n\r\n"), 1U);
    EXPECT_NE(m.parts[1].body.find("Diagnostic-Code: smtp; 550 no\r\n"
                                   " Final-Recipient: rfc822; evil@x\r\n"
                                   " Action: delivered\r\n"),
              std::string::npos);
}

TEST(Bounce, BoundaryAvoidsOriginalContent) {
    std::string const first = parse(build_bounce(envelope(), report(), kOriginal)).boundary;
    std::string const original = std::string(kOriginal) + "--" + first + "\r\n" + first + "--\r\n";
    std::string const msg = build_bounce(envelope(), report(), original);
    Mime const m = parse(msg);
    EXPECT_NE(m.boundary, first);
    ASSERT_EQ(m.parts.size(), 3U);
    EXPECT_EQ(m.parts[2].body, original);
}

TEST(Bounce, OriginalIsNormalisedToCrlfLinesOfAtMost998Octets) {
    std::string const original = "Subject: x\n\nbare lf\rbare cr\r\n" + std::string(2000, 'y');
    Mime const m = parse(build_bounce(envelope(), report(), original));
    EXPECT_EQ(m.parts[2].body, "Subject: x\r\n\r\nbare lf\r\nbare cr\r\n" + std::string(998, 'y') +
                                   "\r\n" + std::string(998, 'y') + "\r\nyyyy\r\n");
}

TEST(Bounce, EightBitOriginalIsLabelled) {
    std::string const original = "Subject: caf\xc3\xa9\r\n\r\n\xff\r\n";
    Mime const m = parse(build_bounce(envelope(), report(), original));
    EXPECT_NE(m.headers.find("Content-Transfer-Encoding: 8bit\r\n"), std::string::npos);
    EXPECT_EQ(m.parts[2].headers,
              "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n");
}

TEST(BounceRules, NeverToTheNullSender) {
    for (unsigned notify = 0; notify <= kQueuedNotifyMask; ++notify) {
        EXPECT_FALSE(dsn_wanted("", static_cast<std::uint8_t>(notify), DsnKind::Failure));
        EXPECT_FALSE(dsn_wanted("", static_cast<std::uint8_t>(notify), DsnKind::Delay));
        EXPECT_FALSE(dsn_wanted("", static_cast<std::uint8_t>(notify), DsnKind::Relayed));
    }
}

TEST(BounceRules, FollowNotify) {
    std::string_view const s = "a@example.org";
    EXPECT_TRUE(dsn_wanted(s, 0, DsnKind::Failure));
    EXPECT_TRUE(dsn_wanted(s, 0, DsnKind::Delay));
    EXPECT_FALSE(dsn_wanted(s, kQueuedNotifyNever, DsnKind::Failure));
    EXPECT_FALSE(dsn_wanted(s, kQueuedNotifyNever, DsnKind::Delay));
    EXPECT_TRUE(dsn_wanted(s, kQueuedNotifyFailure, DsnKind::Failure));
    EXPECT_FALSE(dsn_wanted(s, kQueuedNotifyFailure, DsnKind::Delay));
    EXPECT_FALSE(dsn_wanted(s, kQueuedNotifyDelay, DsnKind::Failure));
    EXPECT_TRUE(dsn_wanted(s, kQueuedNotifyDelay, DsnKind::Delay));
    EXPECT_FALSE(dsn_wanted(s, kQueuedNotifySuccess, DsnKind::Failure));
    EXPECT_FALSE(dsn_wanted(s, kQueuedNotifySuccess, DsnKind::Delay));
    // A success (relayed) notice only when asked for.
    EXPECT_FALSE(dsn_wanted(s, 0, DsnKind::Relayed));
    EXPECT_FALSE(dsn_wanted(s, kQueuedNotifyFailure | kQueuedNotifyDelay, DsnKind::Relayed));
    EXPECT_TRUE(dsn_wanted(s, kQueuedNotifySuccess, DsnKind::Relayed));
    EXPECT_FALSE(dsn_wanted(s, kQueuedNotifyNever, DsnKind::Relayed));
}

bool lines_are_well_formed(std::string const& msg) {
    if (msg.size() < 2 || msg.substr(msg.size() - 2) != "\r\n") {
        return false;
    }
    std::size_t start = 0;
    while (start < msg.size()) {
        std::size_t const end = msg.find("\r\n", start);
        std::string_view const line = std::string_view(msg).substr(start, end - start);
        if (line.size() > 998 || line.find_first_of("\r\n") != std::string_view::npos) {
            return false;
        }
        start = end + 2;
    }
    return true;
}

RC_GTEST_PROP(BounceProps, AnyBytesGiveWellFormedLinesAndOneGroupPerRecipient,
              (std::string sender, std::string envid, std::string original,
               std::vector<std::string> diagnostics, std::string address, std::string orcpt,
               std::string status, bool hdrs)) {
    QueuedEnvelope e = envelope();
    e.sender = sender;
    e.envid = envid;
    e.ret = hdrs ? std::string(kRetHdrs) : std::string();
    std::vector<DsnRecipient> rs;
    for (auto const& d : diagnostics) {
        auto const kind = *rc::gen::element(DsnKind::Failure, DsnKind::Delay);
        rs.push_back({address + std::string(*rc::gen::inRange<std::size_t>(0, 1200), 'a'), orcpt,
                      kind, status, d + std::string(*rc::gen::inRange<std::size_t>(0, 1200), 'd'),
                      address, kSent});
    }
    rs.push_back(bob());
    std::string const msg = build_bounce(e, report(rs), original);
    RC_ASSERT(lines_are_well_formed(msg));
    Mime const m = parse(msg);
    RC_ASSERT(m.parts.size() == (original.empty() ? 2U : 3U));
    RC_ASSERT(count("\r\n" + m.parts[1].body, "\r\nFinal-Recipient:") == rs.size());
    RC_ASSERT(count(m.parts[1].body, "\r\n\r\n") == rs.size());
}

} // namespace
} // namespace smtpd::rt
