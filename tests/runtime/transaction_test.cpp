// The dispatcher's transaction record: the queued envelope pairs the session's i-th recipient
// with the i-th recorded destinations (an alias may give several, each keeping its RCPT's NOTIFY
// and ORCPT, RFC 3461), in RCPT order, and refuses a record that disagrees with the envelope;
// the content goes to the queue's file in batches, all of it by flush(), errors kept.
// Depends on: dispatcher/transaction.hpp, GoogleTest.
#include "dispatcher/transaction.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>

namespace smtpd::rt {
namespace {

grammar::Path path(std::string local, std::string domain) {
    grammar::Path p;
    p.mailbox = grammar::Mailbox{std::move(local), std::move(domain), false};
    return p;
}

QueuedRecipient destination(std::string address, std::string user) {
    QueuedRecipient r;
    r.address = std::move(address);
    r.user = std::move(user);
    return r;
}

Transaction two_recipients() {
    Transaction tx;
    sm::Envelope envelope;
    envelope.helo = "c.example";
    envelope.sender = path("s", "example.org");
    envelope.recipients.push_back(
        sm::Recipient{path("staff", "localhost"), {sm::kNotifyNever, {}}});
    envelope.recipients.push_back(
        sm::Recipient{path("bob", "localhost"), {sm::kNotifySuccess, "rfc822;bob@x"}});
    tx.envelope = envelope;
    tx.destinations.push_back(
        {destination("alice@localhost", "alice"), destination("carol@localhost", "carol")});
    tx.destinations.push_back({destination("bob@localhost", "bob")});
    return tx;
}

TEST(Transaction, EachRecipientKeepsItsDestinationsAndOptionsInOrder) {
    auto const env = queued_envelope(two_recipients(), QueuedEnvelope{});
    ASSERT_TRUE(env.has_value());
    EXPECT_EQ(env->sender, "s@example.org");
    ASSERT_EQ(env->recipients.size(), 3U);
    EXPECT_EQ(env->recipients[0].user, "alice");
    EXPECT_EQ(env->recipients[1].user, "carol");
    EXPECT_EQ(env->recipients[2].user, "bob");
    EXPECT_EQ(env->recipients[0].notify, kQueuedNotifyNever);
    EXPECT_EQ(env->recipients[1].notify, kQueuedNotifyNever);
    EXPECT_EQ(env->recipients[2].notify, kQueuedNotifySuccess);
    EXPECT_EQ(env->recipients[2].orcpt, "rfc822;bob@x");
}

TEST(Transaction, RecordThatDisagreesWithTheEnvelopeIsRefused) {
    Transaction missing = two_recipients();
    missing.destinations.pop_back();
    EXPECT_FALSE(queued_envelope(missing, QueuedEnvelope{}).has_value());

    Transaction empty = two_recipients();
    empty.destinations[1].clear();
    EXPECT_FALSE(queued_envelope(empty, QueuedEnvelope{}).has_value());

    Transaction no_envelope = two_recipients();
    no_envelope.envelope.reset();
    EXPECT_FALSE(queued_envelope(no_envelope, QueuedEnvelope{}).has_value());
}

// RFC 6152 §3: 8-bit data needs BODY=8BITMIME; a client that sent it without gets it recorded,
// so that the relay does not pass it to a next hop without 8BITMIME (issue 14).
TEST(Regression, Issue14EightBitContentIsQueuedAs8BitMime) {
    Transaction tx = two_recipients();
    tx.message.emplace();
    tx.message->fd = Fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    tx.message->write_content("Subject: plain\r\n\r\nascii\r\n");
    EXPECT_EQ(tx.message->size, 25U);
    EXPECT_EQ(queued_envelope(tx, QueuedEnvelope{})->body, "");
    tx.message->write_content("caf\xc3\xa9\r\n");
    EXPECT_EQ(queued_envelope(tx, QueuedEnvelope{})->body, kBody8BitMime);
    tx.envelope->mail.body = sm::Body::SevenBit;
    EXPECT_EQ(queued_envelope(tx, QueuedEnvelope{})->body, kBody8BitMime);
}

/// The size of the file behind `fd`.
off_t file_size(int fd) {
    struct stat st {};
    EXPECT_EQ(::fstat(fd, &st), 0);
    return st.st_size;
}

TEST(MessageFile, ContentIsWrittenInBatchesAndAllOfItByFlush) {
    MessageFile file;
    file.fd = Fd(::memfd_create("content", MFD_CLOEXEC));
    ASSERT_TRUE(file.fd.valid());
    std::string const line(78, 'x');
    std::size_t written = 0;
    while (written + line.size() + 2 < MessageFile::kWriteBatch) {
        file.write_content(line + "\r\n");
        written += line.size() + 2;
    }
    EXPECT_EQ(file_size(file.fd.get()), 0); // one line at a time costs no write(2) yet
    file.write_content(line + "\r\n");
    written += line.size() + 2;
    EXPECT_EQ(file_size(file.fd.get()), static_cast<off_t>(written));
    file.write_content("tail\r\n");
    file.flush();
    EXPECT_EQ(file_size(file.fd.get()), static_cast<off_t>(written + 6));
    EXPECT_FALSE(file.error);
}

TEST(MessageFile, AWriteErrorIsKeptForTheCommit) {
    MessageFile file;
    file.fd = Fd(::open("/dev/full", O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(file.fd.valid());
    file.write_content("Subject: x\r\n\r\nbody\r\n");
    EXPECT_FALSE(file.error);
    file.flush();
    EXPECT_EQ(file.error, std::errc::no_space_on_device);
    file.write_content("more\r\n");
    file.flush();
    EXPECT_EQ(file.error, std::errc::no_space_on_device);
}

} // namespace
} // namespace smtpd::rt
