// batch_at (runtime/queue/recipient_batches.hpp): the Maildir recipients of a message go
// together, up to kLocalBatch and each file name once; an mda, mbox or LMTP recipient goes
// alone; relayed ones go together by domain and relay action. delivery_name is stable across
// attempts and differs between recipients.
#include "queue/recipient_batches.hpp"

#include <gtest/gtest.h>

namespace smtpd::rt {
namespace {

using Method = QueuedRecipient::Method;
using Batch = std::vector<std::uint32_t>;

QueuedRecipient rcpt(std::string address, Method method, std::string target = "/m/Maildir") {
    QueuedRecipient r;
    r.address = std::move(address);
    r.user = "u";
    r.target = std::move(target);
    r.method = method;
    r.action = "a";
    return r;
}

QueuedEnvelope envelope(std::vector<QueuedRecipient> rcpts) {
    QueuedEnvelope e;
    e.id = "0123456789abcdef";
    e.created = 1700000000;
    e.recipients = std::move(rcpts);
    return e;
}

TEST(RecipientBatches, MaildirRecipientsGoTogetherPastOtherMethods) {
    auto const e = envelope({rcpt("a@x", Method::Maildir), rcpt("b@x", Method::Mda),
                             rcpt("c@x", Method::Maildir, "/n/Maildir"), rcpt("d@x", Method::Relay),
                             rcpt("e@x", Method::Maildir)});
    EXPECT_EQ(batch_at(e, 0), (Batch{0, 2, 4}));
    EXPECT_EQ(batch_at(e, 1), (Batch{1}));
    EXPECT_EQ(batch_at(e, 3), (Batch{3}));
}

TEST(RecipientBatches, AFileNameIsInABatchOnce) {
    auto const e = envelope({rcpt("a@x", Method::Maildir), rcpt("a@x", Method::Maildir),
                             rcpt("a@x", Method::Maildir, "/other/Maildir")});
    EXPECT_EQ(batch_at(e, 0), (Batch{0, 2}));
    EXPECT_EQ(batch_at(e, 1), (Batch{1, 2}));
    EXPECT_EQ(delivery_name(e, e.recipients[0]), delivery_name(e, e.recipients[1]));
    EXPECT_NE(delivery_name(e, e.recipients[0]), delivery_name(e, e.recipients[2]));
}

TEST(RecipientBatches, AMaildirBatchStopsAtItsBound) {
    std::vector<QueuedRecipient> rcpts;
    for (std::size_t i = 0; i < kLocalBatch + 3; ++i) {
        rcpts.push_back(rcpt("r" + std::to_string(i) + "@x", Method::Maildir));
    }
    auto const e = envelope(std::move(rcpts));
    EXPECT_EQ(batch_at(e, 0).size(), kLocalBatch);
    EXPECT_EQ(batch_at(e, kLocalBatch), (Batch{16, 17, 18}));
}

TEST(RecipientBatches, RelayedRecipientsGoTogetherByDomainAndAction) {
    auto other_action = rcpt("c@y", Method::Relay);
    other_action.action = "b";
    auto const e = envelope({rcpt("a@y", Method::Relay), rcpt("b@z", Method::Relay), other_action,
                             rcpt("d@Y", Method::Relay), rcpt("e@y", Method::Maildir)});
    EXPECT_EQ(batch_at(e, 0), (Batch{0, 3}));
    EXPECT_EQ(batch_at(e, 1), (Batch{1}));
}

TEST(RecipientBatches, DeliveryNameIsStableAcrossAttempts) {
    auto e = envelope({rcpt("a@x", Method::Maildir)});
    std::string const name = delivery_name(e, e.recipients[0]);
    e.attempts = 3;
    EXPECT_EQ(delivery_name(e, e.recipients[0]), name);
    EXPECT_TRUE(name.starts_with("1700000000.M0123456789abcdefR")) << name;
}

} // namespace
} // namespace smtpd::rt
