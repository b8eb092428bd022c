// The spool on a real directory: a message is received as queue/<id>.new and committed as the
// one file queue/<id> (envelope slots, then the content); abort leaves nothing; recovery removes
// what was never acknowledged and keeps what was; an envelope update alternates slots and
// survives a torn slot; an envelope too large for its slots is copied into a larger file; a
// spool of the earlier directory layout is converted; removed and aborted messages' files are
// emptied into free/ (at most kMaxFree) and reused.
#include "common/fs.hpp"
#include "spool/message_file.hpp"
#include "spool/spool.hpp"
#include "temp_dir.hpp"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace smtpd::rt {
namespace {

namespace fs = std::filesystem;
namespace sf = spoolfile;

QueuedEnvelope envelope_for(std::string const& id, std::size_t recipients = 1) {
    QueuedEnvelope envelope{id, 1, "h", "127.0.0.1", true, "a@b", {}, 0, {}};
    for (std::size_t i = 0; i < recipients; ++i) {
        envelope.recipients.push_back({"rcpt" + std::to_string(i) + "@d", "u", "/m"});
    }
    return envelope;
}

/// Commits a message with `content` and returns its id.
std::string committed(Spool& spool, std::string const& content, std::size_t recipients = 1) {
    auto msg = spool.begin();
    EXPECT_TRUE(msg);
    msg.value().write(content);
    std::string id = msg.value().id();
    EXPECT_TRUE(spool.commit(msg.value(), envelope_for(id, recipients)));
    return id;
}

std::vector<std::string> names_in(std::string const& dir) {
    std::vector<std::string> names;
    for (auto const& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

TEST(Spool, ReceivedAsNewThenCommittedAsOneFile) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path() + "/spool");
    ASSERT_TRUE(spool);
    auto msg = spool.value().begin();
    ASSERT_TRUE(msg);
    std::string const id = msg.value().id();
    EXPECT_EQ(names_in(dir.path() + "/spool/queue"), std::vector<std::string>{id + ".new"});
    msg.value().write("Subject: x\r\n\r\nbody\r\n");
    ASSERT_TRUE(spool.value().commit(msg.value(), envelope_for(id)));
    EXPECT_EQ(names_in(dir.path() + "/spool/queue"), std::vector<std::string>{id});
    EXPECT_EQ(spool.value().load_envelope(id).value(), envelope_for(id));
    EXPECT_EQ(spool.value().read_content(id).value(), "Subject: x\r\n\r\nbody\r\n");
    EXPECT_EQ(spool.value().queued_ids(), std::vector<std::string>{id});
    EXPECT_TRUE(spool.value().contains(id));
    EXPECT_FALSE(fs::exists(dir.path() + "/spool/incoming"));
}

TEST(Spool, TheContentDescriptorStartsAtTheContentAndTheSharedOneWritesThere) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    auto msg = spool.value().begin();
    ASSERT_TRUE(msg);
    auto shared = msg.value().share_fd();
    ASSERT_TRUE(shared);
    ASSERT_TRUE(write_all(shared.value().get(), "from the dispatcher\r\n"));
    shared.value().reset();
    std::string const id = msg.value().id();
    ASSERT_TRUE(spool.value().commit(msg.value(), envelope_for(id)));
    auto fd = spool.value().open_content(id);
    ASSERT_TRUE(fd);
    auto content = content_here(fd.value().get());
    ASSERT_TRUE(content);
    EXPECT_EQ(content.value().start, sf::Header{}.content_offset());
    EXPECT_EQ(content_size(content.value()).value(), 21U);
    EXPECT_EQ(read_to_end(fd.value().get()).value(), "from the dispatcher\r\n");
}

TEST(Spool, AbortLeavesNothingAndTheNextMessageGetsTheFileEmptied) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    auto msg = spool.value().begin();
    ASSERT_TRUE(msg);
    msg.value().write("partial");
    spool.value().abort(msg.value());
    EXPECT_TRUE(fs::is_empty(dir.path() + "/queue"));
    EXPECT_EQ(fs::file_size(dir.path() + "/free/" + msg.value().id()), 0U);
    std::string const id = committed(spool.value(), "x\r\n");
    EXPECT_TRUE(fs::is_empty(dir.path() + "/free"));
    EXPECT_EQ(spool.value().read_content(id).value(), "x\r\n");
}

TEST(Spool, RecoveryDropsWhatWasBeingReceivedOrCopiedAndKeepsCommitted) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    std::string const kept = committed(spool.value(), "kept\r\n");
    auto pending = spool.value().begin();
    ASSERT_TRUE(pending);
    pending.value().write("half");
    std::ofstream(dir.path() + "/queue/" + kept + ".grow") << "a copy cut short";
    auto const ids = spool.value().recover();
    EXPECT_EQ(ids, std::vector<std::string>{kept});
    EXPECT_EQ(names_in(dir.path() + "/queue"), std::vector<std::string>{kept});
}

