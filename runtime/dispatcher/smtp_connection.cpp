// The connection loop: read -> framer -> to_event -> step -> actions, one event at a time.
// Answers to lookups and to the queue come back as events through the same step(), queued in
// internal_ so that they are handled in order, before the next frame is read.
#include "dispatcher/smtp_connection.hpp"

#include "common/log.hpp"
#include "common/random_id.hpp"
#include "dispatcher/queued_options.hpp"
#include "dispatcher/received.hpp"
#include "io/smtp_stream.hpp"
#include "lookup/queued_destination.hpp"
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
    Connection(tcp::socket socket, std::shared_ptr<ListenerContext const> listener)
        : stream_(std::move(socket)), listener_(std::move(listener)), ctx_(listener_->server),
          framer_(grammar::max_command_line(kEveryExtension), grammar::kMaxTextLine,
                  grammar::kMaxSaslLine),
          id_(random_id()) {
        session_.params = listener_->params;
        boost::system::error_code ec;
        auto const remote = stream_.socket().remote_endpoint(ec);
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
        if (session_.params.implicit_tls && !co_await start_tls()) {
            co_await stream_.close();
            co_return;
        }
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
            if (co_await answer_pending()) {
                continue;
            }
            if (!co_await flush() || session_.state == sm::State::Closed) {
                break;
            }
            auto const n = co_await stream_.read_some(buf, ctx_.command_timeout);
            if (stream_.timed_out()) {
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
        co_await stream_.close();
        log_info("{} smtp disconnected reason={}", id_, disconnect_reason_);
    }

    /// Performs what the session waits for (a commit, a credential check, a TLS handshake) and
    /// feeds back its answer; false when nothing was pending.
    asio::awaitable<bool> answer_pending() {
        if (commit_pending_) {
            commit_pending_ = false;
            sm::QueueVerdict verdict = co_await commit();
            handle(std::move(verdict));
            co_return true;
        }
        if (auto pending = std::exchange(credentials_, std::nullopt); pending.has_value()) {
            sm::AuthVerdict verdict = co_await check_credentials(std::move(*pending));
            handle(verdict);
            co_return true;
        }
        if (tls_pending_) {
            tls_pending_ = false;
            // RFC 3207 §4: the 220 goes out in clear text, then the handshake.
            bool const ok = co_await flush() && co_await start_tls();
            handle(sm::TlsDone{ok});
            co_return true;
        }
        co_return false;
    }

    asio::awaitable<bool> start_tls() {
        if (!listener_->tls) {
            co_return false;
        }
        bool const ok =
            co_await stream_.handshake(listener_->tls->context(), listener_->tls_timeout);
        if (ok) {
            log_info("{} smtp tls ciphers={}", id_, stream_.tls_info());
        } else {
            log_info("{} smtp disconnected reason=tls-failure", id_);
            disconnect_reason_ = "tls-failure";
        }
        co_return ok;
    }

    /// RFC 4954: checks the credentials off the event loop (a password hash costs milliseconds).
    asio::awaitable<sm::AuthVerdict> check_credentials(sm::CheckCredentials c) {
        using Kind = sm::AuthVerdict::Kind;
        auto work = [creds = listener_->credentials, user = c.user, password = c.password] {
            return creds ? creds->verify(user, password)
                         : auth::verify_system_password(user, password);
        };
        auto checking = ctx_.disk.run(std::move(work));
        bool const ok = co_await std::move(checking);
        log_info("{} smtp authentication user={} result={}", id_, c.user, ok ? "ok" : "permfail");
        co_return sm::AuthVerdict{ok ? Kind::Accepted : Kind::Rejected};
    }

    asio::awaitable<bool> flush() {
        if (out_.empty()) {
            co_return true;
        }
        bool const ok = co_await stream_.write(out_);
        out_.clear();
        if (!ok) {
            handle(sm::PeerClosed{});
            disconnect_reason_ = "write-error";
        }
        co_return ok;
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
        out_ += sm::render_reply(a.reply, listener_->hostname);
        if (a.reply.id == sm::ReplyId::Bye) {
            disconnect_reason_ = "quit";
        }
    }

    void perform(sm::SetFramerMode const& a) { framer_.set_mode(a.mode); }

    void perform(sm::ReadChunk const& a) { framer_.read_chunk(a.octets, a.skip); }

    // RFC 3207 §4.2 (the CVE-2011-0411 class): what the client pipelined after STARTTLS is
    // dropped; run() flushes the 220 and runs the handshake.
    void perform(sm::StartTls const&) {
        framer_.discard_buffered();
        tls_pending_ = true;
    }

    // run() checks them on a worker thread; the session waits in AwaitAuth.
    void perform(sm::CheckCredentials const& a) { credentials_ = a; }

    void perform(sm::CheckRecipient const& a) {
        auto const [local, domain] = split_recipient(a.recipient, ctx_.hostname);
        Resolution r = ctx_.resolver.resolve(local, domain, client_local_);
        log_debug("{} lookup: <{}@{}> {}", id_, local, domain, r.reason);
        if (!r.destinations.empty()) {
            destinations_[local + "@" + domain] = std::move(r.destinations);
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
        ReceivedInfo info;
        info.helo = a.envelope.helo;
        info.client_ip = client_ip_;
        info.hostname = listener_->hostname;
        info.esmtp = a.envelope.esmtp;
        info.id = message_->id();
        info.when = std::time(nullptr);
        info.tls = a.envelope.tls;
        info.tls_info = stream_.tls_info();
        info.authenticated = a.envelope.auth_user.has_value();
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
                    std::map<std::string, std::vector<Destination>> const& destinations) {
        QueuedEnvelope env{id,
                           std::time(nullptr),
                           envelope.helo,
                           client_ip_,
                           client_local_,
                           path_address(envelope.sender),
                           {},
                           0,
                           {}};
        // Before the recipients: it copies NOTIFY and ORCPT by index, and one recipient may
        // have several destinations; to_queued copies them instead.
        copy_session_options(envelope, env);
        for (auto const& recipient : envelope.recipients) {
            auto const [local, domain] = split_recipient(recipient.path, ctx_.hostname);
            auto const d = destinations.find(local + "@" + domain);
            if (d == destinations.end()) {
                log_error("{} queue: no destination for <{}@{}>", id_, local, domain);
                return std::nullopt;
            }
            for (Destination const& dest : d->second) {
                env.recipients.push_back(to_queued(local + "@" + domain, dest,
                                                   recipient.options.notify,
                                                   recipient.options.orcpt.value_or("")));
            }
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

    SmtpStream stream_;
    std::shared_ptr<ListenerContext const> listener_;
    ServerContext& ctx_;
    sm::Framer framer_;
    sm::Session session_;
    std::deque<sm::Event> internal_;
    std::string out_;
    std::string id_;
    std::string client_ip_ = "unknown";
    bool client_local_ = false;
    std::string disconnect_reason_ = "disconnect";
    std::optional<IncomingMessage> message_;
    std::error_code open_error_;
    std::optional<sm::Envelope> envelope_;
    std::map<std::string, std::vector<Destination>> destinations_;
    std::size_t message_size_ = 0;
    bool commit_pending_ = false;
    bool tls_pending_ = false;
    std::optional<sm::CheckCredentials> credentials_;
};

} // namespace

void serve_connection(tcp::socket socket, std::shared_ptr<ListenerContext const> listener) {
    auto executor = socket.get_executor();
    auto connection = std::make_shared<Connection>(std::move(socket), std::move(listener));
    asio::co_spawn(executor, Connection::serve(std::move(connection)), asio::detached);
}

} // namespace smtpd::rt
