// The connection loop: read -> framer -> to_event -> step -> actions, one event at a time.
// Answers to lookups and to the queue come back as events through the same step(), queued in
// internal_ so that they are handled in order, before the next frame is read.
#include "dispatcher/smtp_connection.hpp"

#include "common/log.hpp"
#include "common/random_id.hpp"
#include "dispatcher/received.hpp"
#include "smtpd/grammar/limits.hpp"
#include "smtpd/sm/session.hpp"

// <utility> before awaitable.hpp: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <ctime>
#include <deque>
#include <map>
#include <optional>

namespace smtpd::rt {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t kReadBuffer = 16384;

/// The framer's line limit is the longest any advertised set allows; to_event then holds each
/// verb to its own (grammar::max_command_line).
constexpr grammar::Extensions kEveryExtension{
    grammar::Extension::Size, grammar::Extension::EightBitMime, grammar::Extension::Dsn,
    grammar::Extension::SmtpUtf8, grammar::Extension::Auth};

bool is_loopback(asio::ip::address const& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return a.to_v6().to_v4().is_loopback();
    }
    return a.is_loopback();
}

/// The recipient as local-part and domain; RCPT TO:<Postmaster> is for this host.
std::pair<std::string, std::string> split_recipient(grammar::Path const& path,
                                                    std::string const& hostname) {
    if (path.mailbox) {
        return {path.mailbox->local_part, path.mailbox->domain};
    }
    return {"Postmaster", hostname};
}

std::string path_address(grammar::Path const& path) {
    return path.mailbox ? path.mailbox->local_part + "@" + path.mailbox->domain : std::string();
}

class Connection {
  public:
    Connection(tcp::socket socket, ServerContext& ctx)
        : socket_(std::move(socket)), timer_(socket_.get_executor()), ctx_(ctx),
          framer_(grammar::max_command_line(kEveryExtension), grammar::kMaxTextLine,
                  grammar::kMaxSaslLine),
          id_(random_id()) {
        session_.params = ctx_.session_params;
        boost::system::error_code ec;
        auto const remote = socket_.remote_endpoint(ec);
        if (!ec) {
            client_ip_ = remote.address().to_string();
            client_local_ = is_loopback(remote.address());
        }
    }

    /// The coroutine owns the connection through its parameter, kept in the coroutine frame.
    static asio::awaitable<void> serve(std::shared_ptr<Connection> self) { co_await self->run(); }

  private:
    asio::awaitable<void> run() {
        log_info("{} smtp connected address={} host={}", id_, client_ip_, client_ip_);
        handle(sm::Connected{});
        // Not zero-initialised: an idle connection should not pay for pages it never reads into.
        std::array<char, kReadBuffer> buf; // NOLINT(cppcoreguidelines-pro-type-member-init)
        while (session_.state != sm::State::Closed) {
            while (session_.state != sm::State::Closed && !sm::awaiting_answer(session_)) {
                auto frame = framer_.next();
                if (!frame) {
                    break;
                }
                handle(sm::to_event(std::move(*frame), sm::line_context(session_)));
            }
            if (commit_pending_) {
                commit_pending_ = false;
                sm::QueueVerdict verdict = co_await commit();
                handle(std::move(verdict));
                continue;
            }
            if (!co_await flush() || session_.state == sm::State::Closed) {
                break;
            }
            auto const n = co_await read_some(buf);
            if (timed_out_) {
                handle(sm::Timeout{});
                disconnect_reason_ = "timeout";
            } else if (n == 0) {
                handle(sm::PeerClosed{});
                disconnect_reason_ = "disconnect";
            } else {
                framer_.push(std::string_view(buf.data(), n));
            }
        }
        co_await flush();
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
        log_info("{} smtp disconnected reason={}", id_, disconnect_reason_);
    }

