// The connection loop: read -> framer -> to_event -> step -> actions, one event at a time.
// Answers to lookups and to the queue come back as events through the same step(), queued in
// internal_ so that they are handled in order, before the next frame is read.
#include "dispatcher/smtp_connection.hpp"

#include "common/fs.hpp"
#include "common/kill_point.hpp"
#include "common/log.hpp"
#include "common/random_id.hpp"
#include "dispatcher/queued_options.hpp"
#include "dispatcher/received.hpp"
#include "dispatcher/smtp_trace.hpp"
#include "io/smtp_stream.hpp"
#include "role/role_process.hpp"
#include "smtpd/grammar/limits.hpp"
#include "smtpd/sm/session.hpp"
#include "spool/envelope.hpp"

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

/// "127.0.0.1:25", "[::1]:587": the listener a connection came in on, for the envelope.
std::string endpoint_text(tcp::endpoint const& e) {
    std::string const address = e.address().to_string();
    if (e.address().is_v6()) {
        return fmt::format("[{}]:{}", address, e.port());
    }
    return fmt::format("{}:{}", address, e.port());
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

/// The content of a message being received, written to the file the queue opened for it.
/// A write error is kept and makes the commit fail.
struct MessageFile {
    std::string msgid;
    Fd fd;
    std::error_code error;
    std::size_t size = 0;

    void write(std::string_view bytes) {
        if (error) {
            return;
        }
        if (auto r = write_all(fd.get(), bytes); !r) {
            error = r.error();
        }
    }
};

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
        auto const local = stream_.socket().local_endpoint(ec);
        if (!ec) {
            listener_address_ = endpoint_text(local);
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
            while (session_.state != sm::State::Closed && !sm::awaiting_answer(session_) &&
                   !open_pending_) {
                auto frame = framer_.next();
                if (!frame) {
                    break;
                }
                trace_received(*frame);
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
        if (auto info = std::exchange(open_pending_, std::nullopt); info.has_value()) {
            auto opening = open_message(std::move(*info));
            co_await std::move(opening);
            co_return true;
        }
        if (auto rcpt = std::exchange(recipient_pending_, std::nullopt); rcpt.has_value()) {
            handle(co_await check_recipient(*rcpt));
            co_return true;
        }
        if (commit_pending_) {
            commit_pending_ = false;
            sm::QueueVerdict verdict = co_await commit();
            handle(std::move(verdict));
            co_return true;
        }
        if (auto pending = std::exchange(credentials_, std::nullopt); pending.has_value()) {
            auto checking = check_credentials(std::move(*pending));
            sm::AuthVerdict const verdict = co_await std::move(checking);
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

    /// RFC 4954: the lookup role checks the credentials against the listener's table.
    asio::awaitable<sm::AuthVerdict> check_credentials(sm::CheckCredentials c) {
        using Kind = sm::AuthVerdict::Kind;
        auto checking =
            ctx_.services.check_credentials(listener_->listen_index, c.user, std::move(c.password));
        auto checked = co_await std::move(checking);
        Kind const kind = !checked                                                ? Kind::TempFail
                          : checked.value().verdict == ipc::AuthVerdict::Accepted ? Kind::Accepted
                          : checked.value().verdict == ipc::AuthVerdict::Rejected ? Kind::Rejected
                                                                                  : Kind::TempFail;
        log_info("{} smtp authentication user={} result={}", id_, c.user,
                 kind == Kind::Accepted   ? "ok"
                 : kind == Kind::Rejected ? "permfail"
                                          : "tempfail");
        co_return sm::AuthVerdict{kind};
    }

    /// Asks the lookup role whether a recipient is ours, and where its mail goes.
    asio::awaitable<sm::RcptVerdict> check_recipient(grammar::Path const& path) {
        using Kind = sm::RcptVerdict::Kind;
        auto const [local, domain] = split_recipient(path, ctx_.hostname);
        auto resolving = ctx_.services.resolve(local, domain, client_local_);
        auto resolved = co_await std::move(resolving);
        if (!resolved) {
            log_warn("{} lookup: <{}@{}> failed: {}", id_, local, domain,
                     resolved.error().message());
            co_return sm::RcptVerdict{Kind::TempFail};
        }
        Kind const kind = static_cast<Kind>(resolved.value().verdict);
        if (kind != Kind::Accepted) {
            co_return sm::RcptVerdict{kind};
        }
        std::vector<QueuedRecipient> destinations;
        for (auto const& encoded : resolved.value().recipients) {
            auto decoded = decode_recipient(encoded);
            if (!decoded) {
                fatal("dispatcher: lookup sent a recipient that does not decode");
            }
            destinations.push_back(std::move(*decoded));
        }
        if (destinations.empty()) {
            fatal("dispatcher: lookup accepted a recipient with no destination");
        }
        destinations_[local + "@" + domain] = std::move(destinations);
        co_return sm::RcptVerdict{kind};
    }

    /// Asks the queue role for a message file, then writes the Received header into it.
    asio::awaitable<void> open_message(ReceivedInfo info) {
        auto created = co_await ctx_.services.create_message();
        if (!created || !created.value().fd.valid()) {
            log_warn("{} queue: cannot open a message: {}", id_,
                     created ? created.value().error : created.error().message());
            open_no_space_ = created && created.value().no_space;
            co_return;
        }
        message_.emplace(MessageFile{created.value().msgid, std::move(created.value().fd), {}, 0});
        info.id = message_->msgid;
        message_->write(received_header(info));
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

    /// -T smtp: the lines the client sent (DATA content as its size only).
    void trace_received(sm::Frame const& frame) const {
        if (!tracing(Trace::Smtp)) {
            return;
        }
        if (auto const* line = std::get_if<sm::LineFrame>(&frame)) {
            bool const auth = framer_.mode() == sm::FramerMode::AuthLine;
            log_trace(Trace::Smtp, "{} smtp <<< {}", id_, traced_command(line->text, auth));
        } else if (auto const* end = std::get_if<sm::DataEndFrame>(&frame)) {
            log_trace(Trace::Smtp, "{} smtp <<< [message, {} octets]", id_, end->octets);
        } else if (auto const* chunk = std::get_if<sm::ChunkEndFrame>(&frame)) {
            log_trace(Trace::Smtp, "{} smtp <<< [chunk, {} octets]", id_, chunk->octets);
        } else if (std::holds_alternative<sm::LineTooLongFrame>(frame)) {
            log_trace(Trace::Smtp, "{} smtp <<< [line too long]", id_);
        }
    }

    /// -T smtp: each line of a reply (CRLF-ended, as rendered).
    void trace_reply(std::string_view rendered) const {
        while (!rendered.empty()) {
            auto const end = rendered.find("\r\n");
            std::string_view const line = rendered.substr(0, end);
            log_trace(Trace::Smtp, "{} smtp >>> {}", id_, trace_visible(line));
            rendered.remove_prefix(end == std::string_view::npos ? rendered.size() : end + 2);
        }
    }

    void perform(sm::ReplyAction const& a) {
        std::string const rendered = sm::render_reply(a.reply, listener_->hostname);
        if (tracing(Trace::Smtp)) {
            trace_reply(rendered);
        }
        out_ += rendered;
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

    // The session waits in AwaitRcpt; run() asks the lookup role.
    void perform(sm::CheckRecipient const& a) { recipient_pending_ = a.recipient; }

    // run() gets the file from the queue before it reads any more input.
    void perform(sm::OpenMessage const& a) {
        envelope_ = a.envelope;
        open_no_space_ = false;
        message_.reset();
        ReceivedInfo info;
        info.helo = a.envelope.helo;
        info.client_ip = client_ip_;
        info.hostname = listener_->hostname;
        info.esmtp = a.envelope.esmtp;
        info.when = std::time(nullptr);
        info.tls = a.envelope.tls;
        info.tls_info = stream_.tls_info();
        info.authenticated = a.envelope.auth_user.has_value();
        if (a.envelope.recipients.size() == 1) {
            info.single_recipient = path_address(a.envelope.recipients.front().path);
        }
        open_pending_ = std::move(info);
    }

    void perform(sm::WriteData const& a) {
        if (message_) {
            message_->write(a.bytes);
            message_->size += a.bytes.size();
        }
    }

    // The session now waits in AwaitQueue; run() performs the commit and feeds back the verdict.
    void perform(sm::CommitMessage const&) { commit_pending_ = true; }

    /// Hands the envelope to the queue role, which makes message and envelope durable. The
    /// verdict becomes the reply: 250 only once both are.
    asio::awaitable<sm::QueueVerdict> commit() {
        using Kind = sm::QueueVerdict::Kind;
        std::optional<MessageFile> message = std::exchange(message_, std::nullopt);
        auto destinations = std::exchange(destinations_, {});
        if (!message || !envelope_ || message->error) {
            std::error_code const error = message ? message->error : std::error_code();
            log_warn("{} queue: message not written: {}", id_, error ? error.message() : "no file");
            if (message) {
                ctx_.services.abort(message->msgid);
            }
            bool const full = is_no_space(error) || (!message && open_no_space_);
            co_return sm::QueueVerdict{full ? Kind::NoSpace : Kind::TempFail, {}};
        }
        message->fd.reset();
        auto env = queued_envelope(message->msgid, *envelope_, destinations);
        if (!env) {
            ctx_.services.abort(message->msgid);
            co_return sm::QueueVerdict{Kind::TempFail, {}};
        }
        auto committing = ctx_.services.commit(env->id, encode_envelope(*env));
        auto committed = co_await std::move(committing);
        if (!committed || !committed.value().ok) {
            std::string const why =
                committed ? committed.value().error : committed.error().message();
            log_warn("{} queue: commit failed for msgid={}: {}", id_, env->id, why);
            bool const full = committed && committed.value().no_space;
            co_return sm::QueueVerdict{full ? Kind::NoSpace : Kind::TempFail, {}};
        }
        log_info("{} smtp message msgid={} size={} nrcpt={} proto={}", id_, env->id, message->size,
                 env->recipients.size(), envelope_->esmtp ? "ESMTP" : "SMTP");
        kill_point("before-250");
        co_return sm::QueueVerdict{Kind::Queued, env->id};
    }

    /// The envelope to queue: the session's sender and recipients with the destination each
    /// recipient resolved to at RCPT time; none if a recipient has no destination (a bug).
    std::optional<QueuedEnvelope>
    queued_envelope(std::string const& id, sm::Envelope const& envelope,
                    std::map<std::string, std::vector<QueuedRecipient>> const& destinations) {
        QueuedEnvelope env{id,
                           std::time(nullptr),
                           envelope.helo,
                           client_ip_,
                           client_local_,
                           path_address(envelope.sender),
                           {},
                           0,
                           {}};
        env.listener = listener_address_;
        copy_session_options(envelope, env);
        for (auto const& recipient : envelope.recipients) {
            auto const [local, domain] = split_recipient(recipient.path, ctx_.hostname);
            auto const d = destinations.find(local + "@" + domain);
            if (d == destinations.end()) {
                log_error("{} queue: no destination for <{}@{}>", id_, local, domain);
                return std::nullopt;
            }
            for (QueuedRecipient dest : d->second) {
                copy_recipient_options(recipient.options, dest);
                env.recipients.push_back(std::move(dest));
            }
        }
        return env;
    }

    void perform(sm::AbortMessage const&) {
        if (message_) {
            ctx_.services.abort(message_->msgid);
            message_.reset();
        }
        open_pending_.reset();
        destinations_.clear();
    }

    void perform(sm::CloseConnection const&) {}

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
    std::string listener_address_; ///< the local address:port accepted on, for the envelope
    std::string disconnect_reason_ = "disconnect";
    std::optional<MessageFile> message_;
    std::optional<ReceivedInfo> open_pending_;
    bool open_no_space_ = false; ///< the queue could not open a file: the spool is full
    std::optional<grammar::Path> recipient_pending_;
    std::optional<sm::Envelope> envelope_;
    std::map<std::string, std::vector<QueuedRecipient>> destinations_;
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
