// Channel: one end of a socketpair between two role processes, carrying IPC frames over a
// SOCK_STREAM unix socket (Asio's local::stream_protocol) with at most one file descriptor per
// frame (SCM_RIGHTS). As in OpenSMTPD's imsg, an fd is sent with the first bytes of its frame,
// and the kernel never merges a read across it, so received fds form a FIFO that frames flagged
// kFlagFd take from in order. Received fds are owned by rt::Fd and closed when unused: dropped by
// the handler, left queued when the channel goes, or refused (more than one per read, a truncated
// control message, too many queued). SOCK_STREAM rather than SOCK_SEQPACKET: frames up to
// kMaxFrameSize need no socket-buffer tuning, and Asio has a stream socket for it.
// Sends are queued and written in order by the channel; one coroutine receives at a time.
// Depends on: ipc/codec.hpp, ipc/frame_reader.hpp, common/fs.hpp (Fd), Boost.Asio.
#pragma once

#include "common/fs.hpp"
#include "ipc/codec.hpp"
#include "ipc/messages.hpp"

// <utility> before Asio: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

namespace smtpd::ipc {

/// Received fds waiting for their frame; more is a protocol error.
inline constexpr std::size_t kMaxQueuedFds = 8;

/// A message from the peer, with the fd its frame carried (invalid when none).
struct Received {
    Message message;
    rt::Fd fd;
};

class Channel {
  public:
    using Socket = boost::asio::local::stream_protocol::socket;

    explicit Channel(Socket socket);
    /// Adopts a connected unix stream socket, such as the fd a child inherits from its parent.
    [[nodiscard]] static Result<Channel> from_fd(boost::asio::any_io_executor const& executor,
                                                 rt::Fd fd);
    /// Two connected ends (socketpair(2)).
    [[nodiscard]] static Result<std::pair<Channel, Channel>>
    make_pair(boost::asio::any_io_executor const& executor);

    /// Queues `message` (with `fd`, if valid, which is closed here once sent) and starts writing.
    /// Errors: FrameTooLarge, ChannelClosed after close(), or the error of an earlier write.
    [[nodiscard]] Result<void> send(Message const& message, rt::Fd fd = {});

    /// The next message. Errors: every decoder error, MissingFd, UnexpectedFd, PeerClosed, the
    /// socket's error; after one, the channel is unusable. One receiver at a time.
    [[nodiscard]] boost::asio::awaitable<Result<Received>> receive();

    /// The next message if one can be had without waiting (already buffered, or readable now),
    /// std::nullopt if not; errors as receive(). For a receiver that batches what has arrived.
    [[nodiscard]] Result<std::optional<Received>> try_receive();

    /// Closes the socket: a pending receive completes with an error, queued frames are dropped.
    void close();

    /// Frames queued and not yet fully written.
    [[nodiscard]] std::size_t queued() const;
    /// Names this end and the peer in -T imsg lines ("queue -> scheduler DeliverResult ...").
    void set_trace_names(std::string_view self, std::string_view peer);

  private:
    struct State;
    explicit Channel(std::shared_ptr<State> state) : state_(std::move(state)) {}
    std::shared_ptr<State> state_;
};

} // namespace smtpd::ipc
