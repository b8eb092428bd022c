// DiskWorkers (runtime/common/disk_workers.hpp): work runs on a disk thread, not the event loop's,
// and its result, a Result<T> with a value or a Failure (neither default-constructible), comes
// back to the awaiting coroutine on the loop's thread.
#include "common/disk_workers.hpp"
#include "common/result.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <system_error>
#include <thread>

namespace smtpd::rt {
namespace {

namespace asio = boost::asio;

/// A value with no default constructor, as Result<T> has none.
struct Token {
    explicit Token(int v) : value(v) {}
    int value;
};

TEST(DiskWorkers, CarriesAResultBackToTheLoopThread) {
    asio::io_context io;
    DiskWorkers disk(2);
    std::thread::id const loop = std::this_thread::get_id();
    std::optional<std::thread::id> worker;
    std::optional<std::thread::id> resumed;
    std::optional<Result<Token>> ok;
    std::optional<Result<Token>> failed;
    auto body = [&]() -> asio::awaitable<void> {
        auto first = disk.run([&]() -> Result<Token> {
            worker = std::this_thread::get_id();
            return Token(42);
        });
        ok.emplace(co_await std::move(first));
        auto second = disk.run([]() -> Result<Token> {
            return failure(std::make_error_code(std::errc::no_space_on_device), "spool: full");
        });
        failed.emplace(co_await std::move(second));
        resumed = std::this_thread::get_id();
    };
    asio::co_spawn(io, body(), asio::detached);
    io.run();

    ASSERT_TRUE(ok && failed && worker && resumed);
    EXPECT_NE(*worker, loop);
    EXPECT_EQ(*resumed, loop);
    ASSERT_TRUE(ok->has_value());
    EXPECT_EQ(ok->value().value, 42);
    ASSERT_TRUE(failed->has_error());
    EXPECT_EQ(failed->error().code, std::errc::no_space_on_device);
    EXPECT_EQ(failed->error().what(), "spool: full");
}

} // namespace
} // namespace smtpd::rt
