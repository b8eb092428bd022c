// The spool on a real directory: commit moves a message into the queue with its envelope,
// abort leaves nothing, recovery removes never-acknowledged files and keeps committed ones,
// removed and aborted messages' directories are emptied into free/ (at most kMaxFree) and reused.
#include "spool/spool.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace smtpd::rt {
namespace {

namespace fs = std::filesystem;

QueuedEnvelope envelope_for(std::string const& id) {
    return QueuedEnvelope{id, 1, "h", "127.0.0.1", true, "a@b", {{"c@d", "u", "/m"}}, 0, {}};
}

/// Commits a message with `content` and returns its id.
std::string committed(Spool& spool, std::string const& content) {
    auto msg = spool.begin();
    EXPECT_TRUE(msg);
    msg.value().write(content);
    std::string id = msg.value().id();
    EXPECT_TRUE(spool.commit(msg.value(), envelope_for(id)));
    return id;
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

TEST(Spool, AbortLeavesNothingAndTheNextMessageGetsTheDirectoryEmptied) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    auto msg = spool.value().begin();
    ASSERT_TRUE(msg);
    msg.value().write("Subject: never acknowledged\r\n\r\nlong body\r\n");
    spool.value().abort(msg.value());
    EXPECT_TRUE(fs::is_empty(dir.path() + "/incoming"));
    EXPECT_TRUE(fs::is_empty(dir.path() + "/queue"));
    std::string const id = committed(spool.value(), "x\r\n");
    EXPECT_TRUE(fs::is_empty(dir.path() + "/free"));
    EXPECT_EQ(read_file(spool.value().message_path(id)).value(), "x\r\n");
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

TEST(Spool, ARemovedMessagesDirectoryIsEmptiedAndReusedByTheNextMessage) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    std::string const old_id = committed(spool.value(), "Subject: old\r\n\r\nsecret\r\n");
    struct stat before {};
    ASSERT_EQ(::stat((dir.path() + "/queue/" + old_id).c_str(), &before), 0);
    ASSERT_TRUE(spool.value().remove(old_id));
    EXPECT_TRUE(fs::is_empty(dir.path() + "/queue"));
    ASSERT_TRUE(fs::exists(dir.path() + "/free/" + old_id));
    EXPECT_EQ(fs::file_size(dir.path() + "/free/" + old_id + "/message"), 0U);
    EXPECT_EQ(fs::file_size(dir.path() + "/free/" + old_id + "/envelope"), 0U);

    std::string const id = committed(spool.value(), "Subject: new\r\n\r\nhi\r\n");
    EXPECT_TRUE(fs::is_empty(dir.path() + "/free"));
    struct stat after {};
    ASSERT_EQ(::stat((dir.path() + "/queue/" + id).c_str(), &after), 0);
    EXPECT_EQ(after.st_ino, before.st_ino); // the same directory, not a new one
    auto const content = read_file(spool.value().message_path(id));
    ASSERT_TRUE(content);
    EXPECT_EQ(content.value(), "Subject: new\r\n\r\nhi\r\n");
    EXPECT_EQ(spool.value().load_envelope(id).value(), envelope_for(id));
}

TEST(Spool, FreeKeepsAtMostItsLimitAndRemovesTheRest) {
    testing::TempDir dir;
    auto first = Spool::open(dir.path());
    ASSERT_TRUE(first);
    std::string const a = committed(first.value(), "a\r\n");
    std::string const b = committed(first.value(), "b\r\n");
    for (std::size_t i = 0; i + 1 < kMaxFree; ++i) {
        fs::create_directory(dir.path() + "/free/" + std::to_string(i));
    }
    auto spool = Spool::open(dir.path()); // a restart: finds kMaxFree - 1 of them
    ASSERT_TRUE(spool);
    ASSERT_TRUE(spool.value().remove(a)); // the last place
    ASSERT_TRUE(spool.value().remove(b)); // none left: removed
    EXPECT_TRUE(fs::exists(dir.path() + "/free/" + a));
    EXPECT_FALSE(fs::exists(dir.path() + "/free/" + b));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path() + "/free"), {}),
              static_cast<std::ptrdiff_t>(kMaxFree));
    EXPECT_TRUE(fs::is_empty(dir.path() + "/queue"));
}

TEST(Spool, UnwritableSpoolIsAnErrorNotACrash) {
    auto spool = Spool::open("/proc/smtpd-cannot-exist");
    EXPECT_FALSE(spool);
}

} // namespace
} // namespace smtpd::rt
