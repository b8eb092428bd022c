// Pending<T>: the requests a process has sent on one channel and awaits replies of type T for,
// keyed by 64-bit request id (our version of imsg's waiting trees). A reply is matched by id;
// a reply whose id was never registered, or was already answered, is UnknownRequestId, which the
// caller treats as a fatal protocol error from an internal peer. The waiting side is an Asio
// async operation with the signature void(Result<T>), so it is awaited with use_awaitable
// (no exception: the error is in the Result) or given a callback. A reply may arrive before the
// waiter asks for it; it is kept until then. Single-threaded: use it from one strand.
// Depends on: ipc/messages.hpp, ipc/error.hpp, common/result.hpp, Boost.Asio.
#pragma once

#include "common/result.hpp"
#include "ipc/error.hpp"
#include "ipc/messages.hpp"

// <utility> before Asio: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <system_error>
#include <unordered_map>

namespace smtpd::ipc {

template <class T> class Pending {
  public:
    explicit Pending(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

    /// A fresh request id, registered as awaiting its reply. Put it in the request.
    [[nodiscard]] RequestId expect() {
        RequestId const id = next_id_++;
        slots_.emplace(id, Slot{});
        return id;
    }

    /// Delivers the reply of `id` to its waiter, or keeps it until async_wait. UnknownRequestId
    /// when `id` is not pending (never sent, or already answered).
    [[nodiscard]] rt::Result<void> complete(RequestId id, T reply) {
        auto it = slots_.find(id);
        if (it == slots_.end() || it->second.ready) {
            return IpcErrc::UnknownRequestId;
        }
        if (it->second.waiter) {
            auto waiter = std::move(it->second.waiter);
            slots_.erase(it);
            waiter->complete(std::move(reply));
        } else {
            it->second.ready.emplace(std::move(reply));
        }
        return rt::success();
    }

    /// Fails every pending request with `error` (the channel is gone).
    void fail_all(std::error_code error) {
        auto slots = std::move(slots_);
        slots_.clear();
        for (auto& [id, slot] : slots) {
            if (slot.waiter) {
                slot.waiter->complete(error);
            }
        }
    }

    /// Waits for the reply of `id`; completes with void(Result<T>), never inline. An id that is
    /// not expected completes with UnknownRequestId, a second waiter with DuplicateRequestId.
    template <class Token> auto async_wait(RequestId id, Token&& token) {
        return boost::asio::async_initiate<Token, void(rt::Result<T>)>(
            [this, id](auto handler) {
                using Handler = decltype(handler);
                auto waiter = std::make_unique<Waiter<Handler>>(std::move(handler), executor_);
                auto it = slots_.find(id);
                if (it == slots_.end()) {
                    waiter->complete(IpcErrc::UnknownRequestId);
                } else if (it->second.ready) {
                    auto reply = std::move(*it->second.ready);
                    slots_.erase(it);
                    waiter->complete(std::move(reply));
                } else if (it->second.waiter) {
                    waiter->complete(IpcErrc::DuplicateRequestId);
                } else {
                    it->second.waiter = std::move(waiter);
                }
            },
            token);
    }

    /// Requests sent and not yet answered (or answered and not yet awaited).
    [[nodiscard]] std::size_t size() const { return slots_.size(); }

  private:
    struct WaiterBase {
        WaiterBase() = default;
        WaiterBase(WaiterBase const&) = delete;
        WaiterBase& operator=(WaiterBase const&) = delete;
        WaiterBase(WaiterBase&&) = delete;
        WaiterBase& operator=(WaiterBase&&) = delete;
        virtual ~WaiterBase() = default;
        virtual void complete(rt::Result<T> result) = 0;
    };

    // Holds the handler and work on its executor; completion is posted there, so a waiter never
    // runs inside complete() (which is called from the channel's reading loop).
    template <class Handler> class Waiter final : public WaiterBase {
      public:
        Waiter(Handler handler, boost::asio::any_io_executor const& fallback)
            : handler_(std::move(handler)),
              work_(boost::asio::make_work_guard(
                  boost::asio::get_associated_executor(handler_, fallback))) {}

        void complete(rt::Result<T> result) override {
            auto executor = work_.get_executor();
            boost::asio::post(executor, [handler = std::move(handler_), work = std::move(work_),
                                         result = std::move(result)]() mutable {
                std::move(handler)(std::move(result));
            });
        }

      private:
        Handler handler_;
        boost::asio::executor_work_guard<
            boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>>
            work_;
    };

    struct Slot {
        std::unique_ptr<WaiterBase> waiter;
        std::optional<T> ready;
    };

    boost::asio::any_io_executor executor_;
    std::unordered_map<RequestId, Slot> slots_;
    RequestId next_id_ = 1;
};

} // namespace smtpd::ipc
