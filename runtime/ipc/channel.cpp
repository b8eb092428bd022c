// Channel: the socket, the outgoing queue (written with non-blocking sendmsg, waiting for
// writability when the socket buffer is full), and the receiving side (non-blocking recvmsg into a
// FrameReader, fds into a FIFO). The state is shared with pending write callbacks, so a frame
// queued before the Channel object goes is still written while the io_context runs.
#include "ipc/channel.hpp"

#include "common/log.hpp"
#include "ipc/error.hpp"
#include "ipc/frame_reader.hpp"

#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace smtpd::ipc {

namespace {

/// Bytes asked of one recvmsg.
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;
/// Control space for more fds than a read may legitimately carry (one), to detect extras.
constexpr std::size_t kMaxFdsPerRead = 4;

struct Outgoing {
    std::vector<std::byte> bytes;
    std::size_t sent = 0;
    rt::Fd fd;
};

} // namespace

struct Channel::State : std::enable_shared_from_this<Channel::State> {
    explicit State(Socket s) : socket(std::move(s)) {}

    Socket socket;
    std::deque<Outgoing> outbox;
    bool writing = false;
    std::error_code error; ///< the first failure; the channel is unusable after it
    FrameReader reader;
    std::deque<rt::Fd> fds;
    std::vector<std::byte> chunk = std::vector<std::byte>(kReadChunk);
    std::string self_name = "?"; ///< for -T imsg
    std::string peer_name = "?";

    void fail(std::error_code ec) {
        if (!error) {
            error = ec;
        }
        outbox.clear();
        boost::system::error_code ignored;
        socket.close(ignored);
    }

    // One sendmsg; the fd rides on the first bytes of its frame.
    ssize_t send_one(Outgoing& out) {
        iovec iov{out.bytes.data() + out.sent, out.bytes.size() - out.sent};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
        if (out.sent == 0 && out.fd.valid()) {
            msg.msg_control = control.data();
            msg.msg_controllen = control.size();
            cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            cmsg->cmsg_len = CMSG_LEN(sizeof(int));
            int const fd = out.fd.get();
            std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
        }
        return ::sendmsg(socket.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    }

    void flush() {
        while (!outbox.empty() && !error) {
            Outgoing& out = outbox.front();
            ssize_t const n = send_one(out);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    wait_writable();
                    return;
                }
                fail(rt::last_error());
                return;
            }
            out.fd = rt::Fd{}; // the kernel holds it now
            out.sent += static_cast<std::size_t>(n);
            if (out.sent == out.bytes.size()) {
                outbox.pop_front();
            }
        }
    }

    void wait_writable() {
        writing = true;
        socket.async_wait(Socket::wait_write,
                          [self = shared_from_this()](boost::system::error_code const& ec) {
                              self->writing = false;
                              if (ec) {
                                  self->fail(ec);
                              } else {
                                  self->flush();
                              }
                          });
    }

    // One recvmsg: bytes into the reader, fds into the FIFO. 0 at the end of the stream.
    Result<std::size_t> read_some() {
        iovec iov{chunk.data(), chunk.size()};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * kMaxFdsPerRead)> control{};
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        ssize_t n = -1;
        do {
            n = ::recvmsg(socket.native_handle(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            return rt::last_error();
        }
        std::vector<rt::Fd> got; // owned at once, so every path below closes what it refuses
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
                continue;
            }
            std::size_t const count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (std::size_t i = 0; i < count; ++i) {
                int fd = -1;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                got.emplace_back(fd);
            }
        }
        if ((msg.msg_flags & MSG_CTRUNC) != 0 || got.size() > 1 ||
            fds.size() + got.size() > kMaxQueuedFds) {
            return IpcErrc::UnexpectedFd;
        }
        for (auto& fd : got) {
            fds.push_back(std::move(fd));
        }
        auto const size = static_cast<std::size_t>(n);
        reader.feed(std::span<std::byte const>(chunk).first(size));
        return size;
    }

    void trace(Received const& message) const {
        rt::log_trace(rt::Trace::Imsg, "imsg: {} <- {} {}{}", self_name, peer_name,
                      type_name(message.message), message.fd.valid() ? " (fd)" : "");
    }

    // The next whole frame as a message, std::nullopt when more bytes are needed.
    Result<std::optional<Received>> take_frame() {
        auto frame = reader.next();
        if (!frame) {
            return frame.error();
        }
        std::optional<std::vector<std::byte>> const& bytes = frame.value();
        if (!bytes) {
            return std::optional<Received>{};
        }
        auto decoded = decode_frame(*bytes);
        if (!decoded) {
            return decoded.error();
        }
        Received received{std::move(decoded.value().message), rt::Fd{}};
        if (decoded.value().has_fd) {
            if (fds.empty()) {
                return IpcErrc::MissingFd;
            }
            received.fd = std::move(fds.front());
            fds.pop_front();
        }
        return std::optional<Received>{std::move(received)};
    }

    // The next message from what is buffered or can be read now without waiting; std::nullopt
    // when the socket has nothing more yet. An error leaves the channel failed.
    Result<std::optional<Received>> take_ready() {
        while (true) {
            if (error) {
                return error;
            }
            auto received = take_frame();
            if (!received) {
                fail(received.error().code);
                return received.error();
            }
            if (std::optional<Received> const& message = received.value(); message) {
                trace(*message);
                return received;
            }
            if (!socket.is_open()) {
                return IpcErrc::ChannelClosed;
            }
            auto n = read_some();
            if (!n && (n.error().code == std::errc::resource_unavailable_try_again ||
                       n.error().code == std::errc::operation_would_block)) {
                return std::optional<Received>{};
            }
            if (!n) {
                fail(n.error().code);
            } else if (n.value() == 0) {
                fail(IpcErrc::PeerClosed);
            }
        }
    }
};

