// Threads for work that blocks on the disk (fsync of spool and Maildir files), so the event loop
// keeps serving other sessions while one waits for its message to become durable. Concurrent
// fsyncs also let the filesystem fold them into one journal commit: many sessions' messages are
// made durable together, each still acknowledged only after its own fsyncs returned.
// The work must only touch what it was given and thread-safe objects (Spool, the log); its
// result comes back on the awaiting coroutine's executor.
// Depends on: Boost.Asio.
#pragma once

// <utility> before awaitable.hpp: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstddef>
#include <optional>
#include <type_traits>

namespace smtpd::rt {

class DiskWorkers {
  public:
    explicit DiskWorkers(std::size_t threads) : pool_(threads) {}
    DiskWorkers(DiskWorkers const&) = delete;
    DiskWorkers& operator=(DiskWorkers const&) = delete;
    DiskWorkers(DiskWorkers&&) = delete;
    DiskWorkers& operator=(DiskWorkers&&) = delete;
    ~DiskWorkers() { shutdown(); }

    /// Runs `work()` on a disk thread; the awaiting coroutine resumes on its own executor with
    /// the result (any movable type: a Result<T> too, which is not default-constructible).
    template <class F> boost::asio::awaitable<std::invoke_result_t<F&>> run(F work) {
        auto running = boost::asio::co_spawn(pool_.get_executor(), call(std::move(work)),
                                             boost::asio::use_awaitable);
        auto result = co_await std::move(running);
        co_return std::move(*result);
    }

    /// Runs `work()` on a disk thread, nobody waiting for it.
    template <class F> void post(F work) { boost::asio::post(pool_, std::move(work)); }

    /// Stops taking work and waits for the work in progress (not the work still queued).
    void shutdown() {
        pool_.stop();
        pool_.join();
    }

    /// Waits until every piece of work taken, queued ones included, has run; for a graceful
    /// stop, after the event loop has stopped handing out new work.
    void drain() { pool_.join(); }

  private:
    // A coroutine whose frame owns `work` for as long as it runs. Asio's co_spawn needs a
    // default-constructible result: the optional is one, whatever work() returns.
    template <class F>
    static boost::asio::awaitable<std::optional<std::invoke_result_t<F&>>> call(F work) {
        co_return std::optional<std::invoke_result_t<F&>>(work());
    }

    boost::asio::thread_pool pool_;
};

} // namespace smtpd::rt
