// attempt (see attempt.hpp). A recipient's result is final once Delivered or PermFail; a
// temporary failure keeps it pending for the next address of the route.
#include "mta/attempt.hpp"

#include "common/log.hpp"
#include "common/random_id.hpp"
#include "mta/client_session.hpp"
#include "mta/connect.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <ctime>
#include <fmt/format.h>
#include <optional>
#include <unistd.h>

namespace smtpd::rt::mta {

namespace asio = boost::asio;
using asio::ip::tcp;
using Status = ipc::DeliveryStatus;

std::vector<std::size_t> Progress::pending() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < final.size(); ++i) {
        if (!final[i]) {
            out.push_back(i);
        }
    }
    return out;
}

void Progress::temp_fail_pending(std::string const& text, std::string const& remote) {
    for (std::size_t const i : pending()) {
        results[i].status = Status::TempFail;
        results[i].text = text;
        results[i].remote_mta = remote;
    }
}

namespace {

std::string_view result_word(Status status) {
    switch (status) {
    case Status::Delivered:
        return "Ok";
    case Status::PermFail:
        return "PermFail";
    case Status::TempFail:
        break;
    }
    return "TempFail";
}

std::int64_t now_time() {
    return static_cast<std::int64_t>(std::time(nullptr));
}

/// One session's bookkeeping: which job positions the current transaction carries.
struct Transaction {
    std::vector<std::size_t> positions;
    std::vector<std::size_t> deferred; ///< 452: for a new transaction
    bool delivered_any = false;
};

class Attempt {
  public:
    Attempt(MtaShared shared, AttemptContext const& context,
            ipc::RouteDestination const& destination, Progress& progress)
        : shared_(std::move(shared)), c_(context), destination_(destination), progress_(progress),
          relay_(fmt::format("{} [{}]", destination.host, destination.address)),
          place_{fmt::format("{}|{}|{}|{}", context.place_key, destination.host,
                             destination.address, context.job.target.port),
                 destination.address, context.job.target.name,
                 limit(conf::MtaLimit::MaxConnPerHost), limit(conf::MtaLimit::MaxConnPerDomain)} {}

    asio::awaitable<bool> run() {
        boost::system::error_code ec;
        auto const address = asio::ip::make_address(destination_.address, ec);
        if (ec && !unix_socket()) {
            progress_.temp_fail_pending("451 4.4.0 bad address " + destination_.address, {});
            co_return false;
        }
        if (!unix_socket()) {
            // `src`: bind the source address of the destination's family, and give its
            // `helo-src` name (relay_job.hpp pick_source). A session is reused only from the
            // same source with the same name.
            auto picked = pick_source(c_.job, destination_.address);
            if (!picked) {
                progress_.temp_fail_pending("451 4.4.0 " + picked.error().what(), {});
                co_return false;
            }
            source_ = std::move(picked).value();
            place_.key += fmt::format("|{}|{}", source_.address.value_or(""), source_.helo);
        }
        auto acquiring = shared_.pool.acquire(place_, kLimitWait);
        std::optional<SessionPool::Lease> lease = co_await std::move(acquiring);
        if (!lease) {
            progress_.temp_fail_pending(
                fmt::format("451 4.4.5 too many connections to {} (mta limit)", relay_),
                destination_.host);
            co_return false;
        }
        if (lease->session) {
            auto reusing = reuse(*lease);
            if (co_await std::move(reusing)) {
                co_return final_here_;
            }
        }
        bool plain = false;
        for (;;) {
            auto opening = open(*lease, tcp::endpoint(address, c_.job.target.port), plain);
            if (!co_await std::move(opening)) {
                co_return false;
            }
            auto driving = drive(*lease);
            co_await std::move(driving);
            if (!tls_failed_ || plain || final_here_ ||
                c_.job.params.tls != sm::ClientTlsPolicy::Opportunistic) {
                co_return final_here_;
            }
            plain = true; // the failed session was not parked: its slot is still ours
            tls_failed_ = false;
            log_info("{} mta retrying in plain text after a failed TLS handshake", id_);
        }
    }

  private:
    /// `host lmtp` to a path: the session goes over the action's unix socket.
    [[nodiscard]] bool unix_socket() const { return !c_.job.target.unix_socket.empty(); }

    /// The bound source address, "" when the system chooses.
    [[nodiscard]] std::string source() const { return source_.address.value_or(""); }

    [[nodiscard]] std::size_t limit(conf::MtaLimit key) const {
        return static_cast<std::size_t>(std::max<std::int64_t>(1, c_.limits[key]));
    }

