// common/connect: a unix socket connected by path (the LMTP delivery, the parent's `relay host
// lmtp` sockets, smtpctl), left blocking with the time limit on each read and write; every
// failure names the path ("connect to <path>: <error>", which smtpctl prints as it is).
// Depends on: common/connect.hpp, temp_dir.hpp, GoogleTest.
#include "common/connect.hpp"
#include "temp_dir.hpp"

#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

namespace smtpd::rt {
namespace {

using namespace std::chrono_literals;

/// A unix stream socket bound to `path`; listening when `listen` is set.
Fd bound_socket(std::string const& path, bool listen) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(static_cast<char*>(a.sun_path), path.c_str(), path.size() + 1);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr const*>(&a), sizeof a), 0);
    if (listen) {
        EXPECT_EQ(::listen(fd.get(), 1), 0);
    }
    return fd;
}

TEST(ConnectUnix, ConnectsBlockingWithTheLimitOnEachReadAndWrite) {
    testing::TempDir const dir;
    std::string const path = dir.path() + "/s";
    Fd const listener = bound_socket(path, true);
    auto fd = connect_unix(path, 1500ms);
    ASSERT_TRUE(fd) << fd.error().what();
    EXPECT_EQ(::fcntl(fd.value().get(), F_GETFL) & O_NONBLOCK, 0);
    for (int const option : {SO_RCVTIMEO, SO_SNDTIMEO}) {
        timeval tv{};
        socklen_t len = sizeof tv;
        ASSERT_EQ(::getsockopt(fd.value().get(), SOL_SOCKET, option, &tv, &len), 0);
        EXPECT_EQ(tv.tv_sec, 1);
        EXPECT_EQ(tv.tv_usec, 500000);
    }
    Fd const accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(accepted.valid());
    ASSERT_EQ(::write(accepted.get(), "x", 1), 1);
    char c = 0;
    EXPECT_EQ(::read(fd.value().get(), &c, 1), 1);
    EXPECT_EQ(c, 'x');
}

TEST(ConnectUnix, EveryFailureNamesThePath) {
    testing::TempDir const dir;
    std::string const missing = dir.path() + "/missing/s";
    auto const absent = connect_unix(missing, 1s);
    ASSERT_FALSE(absent);
    EXPECT_EQ(absent.error().code, std::errc::no_such_file_or_directory);
    EXPECT_EQ(absent.error().what(), "connect to " + missing + ": No such file or directory");

    std::string const dead = dir.path() + "/dead";
    Fd const bound = bound_socket(dead, false); // bound, never listening
    auto const refused = connect_unix(dead, 1s);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, std::errc::connection_refused);
    EXPECT_EQ(refused.error().what(), "connect to " + dead + ": Connection refused");

    std::string const long_path =
        dir.path() + "/" + std::string(sizeof(sockaddr_un{}.sun_path), 'a');
    auto const too_long = connect_unix(long_path, 1s);
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error().code, std::errc::filename_too_long);
    EXPECT_EQ(too_long.error().what(), "connect to " + long_path + ": File name too long");
}

} // namespace
} // namespace smtpd::rt
