// ReadyMessages (runtime/queue/ready_messages.hpp) on a real spool: the first take() begins a
// message at once and kReadyMessages more on the disk threads; those hold their header alone
// until taken, and the next take() hands out one of them, positioned at the content, without
// beginning another on the spot.
#include "queue/ready_messages.hpp"
#include "spool/message_file.hpp"
#include "temp_dir.hpp"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <unistd.h>

namespace smtpd::rt {
namespace {

namespace fs = std::filesystem;

std::set<std::string> begun_ahead(std::string const& queue) {
    std::set<std::string> ids;
    for (auto const& entry : fs::directory_iterator(queue)) {
        std::string const name = entry.path().filename().string();
        if (name.ends_with(".new") && fs::file_size(entry.path()) == spoolfile::kHeaderSize) {
            ids.insert(name.substr(0, name.size() - 4));
        }
    }
    return ids;
}

TEST(ReadyMessages, MessagesAreBegunAheadAndHandedOutInTurn) {
    testing::TempDir dir;
    auto spool = Spool::open(dir.path());
    ASSERT_TRUE(spool);
    boost::asio::io_context io;
    DiskWorkers disk(2);
    ReadyMessages ready(io.get_executor(), spool.value(), disk);

    auto first = ready.take(); // none ready yet: begun on the spot
    ASSERT_TRUE(first);
    io.run(); // the disk threads begin kReadyMessages more
    std::string const queue = dir.path() + "/queue";
    std::set<std::string> ahead = begun_ahead(queue); // with the first, nothing written yet
    ASSERT_EQ(ahead.erase(first.value().id()), 1U);
    ASSERT_EQ(ahead.size(), kReadyMessages);

    auto second = ready.take();
    ASSERT_TRUE(second);
    EXPECT_TRUE(ahead.contains(second.value().id()));
    auto shared = second.value().share_fd();
    ASSERT_TRUE(shared);
    EXPECT_EQ(::lseek(shared.value().get(), 0, SEEK_CUR),
              static_cast<off_t>(spoolfile::Header{}.content_offset()));
    io.restart();
    io.run(); // one more begun to make up for it
    // The first and second hold their headers alone, three are left and one was made up.
    EXPECT_EQ(begun_ahead(queue).size(), kReadyMessages + 2);
    disk.drain();
}

} // namespace
} // namespace smtpd::rt
