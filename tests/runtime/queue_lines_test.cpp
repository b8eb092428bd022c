// smtpctl's queue ids (common/queue_id.hpp) and what the queue prints about a recipient
// (queue/queue_lines.hpp): ids parse only in their two lengths, evpids stay the same while other
// recipients leave, the show queue line has OpenSMTPD's 14 fields whatever the bytes, and the
// removal log line and durations are OpenSMTPD's.
#include "common/queue_id.hpp"
#include "queue/queue_lines.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace smtpd::rt {
namespace {

std::string const kMsgid = "0123456789abcdef";

std::vector<std::string> fields_of(std::string const& line) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
        auto const bar = line.find('|', start);
        fields.push_back(line.substr(start, bar - start));
        if (bar == std::string::npos) {
            return fields;
        }
        start = bar + 1;
    }
}

QueuedRecipient recipient(std::string address) {
    QueuedRecipient r;
    r.address = std::move(address);
    r.user = "bob";
    r.target = "/home/bob/Maildir";
    return r;
}

QueuedEnvelope envelope() {
    QueuedEnvelope e;
    e.id = kMsgid;
    e.created = 1000;
    e.client_address = "127.0.0.1";
    e.sender = "alice@example.org";
    e.recipients = {recipient("bob@example.org"), recipient("carol@example.org")};
    e.attempts = 2;
    e.last_try = 1500;
    e.last_error = "mailbox busy";
    return e;
}

TEST(QueueTarget, ParsesAllAMsgidAndAnEvpid) {
    EXPECT_EQ(parse_queue_target("all"), (QueueTarget{QueueTarget::Kind::All, "", 0}));
    EXPECT_EQ(parse_queue_target(kMsgid), (QueueTarget{QueueTarget::Kind::Message, kMsgid, 0}));
    EXPECT_EQ(parse_queue_target(kMsgid + "89abcdef"),
              (QueueTarget{QueueTarget::Kind::Envelope, kMsgid, 0x89abcdefU}));
}

TEST(QueueTarget, UpperCaseHexIsReadAsTheSpoolWritesIt) {
    EXPECT_EQ(parse_queue_target("0123456789ABCDEF00000001"),
              (QueueTarget{QueueTarget::Kind::Envelope, kMsgid, 1}));
}

TEST(QueueTarget, RefusesOtherLengthsAndNonHex) {
    for (std::string const bad :
         {"", "al", "ALL", "0123456789abcde", "0123456789abcdef0", "01234567",
          "0123456789abcdef89abcde", "0123456789abcdeg", "0123456789abcdef89abcdef0",
          "0x23456789abcdef", "+123456789abcdef", " 123456789abcdef"}) {
        EXPECT_FALSE(parse_queue_target(bad).has_value()) << bad;
    }
}

TEST(QueueTarget, AnEvpidFormatsBackToItself) {
    std::string const evpid = format_evpid(kMsgid, 0x0000abcdU);
    EXPECT_EQ(evpid, kMsgid + "0000abcd");
    EXPECT_EQ(parse_queue_target(evpid)->recipient, 0x0000abcdU);
}

TEST(QueueTarget, CountLineIsPluralOnlyAboveOne) {
    EXPECT_EQ(count_line(0, "envelope", "removed"), "0 envelope removed");
    EXPECT_EQ(count_line(1, "envelope", "removed"), "1 envelope removed");
    EXPECT_EQ(count_line(3, "message", "scheduled"), "3 messages scheduled");
}

TEST(QueueEvpid, StaysTheSameWhenAnotherRecipientLeaves) {
    QueuedEnvelope e = envelope();
    std::string const carol = evpid_of(e.id, e.recipients.at(1));
    EXPECT_NE(evpid_of(e.id, e.recipients.at(0)), carol);
    e.recipients.erase(e.recipients.begin());
    EXPECT_EQ(evpid_of(e.id, e.recipients.at(0)), carol);
    // and does not depend on what the envelope records about attempts
    e.attempts = 9;
    e.last_error = "other";
    EXPECT_EQ(evpid_of(e.id, e.recipients.at(0)), carol);
}

