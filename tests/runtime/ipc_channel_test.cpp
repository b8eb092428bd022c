// Channel and Pending over a real socketpair between Asio coroutines: replies sent out of order
// reach their requests by id, a real file's fd crosses the channel, unused and refused fds are
// closed, and a peer that lies about an fd, closes, or answers an unknown id is an error value.
#include "ipc/channel.hpp"
#include "ipc/error.hpp"
#include "ipc/pending.hpp"
#include "ipc_test_support.hpp"
#include "temp_dir.hpp"

#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/socket.h>
#include <unistd.h>

namespace smtpd::ipc {
namespace {

namespace asio = boost::asio;
using testing::spawn;

std::size_t open_fd_count() {
    auto const it = std::filesystem::directory_iterator("/proc/self/fd");
    return static_cast<std::size_t>(std::distance(it, std::filesystem::directory_iterator{}));
}

std::pair<Channel, Channel> channel_pair(asio::io_context& io) {
    auto pair = Channel::make_pair(io.get_executor());
    EXPECT_TRUE(pair);
    return std::move(pair).value();
}

// The lookup side: answers `count` requests, in the reverse order of their arrival.
asio::awaitable<void> answer_reversed(Channel& lookup, int count) {
    std::vector<LookupRecipient> requests;
    for (int i = 0; i < count; ++i) {
        auto got = co_await lookup.receive();
        EXPECT_TRUE(got);
        requests.push_back(std::get<LookupRecipient>(got.value().message));
    }
    std::reverse(requests.begin(), requests.end());
    for (auto const& r : requests) {
        auto sent = lookup.send(RecipientResolved{r.id, RcptVerdict::Accepted, {r.local, "/m"}});
        EXPECT_TRUE(sent);
    }
}

// The dispatcher's reading loop: every reply goes to Pending by its id.
asio::awaitable<void> route_replies(Channel& channel, Pending<RecipientResolved>& pending,
                                    int count) {
    for (int i = 0; i < count; ++i) {
        auto got = co_await channel.receive();
        EXPECT_TRUE(got);
        auto& reply = std::get<RecipientResolved>(got.value().message);
        EXPECT_TRUE(pending.complete(reply.id, reply));
    }
}

asio::awaitable<void> ask(Channel& channel, Pending<RecipientResolved>& pending, std::string local,
                          std::string& answer) {
    RequestId const id = pending.expect();
    EXPECT_TRUE(channel.send(LookupRecipient{id, local, "example.org", false}));
    auto reply = co_await pending.async_wait(id, asio::use_awaitable);
    EXPECT_TRUE(reply);
    EXPECT_EQ(reply.value().id, id);
    answer = reply.value().recipients.at(0);
}

TEST(IpcChannel, OutOfOrderRepliesReachTheirRequestsById) {
    asio::io_context io;
    auto [dispatcher, lookup] = channel_pair(io);
    Pending<RecipientResolved> pending(io.get_executor());
    std::array<std::string, 3> answers;
    std::array<std::string, 3> const users{"alice", "bob", "carol"};
    for (std::size_t i = 0; i < users.size(); ++i) {
        spawn(io, ask(dispatcher, pending, users[i], answers[i]));
    }
    spawn(io, answer_reversed(lookup, 3));
    spawn(io, route_replies(dispatcher, pending, 3));
    io.run();
    EXPECT_EQ(answers, users);
    EXPECT_EQ(pending.size(), 0U);
}

TEST(IpcPending, ReplyToAnUnknownIdIsAnError) {
    asio::io_context io;
    Pending<CredentialsChecked> pending(io.get_executor());
    auto unknown = pending.complete(42, CredentialsChecked{42, AuthVerdict::Accepted});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, IpcErrc::UnknownRequestId);
    RequestId const id = pending.expect();
    EXPECT_TRUE(pending.complete(id, CredentialsChecked{id, AuthVerdict::Rejected}));
    auto twice = pending.complete(id, CredentialsChecked{id, AuthVerdict::Accepted});
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, IpcErrc::UnknownRequestId);
}