Channel::Channel(Socket socket) : state_(std::make_shared<State>(std::move(socket))) {}

Result<Channel> Channel::from_fd(boost::asio::any_io_executor const& executor, rt::Fd fd) {
    // rt::Fd cannot give its descriptor up, so the socket adopts a duplicate and `fd` closes
    // the original.
    int const raw = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
    if (raw < 0) {
        return rt::last_error();
    }
    boost::system::error_code ec;
    Socket socket(executor);
    socket.assign(boost::asio::local::stream_protocol(), raw, ec);
    if (ec) {
        ::close(raw);
        return std::error_code(ec.value(), std::generic_category());
    }
    return Channel(std::move(socket));
}

Result<std::pair<Channel, Channel>>
Channel::make_pair(boost::asio::any_io_executor const& executor) {
    Socket a(executor);
    Socket b(executor);
    boost::system::error_code ec;
    boost::asio::local::connect_pair(a, b, ec);
    if (ec) {
        return std::error_code(ec.value(), std::generic_category());
    }
    return std::pair<Channel, Channel>(Channel(std::move(a)), Channel(std::move(b)));
}

Result<void> Channel::send(Message const& message, rt::Fd fd) {
    State& s = *state_;
    if (s.error) {
        return s.error;
    }
    if (!s.socket.is_open()) {
        return IpcErrc::ChannelClosed;
    }
    auto frame = encode(message, fd.valid());
    if (!frame) {
        return frame.error();
    }
    rt::log_trace(rt::Trace::Imsg, "imsg: {} -> {} {} ({} octets{})", s.self_name, s.peer_name,
                  type_name(message), frame.value().size(), fd.valid() ? ", fd" : "");
    s.outbox.push_back(Outgoing{std::move(frame).value(), 0, std::move(fd)});
    if (!s.writing) {
        s.flush();
    }
    if (s.error) {
        return s.error;
    }
    return rt::success();
}

boost::asio::awaitable<Result<Received>> Channel::receive() {
    std::shared_ptr<State> const state = state_;
    while (true) {
        auto ready = state->take_ready();
        if (!ready) {
            co_return ready.error();
        }
        if (std::optional<Received>& message = ready.value(); message) {
            co_return std::move(*message);
        }
        boost::system::error_code ec;
        co_await state->socket.async_wait(
            Socket::wait_read, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        if (ec) {
            state->fail(ec);
        }
    }
}

Result<std::optional<Received>> Channel::try_receive() {
    return state_->take_ready();
}

void Channel::close() {
    if (state_ && !state_->error) {
        state_->fail(IpcErrc::ChannelClosed);
    }
}

std::size_t Channel::queued() const {
    return state_ ? state_->outbox.size() : 0;
}

void Channel::set_trace_names(std::string_view self, std::string_view peer) {
    state_->self_name = self;
    state_->peer_name = peer;
}

} // namespace smtpd::ipc
