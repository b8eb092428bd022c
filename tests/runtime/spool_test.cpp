// The spool on a real directory: commit moves a message into the queue with its envelope,
// abort leaves nothing, recovery removes never-acknowledged files and keeps committed ones.
#include "spool/spool.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace smtpd::rt {
namespace {

namespace fs = std::filesystem;

QueuedEnvelope envelope_for(std::string const& id) {
    return QueuedEnvelope{id, 1, "h", "127.0.0.1", true, "a@b", {{"c@d", "u", "/m"}}, 0, {}};
}

TEST(Spool, CommitMovesMessageAndEnvelopeIntoTheQueue) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path() + "/spool");
    ASSERT_TRUE(spool);
    auto msg = spool.value().begin();
    ASSERT_TRUE(msg);
    msg.value().write("Subject: x\r\n\r\nbody\r\n");
    std::string const id = msg.value().id();
    ASSERT_TRUE(spool.value().commit(msg.value(), envelope_for(id)));
    EXPECT_TRUE(fs::exists(dir.path() + "/spool/queue/" + id + "/message"));
    EXPECT_FALSE(fs::exists(dir.path() + "/spool/incoming/" + id));
    auto const env = spool.value().load_envelope(id);
    ASSERT_TRUE(env);
    EXPECT_EQ(env.value(), envelope_for(id));
    auto const content = read_file(spool.value().message_path(id));
    ASSERT_TRUE(content);
    EXPECT_EQ(content.value(), "Subject: x\r\n\r\nbody\r\n");
}

TEST(Spool, AbortLeavesNothing) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    auto msg = spool.value().begin();
    ASSERT_TRUE(msg);
    msg.value().write("x");
    spool.value().abort(msg.value());
    EXPECT_TRUE(fs::is_empty(dir.path() + "/incoming"));
    EXPECT_TRUE(fs::is_empty(dir.path() + "/queue"));
}

TEST(Spool, RecoveryDropsIncomingAndKeepsCommitted) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    auto committed = spool.value().begin();
    auto partial = spool.value().begin();
    ASSERT_TRUE(committed && partial);
    std::string const id = committed.value().id();
    ASSERT_TRUE(spool.value().commit(committed.value(), envelope_for(id)));
    partial.value().write("half a message");
    fs::create_directory(dir.path() + "/queue/deadbeefdeadbeef"); // a half-removed entry
    auto const ids = spool.value().recover();
    ASSERT_EQ(ids.size(), 1U);
    EXPECT_EQ(ids[0], id);
    EXPECT_TRUE(fs::is_empty(dir.path() + "/incoming"));
    EXPECT_FALSE(fs::exists(dir.path() + "/queue/deadbeefdeadbeef"));
}

TEST(Spool, RemoveDeletesTheQueuedMessage) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    auto msg = spool.value().begin();
    ASSERT_TRUE(msg);
    std::string const id = msg.value().id();
    ASSERT_TRUE(spool.value().commit(msg.value(), envelope_for(id)));
    ASSERT_TRUE(spool.value().remove(id));
    EXPECT_TRUE(fs::is_empty(dir.path() + "/queue"));
}

TEST(Spool, UnwritableSpoolIsAnErrorNotACrash) {
    auto spool = Spool::open("/proc/smtpd-cannot-exist");
    EXPECT_FALSE(spool);
}

} // namespace
} // namespace smtpd::rt