    asio::awaitable<std::size_t> read_some(std::array<char, kReadBuffer>& buf) {
        timed_out_ = false;
        timer_.expires_after(ctx_.command_timeout);
        timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec) {
                timed_out_ = true;
                boost::system::error_code ignored;
                socket_.cancel(ignored);
            }
        });
        boost::system::error_code ec;
        std::size_t const n = co_await socket_.async_read_some(
            asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
        timer_.cancel();
        co_return ec ? 0 : n;
    }

    asio::awaitable<bool> flush() {
        if (out_.empty()) {
            co_return true;
        }
        boost::system::error_code ec;
        co_await asio::async_write(socket_, asio::buffer(out_),
                                   asio::redirect_error(asio::use_awaitable, ec));
        out_.clear();
        if (ec) {
            handle(sm::PeerClosed{});
            disconnect_reason_ = "write-error";
        }
        co_return !ec;
    }

    void handle(sm::Event event) {
        internal_.push_back(std::move(event));
        while (!internal_.empty()) {
            sm::Event const e = std::move(internal_.front());
            internal_.pop_front();
            sm::State const before = session_.state;
            auto result = sm::step(std::move(session_), e);
            session_ = std::move(result.next);
            log_debug("session {}: {} -> {} [{}]", id_, sm::state_name(before),
                      sm::state_name(session_.state), result.row);
            if (result.error != sm::StepError::None) {
                log_warn("{} session: unexpected {} in state {}", id_,
                         sm::event_kind_name(sm::kind_of(e)), sm::state_name(before));
            }
            for (auto& action : result.actions) {
                std::visit([this](auto& a) { perform(a); }, action);
            }
        }
    }

    void perform(sm::ReplyAction const& a) {
        out_ += sm::render_reply(a.reply, ctx_.hostname);
        if (a.reply.id == sm::ReplyId::Bye) {
            disconnect_reason_ = "quit";
        }
    }

    void perform(sm::SetFramerMode const& a) { framer_.set_mode(a.mode); }

    void perform(sm::ReadChunk const& a) { framer_.read_chunk(a.octets, a.skip); }

    // XXX(#5): STARTTLS and AUTH are offered only once their listener options are wired; until
    // then a session never asks for them, and these answers are the safe ones.
    void perform(sm::StartTls const&) {
        framer_.discard_buffered();
        internal_.emplace_back(sm::TlsDone{false});
    }

    void perform(sm::CheckCredentials const&) {
        internal_.emplace_back(sm::AuthVerdict{sm::AuthVerdict::Kind::TempFail});
    }

    void perform(sm::CheckRecipient const& a) {
        auto const [local, domain] = split_recipient(a.recipient, ctx_.hostname);
        Resolution r = ctx_.resolver.resolve(local, domain, client_local_);
        log_debug("{} lookup: <{}@{}> {}", id_, local, domain, r.reason);
        if (r.destination) {
            destinations_[local + "@" + domain] = std::move(*r.destination);
        }
        internal_.emplace_back(sm::RcptVerdict{r.verdict});
    }

    void perform(sm::OpenMessage const& a) {
        envelope_ = a.envelope;
        auto begun = ctx_.spool.begin();
        if (!begun) {
            open_error_ = begun.error();
            message_.reset();
            return;
        }
        open_error_.clear();
        message_size_ = 0;
        message_.emplace(std::move(begun).value());
        ReceivedInfo info{a.envelope.helo, client_ip_,    ctx_.hostname,     a.envelope.esmtp,
                          message_->id(),  std::string(), std::time(nullptr)};
        if (a.envelope.recipients.size() == 1) {
            info.single_recipient = path_address(a.envelope.recipients.front().path);
        }
        message_->write(received_header(info));
    }

    void perform(sm::WriteData const& a) {
        if (message_) {
            message_->write(a.bytes);
            message_size_ += a.bytes.size();
        }
    }

    // The session now waits in AwaitQueue; run() performs the commit and feeds back the verdict.
    void perform(sm::CommitMessage const&) { commit_pending_ = true; }

    /// Makes the message durable on a disk worker while this connection waits (and the others
    /// go on), then schedules its delivery. The verdict becomes the reply: 250 only if durable.
    asio::awaitable<sm::QueueVerdict> commit() {
        using Kind = sm::QueueVerdict::Kind;
        std::optional<IncomingMessage> message = std::exchange(message_, std::nullopt);
        auto destinations = std::exchange(destinations_, {});
        if (!message || !envelope_) {
            log_warn("{} queue: cannot open message: {}", id_, open_error_.message());
            co_return sm::QueueVerdict{no_space(open_error_) ? Kind::NoSpace : Kind::TempFail, {}};
        }
        auto env = queued_envelope(message->id(), *envelope_, destinations);
        if (!env) {
            ctx_.spool.abort(*message);
            co_return sm::QueueVerdict{Kind::TempFail, {}};
        }
        // Named locals, not temporaries in the co_await expression: g++ 12 mis-destroys those.
        auto work = [&spool = ctx_.spool, m = std::move(*message),
                     e = *env]() mutable -> std::error_code {
            if (auto r = spool.commit(m, e); !r) {
                spool.abort(m);
                return r.error();
            }
            return {};
        };
        auto committing = ctx_.disk.run(std::move(work));
        std::error_code const error = co_await std::move(committing);
        if (error) {
            log_warn("{} queue: commit failed for msgid={}: {}", id_, env->id, error.message());
            co_return sm::QueueVerdict{no_space(error) ? Kind::NoSpace : Kind::TempFail, {}};
        }
        log_info("{} smtp message msgid={} size={} nrcpt={} proto={}", id_, env->id, message_size_,
                 env->recipients.size(), envelope_->esmtp ? "ESMTP" : "SMTP");
        ctx_.queue.schedule(env->id);
        co_return sm::QueueVerdict{Kind::Queued, env->id};
    }

    /// The envelope to queue: the session's sender and recipients with the destination each
    /// recipient resolved to at RCPT time; none if a recipient has no destination (a bug).
    std::optional<QueuedEnvelope>
    queued_envelope(std::string const& id, sm::Envelope const& envelope,
                    std::map<std::string, Destination> const& destinations) {
        QueuedEnvelope env{id,
                           std::time(nullptr),
                           envelope.helo,
                           client_ip_,
                           client_local_,
                           path_address(envelope.sender),
                           {},
                           0,
                           {}};
        for (auto const& recipient : envelope.recipients) {
            auto const [local, domain] = split_recipient(recipient.path, ctx_.hostname);
            auto const d = destinations.find(local + "@" + domain);
            if (d == destinations.end()) {
                log_error("{} queue: no destination for <{}@{}>", id_, local, domain);
                return std::nullopt;
            }
            env.recipients.push_back({local + "@" + domain, d->second.user, d->second.maildir});
        }
        return env;
    }

    void perform(sm::AbortMessage const&) {
        if (message_) {
            ctx_.spool.abort(*message_);
            message_.reset();
        }
        destinations_.clear();
    }

    void perform(sm::CloseConnection const&) {}

    static bool no_space(std::error_code ec) {
        return ec == std::errc::no_space_on_device || ec.value() == EDQUOT;
    }

    tcp::socket socket_;
    asio::steady_timer timer_;
    ServerContext& ctx_;
    sm::Framer framer_;
    sm::Session session_;
    std::deque<sm::Event> internal_;
    std::string out_;
    std::string id_;
    std::string client_ip_ = "unknown";
    bool client_local_ = false;
    bool timed_out_ = false;
    std::string disconnect_reason_ = "disconnect";
    std::optional<IncomingMessage> message_;
    std::error_code open_error_;
    std::optional<sm::Envelope> envelope_;
    std::map<std::string, Destination> destinations_;
    std::size_t message_size_ = 0;
    bool commit_pending_ = false;
};

} // namespace

void serve_connection(tcp::socket socket, ServerContext& context) {
    auto executor = socket.get_executor();
    auto connection = std::make_shared<Connection>(std::move(socket), context);
    asio::co_spawn(executor, Connection::serve(std::move(connection)), asio::detached);
}

} // namespace smtpd::rt
