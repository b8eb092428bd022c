// ask(): one request/reply round trip over a channel. The request gets a fresh id from the
// reply's Pending map, is sent (with an optional fd), and the coroutine waits until the receive
// loop of that channel completes the id. A failed send fails the request; it never throws.
// Depends on: ipc/channel.hpp, ipc/pending.hpp, Boost.Asio.
#pragma once

#include "ipc/channel.hpp"
#include "ipc/pending.hpp"

// <utility> before Asio: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smtpd::ipc {

/// Sends `request` (whose `id` is set here) and awaits its reply. Build the awaitable in a
/// statement of its own and await it in the next (`auto asking = ask(...); co_await
/// std::move(asking);`): g++ 12 destroys objects created in a full-expression that contains
/// co_await wrongly (a double free of a braced request, seen in the lookup under load).
template <class Reply, class Request>
boost::asio::awaitable<rt::Result<Reply>> ask(Channel& channel, Pending<Reply>& pending,
                                              Request request, rt::Fd fd = {}) {
    request.id = pending.expect();
    if (auto sent = channel.send(request, std::move(fd)); !sent) {
        // Consume the slot, so that no reply can ever match this id.
        (void)pending.complete(request.id, Reply{});
        (void)co_await pending.async_wait(request.id, boost::asio::use_awaitable);
        co_return sent.error();
    }
    co_return co_await pending.async_wait(request.id, boost::asio::use_awaitable);
}

} // namespace smtpd::ipc