TEST(IpcPending, ReplyBeforeTheWaiterIsKeptAndCallbacksWork) {
    asio::io_context io;
    Pending<CredentialsChecked> pending(io.get_executor());
    RequestId const id = pending.expect();
    EXPECT_TRUE(pending.complete(id, CredentialsChecked{id, AuthVerdict::Rejected}));
    std::optional<AuthVerdict> verdict;
    pending.async_wait(id, [&](rt::Result<CredentialsChecked> r) {
        verdict = r ? std::optional(r.value().verdict) : std::nullopt;
    });
    EXPECT_FALSE(verdict); // never completed inline
    io.run();
    EXPECT_EQ(verdict, AuthVerdict::Rejected);
    EXPECT_EQ(pending.size(), 0U);
}

TEST(IpcPending, FailAllAndUnknownWaitsCompleteWithErrors) {
    asio::io_context io;
    Pending<MessageCommitted> pending(io.get_executor());
    RequestId const id = pending.expect();
    std::vector<std::error_code> errors;
    auto record = [&](rt::Result<MessageCommitted> r) { errors.push_back(r.error().code); };
    pending.async_wait(id, record);
    pending.async_wait(id, record);  // a second waiter for the same id
    pending.async_wait(999, record); // never expected
    pending.fail_all(IpcErrc::PeerClosed);
    io.run();
    ASSERT_EQ(errors.size(), 3U);
    EXPECT_EQ(errors[0], IpcErrc::DuplicateRequestId);
    EXPECT_EQ(errors[1], IpcErrc::UnknownRequestId);
    EXPECT_EQ(errors[2], IpcErrc::PeerClosed);
}

asio::awaitable<void> receive_one(Channel& channel, rt::Result<Received>& out) {
    out = co_await channel.receive();
}

TEST(IpcChannel, FdOfARealFileCrossesTheChannel) {
    rt::testing::TempDir dir;
    std::string const path = dir.path() + "/message";
    auto file = rt::open_file(path, O_RDWR | O_CREAT);
    ASSERT_TRUE(file);
    ASSERT_TRUE(rt::write_all(file.value().get(), "written by the queue\n"));
    asio::io_context io;
    auto [queue, dispatcher] = channel_pair(io);
    ASSERT_TRUE(queue.send(MessageCreated{1, "abc", ""}, std::move(file).value()));
    rt::Result<Received> got = IpcErrc::ChannelClosed;
    spawn(io, receive_one(dispatcher, got));
    io.run();
    ASSERT_TRUE(got);
    EXPECT_EQ(std::get<MessageCreated>(got.value().message), (MessageCreated{1, "abc", ""}));
    int const fd = got.value().fd.get();
    ASSERT_GE(fd, 0);
    EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    std::array<char, 64> buffer{};
    auto const n = ::pread(fd, buffer.data(), buffer.size(), 0);
    EXPECT_EQ(std::string(buffer.data(), static_cast<std::size_t>(std::max<ssize_t>(n, 0))),
              "written by the queue\n");
    // And the other way: what the receiver writes through it is in the file.
    ASSERT_TRUE(rt::write_all(fd, "and by the dispatcher\n"));
    auto const content = rt::read_file(path);
    ASSERT_TRUE(content);
    EXPECT_EQ(content.value(), "written by the queue\nand by the dispatcher\n");
}

