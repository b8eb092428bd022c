// SessionPool (see session_pool.hpp). Waiters sleep on their own timers, woken all at once when
// a slot is released or a session parked, and each checks again: few waiters, one loop, no lost
// wake-up. The most recently parked session is reused first (the likeliest to be alive).
#include "mta/session_pool.hpp"

#include "mta/client_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <poll.h>

namespace smtpd::rt::mta {

namespace asio = boost::asio;

namespace {

/// Cancels a timer where nothing may throw (destructors, releases): cancel() throws only when the
/// reactor cannot deregister, and then the waiter wakes at its deadline all the same.
void cancel_quietly(asio::steady_timer& timer) noexcept {
    try {
        timer.cancel();
    } catch (...) { // NOLINT(bugprone-empty-catch): see above
    }
}

} // namespace

struct SessionPool::State {
    Counts counts;
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;

    void wake_all() noexcept {
        for (auto const& w : waiters) {
            cancel_quietly(*w);
        }
    }
};

namespace {

void decrement(std::map<std::string, std::size_t, std::less<>>& counts, std::string const& key) {
    auto const it = counts.find(key);
    if (it != counts.end() && --it->second == 0) {
        counts.erase(it);
    }
}

std::size_t count_of(std::map<std::string, std::size_t, std::less<>> const& counts,
                     std::string const& key) {
    auto const it = counts.find(key);
    return it == counts.end() ? 0 : it->second;
}

/// An idle SMTP server says nothing: anything readable on the socket (a 421, TLS's close_notify,
/// the end of the stream) means the session is over.
bool still_open(LiveSession& session) {
    pollfd p{session.stream.socket().native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

} // namespace

SessionPool::Slot::Slot(std::weak_ptr<State> state, std::string host, std::string domain)
    : state_(std::move(state)), host_(std::move(host)), domain_(std::move(domain)) {}

SessionPool::Slot::Slot(Slot&& other) noexcept
    : state_(std::move(other.state_)), host_(std::move(other.host_)),
      domain_(std::move(other.domain_)) {
    other.state_.reset();
}

SessionPool::Slot& SessionPool::Slot::operator=(Slot&& other) noexcept {
    if (this != &other) {
        release();
        state_ = std::move(other.state_);
        host_ = std::move(other.host_);
        domain_ = std::move(other.domain_);
        other.state_.reset();
    }
    return *this;
}

SessionPool::Slot::~Slot() {
    release();
}

void SessionPool::Slot::release() {
    if (auto state = state_.lock()) {
        decrement(state->counts.hosts, host_);
        decrement(state->counts.domains, domain_);
        state->wake_all();
    }
    state_.reset();
}

SessionPool::SessionPool(asio::any_io_executor executor)
    : executor_(std::move(executor)), state_(std::make_shared<State>()) {}

SessionPool::~SessionPool() {
    for (auto& [key, list] : parked_) {
        for (auto const& p : list) {
            cancel_quietly(p->timer);
        }
    }
}

std::optional<SessionPool::Lease> SessionPool::take_parked(std::string const& key) {
    auto const it = parked_.find(key);
    while (it != parked_.end() && !it->second.empty()) {
        std::shared_ptr<Parked> const p = std::move(it->second.back());
        it->second.pop_back();
        p->timer.cancel();
        if (still_open(*p->lease.session)) {
            Lease lease = std::move(p->lease);
            if (it->second.empty()) {
                parked_.erase(it);
            }
            return lease;
        }
        close_later(std::move(p->lease));
    }
    if (it != parked_.end()) {
        parked_.erase(it);
    }
    return std::nullopt;
}

bool SessionPool::evict_for(SessionPlace const& place) {
    for (auto& [key, list] : parked_) {
        auto const victim = std::find_if(list.begin(), list.end(), [&](auto const& p) {
            return p->lease.slot.host_ == place.host || p->lease.slot.domain_ == place.domain;
        });
        if (victim != list.end()) {
            std::shared_ptr<Parked> const p = *victim;
            list.erase(victim);
            p->timer.cancel();
            if (list.empty()) {
                parked_.erase(key);
            }
            close_later(std::move(p->lease));
            return true;
        }
    }
    return false;
}

asio::awaitable<std::optional<SessionPool::Lease>> SessionPool::acquire(SessionPlace place,
                                                                        std::chrono::seconds wait) {
    auto const deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        if (auto lease = take_parked(place.key)) {
            co_return lease;
        }
        Counts& counts = state_->counts;
        if (count_of(counts.hosts, place.host) < place.max_per_host &&
            count_of(counts.domains, place.domain) < place.max_per_domain) {
            ++counts.hosts[place.host];
            ++counts.domains[place.domain];
            co_return Lease{Slot(state_, place.host, place.domain), nullptr};
        }
        if (evict_for(place)) {
            continue; // its slot is free now
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            co_return std::nullopt;
        }
        auto waiter = std::make_shared<asio::steady_timer>(executor_, deadline);
        state_->waiters.push_back(waiter);
        boost::system::error_code ec;
        co_await waiter->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        std::erase(state_->waiters, waiter);
    }
}

void SessionPool::park(std::string key, Lease lease, std::chrono::seconds keepalive) {
    auto parked = std::make_shared<Parked>(Parked{std::move(lease), asio::steady_timer(executor_)});
    parked->timer.expires_after(keepalive);
    parked_[key].push_back(parked);
    state_->wake_all();
    asio::co_spawn(executor_, expire(std::move(key), std::move(parked)), asio::detached);
}

asio::awaitable<void> SessionPool::expire(std::string key, std::shared_ptr<Parked> parked) {
    boost::system::error_code ec;
    co_await parked->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        co_return; // taken, evicted, or the pool is going
    }
    auto const it = parked_.find(key);
    if (it == parked_.end()) {
        co_return;
    }
    auto const found = std::find(it->second.begin(), it->second.end(), parked);
    if (found == it->second.end()) {
        co_return;
    }
    it->second.erase(found);
    if (it->second.empty()) {
        parked_.erase(it);
    }
    Lease lease = std::move(parked->lease);
    auto quitting = quit_session(*lease.session);
    co_await std::move(quitting);
}

void SessionPool::close_later(Lease lease) {
    lease.slot = Slot{}; // counted no more: the connection is on its way out
    auto closing = [](std::unique_ptr<LiveSession> session) -> asio::awaitable<void> {
        auto quitting = quit_session(*session);
        co_await std::move(quitting);
    };
    asio::co_spawn(executor_, closing(std::move(lease.session)), asio::detached);
}

std::size_t SessionPool::connections_to(std::string const& host) const {
    return count_of(state_->counts.hosts, host);
}

std::size_t SessionPool::parked() const {
    std::size_t n = 0;
    for (auto const& [key, list] : parked_) {
        n += list.size();
    }
    return n;
}

asio::awaitable<void> quit_session(LiveSession& session) {
    session.connection.quit();
    SessionHooks const quiet{[] { return MessageContent{}; },
                             [](std::string const&) -> asio::awaitable<bool> { co_return false; },
                             [](sm::ClientRecipientResult const&) {},
                             [] { return std::optional<sm::ClientMessage>{}; }};
    auto running = run_session(session.stream, session.connection, quiet, false);
    co_await std::move(running);
    auto closing = session.stream.close();
    co_await std::move(closing);
}

} // namespace smtpd::rt::mta