    /// Sends the pending recipients on a parked session; false when it turns out dead before
    /// the server said anything (the lease then holds no session, its slot still counted).
    asio::awaitable<bool> reuse(SessionPool::Lease& lease) {
        reused_ = true;
        id_ = lease.session->id;
        auto const delay = c_.limits[conf::MtaLimit::SessionTransactionDelay];
        if (delay > 0) {
            asio::steady_timer timer(shared_.executor, std::chrono::seconds(delay));
            boost::system::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        current_ = Transaction{progress_.pending(), {}, false};
        lease.session->connection.send_message(message_for(lease.session->transactions));
        auto driving = drive(lease);
        co_await std::move(driving);
        if (!heard_) {
            log_info("{} mta session closed while idle: connecting again", id_);
            reused_ = false;
            co_return false;
        }
        co_return true;
    }

    /// Connects (and for smtps shakes hands) into `lease`; false with the pending recipients
    /// failed temporarily when that fails.
    asio::awaitable<bool> open(SessionPool::Lease& lease, tcp::endpoint endpoint, bool plain) {
        id_ = random_id();
        heard_ = false;
        auto const now = now_time();
        bool const unix_socket = this->unix_socket();
        std::string const where =
            unix_socket ? destination_.address : fmt::format("{}:{}", relay_, endpoint.port());
        log_info("{} mta connecting address={}{} host={}", id_, unix_socket ? "lmtp://" : "smtp://",
                 unix_socket ? destination_.address
                             : fmt::format("{}:{}", destination_.address, endpoint.port()),
                 destination_.host);
        shared_.stats->connecting(c_.relay, source(), destination_.address, destination_.host, now);
        tcp::socket socket(shared_.executor);
        auto connecting = unix_socket ? adopt_unix_socket(socket)
                                      : connect(socket, endpoint, kConnectTimeout, source_.address);
        boost::system::error_code const ec = co_await std::move(connecting);
        if (ec) {
            log_info("{} mta error reason=\"{}\"", id_, ec.message());
            std::string const error =
                fmt::format("421 4.4.1 connect to {}: {}", where, ec.message());
            shared_.stats->failed(source(), destination_.address, destination_.host, error,
                                  now_time());
            shared_.stats->closed(c_.relay, source(), destination_.address, now_time());
            progress_.temp_fail_pending(error, destination_.host);
            co_return false;
        }
        log_info("{} mta connected", id_);
        shared_.stats->connected(source(), destination_.address, now_time());
        boost::system::error_code ignored;
        // Commands and the body's end go in whole writes: nothing gains from Nagle's wait.
        socket.set_option(tcp::no_delay(true), ignored);
        sm::ClientParams params = c_.job.params;
        params.server_name = destination_.host.starts_with('[') ? "" : destination_.host;
        if (plain) {
            params.tls = sm::ClientTlsPolicy::None;
        }
        if (!unix_socket) {
            params.helo = source_.helo;
        }
        current_ = Transaction{progress_.pending(), {}, false};
        bool const implicit_tls = params.implicit_tls;
        std::string const server_name = params.server_name;
        std::size_t transactions = 0;
        sm::ClientMessage first = message_for(transactions);
        auto session = std::make_unique<LiveSession>(
            id_, std::move(socket), sm::ClientConnection(std::move(params), std::move(first)));
        session->transactions = transactions;
        session->on_close = [stats = std::weak_ptr<MtaStats>(shared_.stats), relay = c_.relay,
                             from = source(), address = destination_.address,
                             id = id_](std::size_t count) {
            log_info("{} mta disconnected reason=quit messages={}", id, count);
            if (auto s = stats.lock()) {
                s->closed(relay, from, address, now_time());
            }
        };
        lease.session = std::move(session);
        if (implicit_tls) {
            auto starting = start_tls(lease.session->stream, server_name);
            if (!co_await std::move(starting)) {
                progress_.temp_fail_pending(
                    fmt::format("421 4.7.0 TLS handshake with {} failed: {}", relay_,
                                lease.session->stream.verify_result()),
                    destination_.host);
                auto closing = lease.session->stream.close();
                co_await std::move(closing);
                lease.session.reset();
                co_return false;
            }
        }
        co_return true;
    }

    /// The action's unix socket, connected by the parent, adopted by `socket`: Asio reads and
    /// writes any stream socket through a tcp::socket's descriptor alike (only TCP options, whose
    /// failure the MTA ignores, would fail).
    asio::awaitable<boost::system::error_code> adopt_unix_socket(tcp::socket& socket) {
        auto connecting = shared_.unix_socket(c_.place_key);
        Result<Fd> fd = co_await std::move(connecting);
        if (!fd) {
            co_return boost::system::error_code(fd.error().code.value(),
                                                boost::system::generic_category());
        }
        boost::system::error_code ec;
        int const raw = fd.value().release();
        socket.assign(tcp::v4(), raw, ec);
        if (ec) {
            ::close(raw);
        }
        co_return ec;
    }

    /// Runs the session until its transactions are done, then parks it (the lease is then moved
    /// from) or closes it (the lease keeps its slot, without a session).
    asio::awaitable<void> drive(SessionPool::Lease& lease) {
        LiveSession& s = *lease.session;
        SessionHooks const hooks{
            [this] { return c_.body; },
            [this, &s](std::string const& name) { return start_tls(s.stream, name); },
            [this](sm::ClientRecipientResult const& r) { record(r); },
            [this, &s] { return next_message(s.transactions); }, [this] { heard_ = true; }};
        auto running = run_session(s.stream, s.connection, hooks, true);
        SessionRun const run = co_await std::move(running);
        if (delivered_here_) {
            shared_.stats->host_ok(destination_.host);
        }
        if (run.idle && s.transactions < limit(conf::MtaLimit::SessionMailMax)) {
            shared_.pool.park(place_.key, std::move(lease),
                              std::chrono::seconds(c_.limits[conf::MtaLimit::SessionKeepalive]));
            co_return;
        }
        if (run.idle) {
            auto quitting = quit_session(s);
            co_await std::move(quitting);
        } else {
            auto closing = s.stream.close();
            co_await std::move(closing);
        }
        lease.session.reset();
    }

    /// The handshake, verified as the job says, and its log lines in OpenSMTPD's words.
    asio::awaitable<bool> start_tls(SmtpStream& stream, std::string const& server_name) {
        auto shaking =
            stream.client_handshake(c_.tls, server_name, c_.job.verify, kHandshakeTimeout);
        bool const ok = co_await std::move(shaking);
        if (!ok) {
            log_info("{} mta error reason=\"TLS handshake failed: {}\"", id_,
                     stream.verify_result());
            tls_failed_ = true;
            shared_.stats->failed(source(), destination_.address, destination_.host,
                                  "TLS handshake failed: " + stream.verify_result(), now_time());
            co_return false;
        }
        bool const verified = stream.verify_result() == "verified";
        log_info("{} mta tls ciphers={}", id_, stream.tls_info());
        log_info(R"({} mta cert-check result="{}" fingerprint="{}")", id_,
                 verified ? "valid" : "unverified", stream.peer_certificate_hash());
        co_return true;
    }

    /// The message of the current transaction, counted in `transactions`.
    sm::ClientMessage message_for(std::size_t& transactions) {
        ++transactions;
        sm::ClientMessage m = c_.job.message;
        m.recipients.clear();
        for (std::size_t const p : current_.positions) {
            m.recipients.push_back(c_.job.message.recipients.at(p));
        }
        return m;
    }

    void record(sm::ClientRecipientResult const& r) {
        if (reused_ && !heard_) {
            return; // the parked session was dead: these recipients go on a new connection
        }
        if (r.index >= current_.positions.size()) {
            return;
        }
        std::size_t const position = current_.positions[r.index];
        ipc::RelayResult& result = progress_.results.at(position);
        result.status = sm::delivery_status(r.outcome);
        result.text = sm::client_reply_text(r.reply);
        result.remote_mta = destination_.host;
        result.relayed = r.relayed_without_dsn;
        if (r.outcome == sm::ClientOutcome::Deferred) {
            current_.deferred.push_back(position);
        } else if (result.status != Status::TempFail) {
            progress_.final.at(position) = true;
            final_here_ = true;
            bool const delivered = result.status == Status::Delivered;
            current_.delivered_any = current_.delivered_any || delivered;
            delivered_here_ = delivered_here_ || delivered;
        }
        log_result(id_, c_.envelope, c_.envelope.recipients.at(c_.job.indexes.at(position)),
                   source(), relay_, result);
    }

    std::optional<sm::ClientMessage> next_message(std::size_t& transactions) {
        if (current_.deferred.empty() || !current_.delivered_any) {
            return std::nullopt;
        }
        current_ = Transaction{std::move(current_.deferred), {}, false};
        return message_for(transactions);
    }

    MtaShared shared_;
    AttemptContext const& c_;
    ipc::RouteDestination const& destination_;
    Progress& progress_;
    std::string relay_;
    SessionPlace place_;
    PickedSource source_;
    std::string id_;
    Transaction current_;
    bool final_here_ = false;
    bool delivered_here_ = false;
    bool reused_ = false;
    bool heard_ = false;
    bool tls_failed_ = false;
};

} // namespace

asio::awaitable<bool> attempt(MtaShared shared, AttemptContext const& context,
                              ipc::RouteDestination const& destination, Progress& progress) {
    Attempt a(std::move(shared), context, destination, progress);
    auto running = a.run();
    co_return co_await std::move(running);
}

void log_result(std::string_view session, QueuedEnvelope const& envelope,
                QueuedRecipient const& rcpt, std::string_view source, std::string_view relay,
                ipc::RelayResult const& result) {
    std::int64_t const delay = std::max<std::int64_t>(0, now_time() - envelope.created);
    std::string const line = fmt::format(
        "{} mta delivery evpid={} from=<{}> to=<{}> rcpt=<{}> source=\"{}\" relay=\"{}\" "
        "delay={}s result=\"{}\" stat=\"{}\"",
        session.empty() ? envelope.id : session, envelope.id, envelope.sender, relay_address(rcpt),
        rcpt.address, source, relay, delay, result_word(result.status), result.text);
    if (result.status == Status::Delivered) {
        log_info("{}", line);
    } else {
        log_warn("{}", line);
    }
}

} // namespace smtpd::rt::mta