// A raw peer: writes `frame` with `fds` attached in one sendmsg.
void raw_send(int socket, std::vector<std::byte> const& frame, std::vector<int> const& fds) {
    iovec iov{const_cast<std::byte*>(frame.data()), frame.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * 4)> control{};
    if (!fds.empty()) {
        msg.msg_control = control.data();
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ASSERT_EQ(::sendmsg(socket, &msg, MSG_NOSIGNAL), static_cast<ssize_t>(frame.size()));
}

struct RawPeer {
    asio::io_context io;
    Channel::Socket raw{io};
    std::optional<Channel> channel;
    RawPeer() {
        Channel::Socket mine(io);
        asio::local::connect_pair(mine, raw);
        channel.emplace(std::move(mine));
    }
    std::error_code receive_error() {
        rt::Result<Received> got = IpcErrc::ChannelClosed;
        spawn(io, receive_one(*channel, got));
        io.run();
        return got ? std::error_code{} : got.error().code;
    }
};

TEST(IpcChannel, ReceivedFdDroppedUnusedIsClosed) {
    asio::io_context io;
    auto [a, b] = channel_pair(io);
    std::size_t const baseline = open_fd_count();
    ASSERT_TRUE(a.send(MessageCreated{1, "x", ""}, rt::Fd(::open("/dev/null", O_RDONLY))));
    EXPECT_EQ(open_fd_count(), baseline); // the sender's copy is closed once sent
    {
        rt::Result<Received> got = IpcErrc::ChannelClosed;
        spawn(io, receive_one(b, got));
        io.run();
        ASSERT_TRUE(got);
        EXPECT_TRUE(got.value().fd.valid());
        EXPECT_EQ(open_fd_count(), baseline + 1);
    }
    EXPECT_EQ(open_fd_count(), baseline);
}

TEST(IpcChannel, FdQueuedForAFrameThatNeverCompletesIsClosedWithTheChannel) {
    RawPeer peer;
    std::size_t const baseline = open_fd_count(); // both ends of the pair
    auto frame = encode(MessageCreated{1, "x", ""}, true).value();
    frame.resize(frame.size() / 2);
    {
        rt::Fd file(::open("/dev/null", O_RDONLY));
        raw_send(peer.raw.native_handle(), frame, {file.get()});
    }
    peer.raw.close();
    EXPECT_EQ(peer.receive_error(), IpcErrc::PeerClosed);
    // The fd is queued (+1) and the failed channel's socket closed (-1); the raw end is closed.
    EXPECT_EQ(open_fd_count(), baseline - 1);
    peer.channel.reset();
    EXPECT_EQ(open_fd_count(), baseline - 2);
}

TEST(IpcChannel, FrameFlaggedWithAnFdThatHasNoneIsMissingFd) {
    RawPeer peer;
    raw_send(peer.raw.native_handle(), encode(MessageCreated{1, "x", ""}, true).value(), {});
    EXPECT_EQ(peer.receive_error(), IpcErrc::MissingFd);
}

TEST(IpcChannel, TwoFdsInOneWriteAreRefusedAndClosed) {
    RawPeer peer;
    std::size_t const baseline = open_fd_count();
    {
        rt::Fd one(::open("/dev/null", O_RDONLY));
        rt::Fd two(::open("/dev/null", O_RDONLY));
        raw_send(peer.raw.native_handle(), encode(MessageCreated{1, "x", ""}, true).value(),
                 {one.get(), two.get()});
    }
    EXPECT_EQ(peer.receive_error(), IpcErrc::UnexpectedFd);
    EXPECT_EQ(open_fd_count(), baseline - 1); // both closed, and the failed channel's socket
}

TEST(IpcChannel, MalformedFrameIsTheDecoderError) {
    RawPeer peer;
    auto frame = encode(Shutdown{}).value();
    frame[4] = std::byte{0x7F};
    raw_send(peer.raw.native_handle(), frame, {});
    EXPECT_EQ(peer.receive_error(), IpcErrc::WrongVersion);
}

TEST(IpcChannel, PeerClosingMidFrameIsPeerClosed) {
    RawPeer peer;
    auto frame = encode(ScheduleMessage{"abc"}).value();
    frame.resize(frame.size() - 1);
    raw_send(peer.raw.native_handle(), frame, {});
    peer.raw.close();
    EXPECT_EQ(peer.receive_error(), IpcErrc::PeerClosed);
}

asio::awaitable<void> receive_n(Channel& channel, std::vector<Message>& out, std::size_t n) {
    while (out.size() < n) {
        auto got = co_await channel.receive();
        if (!got) {
            co_return;
        }
        out.push_back(std::move(got.value().message));
    }
}

TEST(IpcChannel, MaximalFramesLargerThanTheSocketBufferArriveInOrder) {
    asio::io_context io;
    auto [a, b] = channel_pair(io);
    std::vector<Message> sent;
    for (char c : std::string("xyz")) {
        sent.emplace_back(MessageCommit{1, "id", std::string(kMaxFrameSize - 28, c)});
        ASSERT_TRUE(a.send(sent.back()));
    }
    EXPECT_GT(a.queued(), 0U); // the socket buffer is full: the rest waits for writability
    std::vector<Message> got;
    spawn(io, receive_n(b, got, sent.size()));
    io.run();
    EXPECT_EQ(got, sent);
    EXPECT_EQ(a.queued(), 0U);
}

TEST(IpcChannel, AdoptedInheritedFdCarriesHello) {
    asio::io_context io;
    std::array<int, 2> fds{};
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0);
    auto child = Channel::from_fd(io.get_executor(), rt::Fd(fds[0]));
    auto parent = Channel::from_fd(io.get_executor(), rt::Fd(fds[1]));
    ASSERT_TRUE(child && parent);
    ASSERT_TRUE(child.value().send(Hello{kIpcVersion, Role::Queue}));
    rt::Result<Received> got = IpcErrc::ChannelClosed;
    spawn(io, receive_one(parent.value(), got));
    io.run();
    ASSERT_TRUE(got);
    EXPECT_EQ(std::get<Hello>(got.value().message), (Hello{kIpcVersion, Role::Queue}));
}