TEST(QueueEvpid, ParsesToATargetThatNamesOnlyItsRecipient) {
    QueuedEnvelope const e = envelope();
    auto const target = parse_queue_target(evpid_of(e.id, e.recipients.at(1)));
    ASSERT_TRUE(target.has_value());
    EXPECT_FALSE(names(*target, e.id, e.recipients.at(0)));
    EXPECT_TRUE(names(*target, e.id, e.recipients.at(1)));
    EXPECT_FALSE(names(*target, "fedcba9876543210", e.recipients.at(1)));
    auto const message = parse_queue_target(e.id);
    EXPECT_TRUE(names(*message, e.id, e.recipients.at(0)));
    EXPECT_FALSE(names(*message, "fedcba9876543210", e.recipients.at(0)));
    EXPECT_TRUE(names(*parse_queue_target("all"), "fedcba9876543210", e.recipients.at(0)));
}

TEST(ShowQueueLine, HasOpenSmtpdsFields) {
    QueuedEnvelope const e = envelope();
    std::string const line = show_queue_line(e, e.recipients.at(0), 1000 + 345600, {false, 120});
    EXPECT_EQ(
        fields_of(line),
        (std::vector<std::string>{evpid_of(kMsgid, e.recipients.at(0)), "inet4", "mda", "",
                                  "alice@example.org", "bob@example.org", "bob@example.org", "1000",
                                  "346600", "1500", "2", "pending", "120", "mailbox busy"}));
}

TEST(ShowQueueLine, NamesFamilyFlagsNullSenderDestinationAndInflight) {
    QueuedEnvelope e = envelope();
    e.client_address = "::1";
    e.auth_user = "alice";
    e.sender = "";
    e.recipients.at(0).dest = "robert@example.org";
    e.recipients.at(0).method = QueuedRecipient::Method::Lmtp;
    auto fields = fields_of(show_queue_line(e, e.recipients.at(0), 0, {true, 7}));
    ASSERT_EQ(fields.size(), 14U);
    EXPECT_EQ(fields[1], "inet6");
    EXPECT_EQ(fields[2], "mda");
    EXPECT_EQ(fields[3], "auth");
    EXPECT_EQ(fields[4], "@");
    EXPECT_EQ(fields[5], "bob@example.org");
    EXPECT_EQ(fields[6], "robert@example.org");
    EXPECT_EQ(fields[11], "inflight");
    EXPECT_EQ(fields[12], "7");
    e.client_address = "";
    EXPECT_EQ(fields_of(show_queue_line(e, e.recipients.at(0), 0, {}))[1], "local");
}

TEST(ShowQueueLine, EscapesBytesThatCouldBreakTheLine) {
    QueuedEnvelope e = envelope();
    e.last_error = "a|b\nc\\d\x7f\xc3\xa9";
    e.sender = "x|y@example.org";
    auto const line = show_queue_line(e, e.recipients.at(0), 0, {});
    EXPECT_EQ(line.find('\n'), std::string::npos);
    auto const fields = fields_of(line);
    ASSERT_EQ(fields.size(), 14U);
    EXPECT_EQ(fields[4], "x\\174y@example.org");
    EXPECT_EQ(fields[13], "a\\174b\\012c\\\\d\\177\\303\\251");
}

TEST(DurationText, IsOpenSmtpdsForm) {
    EXPECT_EQ(duration_text(0), "0s");
    EXPECT_EQ(duration_text(45), "45s");
    EXPECT_EQ(duration_text(3720), "1h2m");
    EXPECT_EQ(duration_text(3 * 86400 + 4 * 3600 + 5 * 60 + 6), "3d4h5m6s");
    EXPECT_EQ(duration_text(-61), "-1m1s");
    EXPECT_FALSE(duration_text(std::numeric_limits<std::int64_t>::min()).empty());
}

TEST(RemovedLine, IsOpenSmtpdsQueueLog) {
    QueuedEnvelope e = envelope();
    std::string const evpid = evpid_of(kMsgid, e.recipients.at(0));
    EXPECT_EQ(removed_line(e, e.recipients.at(0), 1000 + 3725),
              "delivery: Remove for " + evpid +
                  ": from=<alice@example.org>, to=<bob@example.org>, rcpt=<->, delay=1h2m5s, "
                  "stat=Removed by administrator");
    e.recipients.at(0).dest = "robert@example.org";
    std::string const aliased = removed_line(e, e.recipients.at(0), 1000);
    EXPECT_NE(aliased.find("to=<robert@example.org>, rcpt=<bob@example.org>, delay=0s"),
              std::string::npos)
        << aliased;
    // A created time from a damaged file does not overflow.
    e.created = std::numeric_limits<std::int64_t>::min();
    EXPECT_NE(removed_line(e, e.recipients.at(0), 1000).find("delay="), std::string::npos);
}

} // namespace
} // namespace smtpd::rt