TEST(Spool, AnUpdateAlternatesSlotsAndATornSlotLeavesTheOtherInForce) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    std::string const id = committed(spool.value(), "c\r\n", 3);
    QueuedEnvelope second = envelope_for(id, 2);
    second.attempts = 1;
    ASSERT_TRUE(spool.value().update_envelope(second));
    EXPECT_EQ(spool.value().load_envelope(id).value(), second);
    QueuedEnvelope third = envelope_for(id, 1);
    third.attempts = 2;
    ASSERT_TRUE(spool.value().update_envelope(third)); // back in slot 0, generation 3
    EXPECT_EQ(spool.value().load_envelope(id).value(), third);
    // A crash tore the slot being written: the envelope before it is in force.
    auto fd = open_file(dir.path() + "/queue/" + id, O_RDWR);
    ASSERT_TRUE(fd);
    ASSERT_TRUE(write_all_at(fd.value().get(), "torn", sf::Header{}.slot_offset(0) + 30));
    EXPECT_EQ(spool.value().load_envelope(id).value(), second);
    EXPECT_EQ(spool.value().read_content(id).value(), "c\r\n");
    // Both torn: an error, not a crash.
    ASSERT_TRUE(write_all_at(fd.value().get(), "torn", sf::Header{}.slot_offset(1) + 30));
    EXPECT_FALSE(spool.value().load_envelope(id));
}

TEST(Spool, AnEnvelopeLargerThanItsSlotsIsCopiedIntoALargerFile) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    std::string const content(100000, 'x');
    std::string const big = committed(spool.value(), content, 2000); // about 40 KiB
    EXPECT_EQ(spool.value().load_envelope(big).value(), envelope_for(big, 2000));
    EXPECT_EQ(spool.value().read_content(big).value(), content);
    auto fd = spool.value().open_content(big);
    ASSERT_TRUE(fd);
    EXPECT_GT(content_here(fd.value().get()).value().start, sf::Header{}.content_offset());
    EXPECT_EQ(names_in(dir.path() + "/queue"), std::vector<std::string>{big});
    std::string const small = committed(spool.value(), "s\r\n");
    QueuedEnvelope grown = envelope_for(small, 3000); // an update that outgrows the slots
    ASSERT_TRUE(spool.value().update_envelope(grown));
    EXPECT_EQ(spool.value().load_envelope(small).value(), grown);
    EXPECT_EQ(spool.value().read_content(small).value(), "s\r\n");
    ASSERT_TRUE(spool.value().update_envelope(envelope_for(small)));
    EXPECT_EQ(spool.value().load_envelope(small).value(), envelope_for(small));
    EXPECT_EQ(names_in(dir.path() + "/queue"),
              (std::vector<std::string>{std::min(big, small), std::max(big, small)}));
}

TEST(Spool, ASpoolOfDirectoriesIsConvertedKeepingIds) {
    testing::TempDir dir;
    std::string const id = "00000000feedface";
    fs::create_directories(dir.path() + "/queue/" + id);
    fs::create_directories(dir.path() + "/queue/00000000deadbeef"); // removal cut short
    fs::create_directories(dir.path() + "/incoming/0000000012345678");
    fs::create_directories(dir.path() + "/free/0000000087654321");
    std::ofstream(dir.path() + "/queue/" + id + "/message") << "old\r\n";
    std::ofstream(dir.path() + "/queue/" + id + "/envelope") << encode_envelope(envelope_for(id));
    std::ofstream(dir.path() + "/incoming/0000000012345678/message") << "never acknowledged";
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    EXPECT_EQ(spool.value().recover(), std::vector<std::string>{id});
    EXPECT_EQ(names_in(dir.path() + "/queue"), std::vector<std::string>{id});
    EXPECT_TRUE(fs::is_regular_file(dir.path() + "/queue/" + id));
    EXPECT_EQ(spool.value().load_envelope(id).value(), envelope_for(id));
    EXPECT_EQ(spool.value().read_content(id).value(), "old\r\n");
    EXPECT_FALSE(fs::exists(dir.path() + "/incoming"));
    EXPECT_TRUE(fs::is_empty(dir.path() + "/free"));
}

TEST(Spool, RemoveMovesTheFileToFreeEmptiedAndTheNextMessageReusesIt) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    std::string const old_id = committed(spool.value(), "first\r\n");
    ASSERT_TRUE(spool.value().remove(old_id));
    EXPECT_FALSE(spool.value().contains(old_id));
    EXPECT_EQ(fs::file_size(dir.path() + "/free/" + old_id), 0U);
    struct stat before {};
    ASSERT_EQ(::stat((dir.path() + "/free/" + old_id).c_str(), &before), 0);
    std::string const id = committed(spool.value(), "second\r\n");
    struct stat after {};
    ASSERT_EQ(::stat((dir.path() + "/queue/" + id).c_str(), &after), 0);
    EXPECT_EQ(before.st_ino, after.st_ino); // the same file, no new inode
    EXPECT_TRUE(fs::is_empty(dir.path() + "/free"));
    EXPECT_EQ(spool.value().load_envelope(id).value(), envelope_for(id));
    EXPECT_EQ(spool.value().read_content(id).value(), "second\r\n");
}

TEST(Spool, ARemovalLeftToTheNextSyncIsDoneAllTheSame) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    std::string const id = committed(spool.value(), "m\r\n");
    ASSERT_TRUE(spool.value().remove(id, RemovalSync::Later));
    EXPECT_FALSE(spool.value().contains(id));
    EXPECT_TRUE(spool.value().queued_ids().empty());
    EXPECT_EQ(fs::file_size(dir.path() + "/free/" + id), 0U);
}

TEST(Spool, FreeKeepsAtMostItsLimitAndRemovesTheRest) {
    testing::TempDir dir;
    auto first = Spool::open(dir.path());
    ASSERT_TRUE(first);
    std::string const a = committed(first.value(), "a\r\n");
    std::string const b = committed(first.value(), "b\r\n");
    for (std::size_t i = 0; i + 1 < kMaxFree; ++i) {
        std::ofstream(dir.path() + "/free/" + std::to_string(i)) << "";
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