TEST(IpcChannel, SendAfterCloseIsChannelClosed) {
    asio::io_context io;
    auto [a, b] = channel_pair(io);
    a.close();
    auto sent = a.send(Shutdown{});
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error().code, IpcErrc::ChannelClosed);
}

TEST(IpcChannel, TryReceiveTakesWhatHasArrivedAndNeverWaits) {
    asio::io_context io;
    auto [a, b] = channel_pair(io);
    auto none = b.try_receive();
    ASSERT_TRUE(none);
    EXPECT_FALSE(none.value());
    for (std::uint64_t id = 1; id <= 3; ++id) {
        ASSERT_TRUE(a.send(MessageCreated{id, "m" + std::to_string(id), ""},
                           rt::Fd(::open("/dev/null", O_RDONLY))));
    }
    for (std::uint64_t id = 1; id <= 3; ++id) {
        auto got = b.try_receive();
        ASSERT_TRUE(got);
        ASSERT_TRUE(got.value());
        EXPECT_EQ(std::get<MessageCreated>(got.value()->message),
                  (MessageCreated{id, "m" + std::to_string(id), ""}));
        EXPECT_TRUE(got.value()->fd.valid());
    }
    auto after = b.try_receive();
    ASSERT_TRUE(after);
    EXPECT_FALSE(after.value());
}

TEST(IpcChannel, TryReceiveLeavesAHalfFrameForLater) {
    RawPeer peer;
    auto const frame = encode(MessageCreated{7, "x", ""}, false).value();
    std::vector<std::byte> const head(frame.begin(), frame.begin() + 3);
    std::vector<std::byte> const tail(frame.begin() + 3, frame.end());
    raw_send(peer.raw.native_handle(), head, {});
    auto half = peer.channel->try_receive();
    ASSERT_TRUE(half);
    EXPECT_FALSE(half.value());
    raw_send(peer.raw.native_handle(), tail, {});
    auto whole = peer.channel->try_receive();
    ASSERT_TRUE(whole);
    ASSERT_TRUE(whole.value());
    EXPECT_EQ(std::get<MessageCreated>(whole.value()->message), (MessageCreated{7, "x", ""}));
}

TEST(IpcChannel, TryReceiveReportsAClosedPeer) {
    RawPeer peer;
    peer.raw.close();
    auto got = peer.channel->try_receive();
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, IpcErrc::PeerClosed);
}

} // namespace
} // namespace smtpd::ipc
