// The Asio driver of sm::ServerConnection: takes its actions one at a time and performs them
// (replies batched in out_, lookups, credentials and the spool over IPC, the TLS handshake), then
// answers the question each asked before taking the next; on NeedData it writes the batched
// replies and reads (RFC 2920). The protocol loop itself is the connection object's.
#include "dispatcher/smtp_connection.hpp"

#include "common/fs.hpp"
#include "common/kill_point.hpp"
#include "common/log.hpp"
#include "common/random_id.hpp"
#include "dispatcher/proxy_header.hpp"
#include "dispatcher/queued_options.hpp"
#include "dispatcher/received.hpp"
#include "dispatcher/smtp_trace.hpp"
#include "dispatcher/transaction.hpp"
#include "io/smtp_stream.hpp"
#include "role/role_process.hpp"
#include "smtpd/sm/server_connection.hpp"
#include "spool/envelope.hpp"

// <utility> before awaitable.hpp: Boost 1.74's Asio needs it under C++20.
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <ctime>
#include <optional>

namespace smtpd::rt {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t kReadBuffer = 16384;

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

/// Our name on a local address: listen ... hostnames <t> (keyed by the address as text, as
/// OpenSMTPD's addrname lookup), else the listener's.
std::string server_name(ListenerContext const& listener, asio::ip::address const& local) {
    std::string const key = local.to_string();
    auto const it =
        std::find_if(listener.hostnames.begin(), listener.hostnames.end(),
                     [&](std::pair<std::string, std::string> const& e) { return e.first == key; });
    return it == listener.hostnames.end() ? listener.hostname : it->second;
}

std::string path_address(grammar::Path const& path) {
    return path.mailbox ? path.mailbox->local_part + "@" + path.mailbox->domain : std::string();
}

class Connection {
  public:
    Connection(tcp::socket socket, std::shared_ptr<ListenerContext const> listener)
        : stream_(std::move(socket)), listener_(std::move(listener)), ctx_(listener_->server),
          conn_(listener_->params), id_(random_id()) {
        boost::system::error_code ec;
        auto const remote = stream_.socket().remote_endpoint(ec);
        if (!ec) {
            client_ip_ = remote.address().to_string();
            client_local_ = is_loopback(remote.address());
        }
        auto const local = stream_.socket().local_endpoint(ec);
        if (!ec) {
            listener_address_ = endpoint_text(local);
            hostname_ = server_name(*listener_, local.address());
        }
        conn_.set_observer(sm::ServerObserver{
            [this](sm::Frame const& frame, sm::FramerMode mode) { trace_received(frame, mode); },
            [this](sm::StepRecord const& r) { trace_step(r); }});
    }

    /// The coroutine owns the connection through its parameter, kept in the coroutine frame.
    static asio::awaitable<void> serve(std::shared_ptr<Connection> self) { co_await self->run(); }

  private:
    asio::awaitable<void> run() {
        if (listener_->proxy_v2 && !co_await read_proxy()) {
            co_await stream_.close();
            log_info("{} smtp disconnected reason={}", id_, disconnect_reason_);
            co_return;
        }
        log_info("{} smtp connected address={} host={}", id_, client_ip_, client_ip_);
        if (conn_.session().params.implicit_tls && !co_await start_tls()) {
            co_await stream_.close();
            co_return;
        }
        conn_.start();
        // One buffer for the connection's life, in this frame (not one frame of 16 KiB per
        // read). Not zero-initialised: an idle connection should not pay for pages it never
        // reads into.
        std::array<char, kReadBuffer> buf; // NOLINT(cppcoreguidelines-pro-type-member-init)
        for (;;) {
            sm::ServerNext next = conn_.next_action();
            if (std::holds_alternative<sm::Finished>(next)) {
                break;
            }
            if (std::holds_alternative<sm::Paused>(next)) {
                // Every question is answered below before the next action is taken.
                log_error("{} session: paused with no question pending", id_);
                break;
            }
            if (std::holds_alternative<sm::NeedData>(next)) {
                // What the last read brought of a message goes to its file now: one write(2)
                // per read, and the space it takes is taken while it arrives (a full spool
                // fails the message then, not at its end, after others' space came back).
                if (tx_.message) {
                    tx_.message->flush();
                }
                auto reading = read_more(buf);
                co_await std::move(reading);
                continue;
            }
            auto performing = perform(std::move(next));
            co_await std::move(performing);
        }
        co_await flush();
        co_await stream_.close();
        log_info("{} smtp disconnected reason={}", id_, disconnect_reason_);
    }

    /// listen ... proxy-v2: the client is the one the proxy's header names (Received:, the
    /// envelope, "from local"); a header that is not one closes the connection.
    asio::awaitable<bool> read_proxy() {
        auto reading = read_proxy_header(stream_, ctx_.command_timeout);
        auto header = co_await std::move(reading);
        if (!header) {
            log_warn("{} smtp proxy-v2 error from {}: {}", id_, client_ip_, header.error().what());
            disconnect_reason_ = "proxy-error";
            co_return false;
        }
        if (auto const& parsed = header.value(); parsed) {
            asio::ip::address const source = parsed->address();
            log_info("{} smtp proxy-v2 address={} proxy={}", id_, source.to_string(), client_ip_);
            client_ip_ = source.to_string();
            client_local_ = is_loopback(source);
        }
        co_return true;
    }

    /// RFC 2920: the batched replies go out when no complete command is left in the input; then
    /// the next bytes, the idle timeout or the end of the stream.
    asio::awaitable<void> read_more(std::array<char, kReadBuffer>& buf) {
        if (!co_await flush()) {
            co_return;
        }
        auto const n = co_await stream_.read_some(buf, ctx_.command_timeout);
        if (stream_.timed_out()) {
            conn_.timeout();
            disconnect_reason_ = "timeout";
        } else if (n == 0) {
            conn_.peer_closed();
            disconnect_reason_ = "disconnect";
        } else {
            conn_.receive(std::string_view(buf.data(), n));
        }
    }

    /// Performs one action; a question is answered before the next action is taken.
    asio::awaitable<void> perform(sm::ServerNext next) {
        if (auto* reply = std::get_if<sm::ReplyAction>(&next)) {
            batch_reply(reply->reply);
        } else if (auto* data = std::get_if<sm::WriteData>(&next)) {
            write_data(data->bytes);
        } else if (std::holds_alternative<sm::AbortMessage>(next)) {
            abort_message();
        } else if (auto* open = std::get_if<sm::OpenMessage>(&next)) {
            auto opening = open_message(std::move(open->envelope));
            co_await std::move(opening);
        } else if (auto* rcpt = std::get_if<sm::CheckRecipient>(&next)) {
            auto checking = check_recipient(rcpt->recipient);
            sm::RcptVerdict const verdict = co_await std::move(checking);
            conn_.answer(verdict);
        } else if (auto* credentials = std::get_if<sm::CheckCredentials>(&next)) {
            auto checking = check_credentials(std::move(*credentials));
            sm::AuthVerdict const verdict = co_await std::move(checking);
            conn_.answer(verdict);
        } else if (std::holds_alternative<sm::CommitMessage>(next)) {
            auto committing = commit();
            sm::QueueVerdict verdict = co_await std::move(committing);
            conn_.answer(std::move(verdict));
        } else if (std::holds_alternative<sm::StartTls>(next)) {
            // RFC 3207 §4: the 220 goes out in clear text, then the handshake. The connection
            // dropped what the client pipelined after STARTTLS (§4.2).
            bool const ok = co_await flush() && co_await start_tls();
            conn_.answer(sm::TlsDone{ok});
        }
        // CloseConnection: run() closes once the connection is Finished.
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
        Kind const kind = checked ? checked.value().verdict : Kind::TempFail;
        log_info("{} smtp authentication user={} result={}", id_, c.user,
                 kind == Kind::Accepted   ? "ok"
                 : kind == Kind::Rejected ? "permfail"
                                          : "tempfail");
        co_return sm::AuthVerdict{kind};
    }

    /// What the match rules read of this session. The client's reverse name is not looked up
    /// (yet): `from rdns` does not match.
    [[nodiscard]] ipc::RcptSession rcpt_session() const {
        sm::Session const& s = conn_.session();
        ipc::RcptSession out;
        out.client_address = client_ip_;
        out.authenticated = s.auth_user.has_value();
        out.auth_user = s.auth_user.value_or("");
        out.helo = s.helo;
        out.mail_from = s.sender ? path_address(*s.sender) : std::string();
        out.tag = listener_->tag;
        out.tls = s.tls;
        return out;
    }

    /// Asks the lookup role whether a recipient is ours, and records where its mail goes.
    asio::awaitable<sm::RcptVerdict> check_recipient(grammar::Path const& path) {
        using Kind = sm::RcptVerdict::Kind;
        if (conn_.session().recipients.empty()) {
            tx_.destinations.clear(); // the transaction's first recipient
        }
        auto const [local, domain] = split_recipient(path, ctx_.hostname);
        auto resolving = ctx_.services.resolve(local, domain, client_local_, rcpt_session());
        auto resolved = co_await std::move(resolving);
        if (!resolved) {
            log_warn("{} lookup: <{}@{}> failed: {}", id_, local, domain, resolved.error().what());
            co_return sm::RcptVerdict{Kind::TempFail};
        }
        Kind const kind = resolved.value().verdict;
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
        // The session appends an accepted recipient to its envelope: the record does the same.
        tx_.destinations.push_back(std::move(destinations));
        co_return sm::RcptVerdict{kind};
    }

    /// Asks the queue role for a message file, then writes the Received header into it. The
    /// connection takes no further action until this is done, so no content comes first.
    asio::awaitable<void> open_message(sm::Envelope envelope) {
        ReceivedInfo info;
        info.helo = envelope.helo;
        info.client_ip = client_ip_;
        info.hostname = hostname_;
        info.mask_source = listener_->mask_src;
        info.received_auth = listener_->received_auth;
        info.auth_user = envelope.auth_user.value_or("");
        info.esmtp = envelope.esmtp;
        info.when = std::time(nullptr);
        info.tls = envelope.tls;
        info.tls_info = stream_.tls_info();
        info.authenticated = envelope.auth_user.has_value();
        if (envelope.recipients.size() == 1) {
            info.single_recipient = path_address(envelope.recipients.front().path);
        }
        tx_.envelope = std::move(envelope);
        tx_.message.reset();
        tx_.no_space = false;
        auto creating = ctx_.services.create_message();
        auto created = co_await std::move(creating);
        if (!created || !created.value().fd.valid()) {
            log_warn("{} queue: cannot open a message: {}", id_,
                     created ? created.value().error : created.error().what());
            tx_.no_space = created && created.value().no_space;
            co_return;
        }
        tx_.message.emplace(
            MessageFile{created.value().msgid, std::move(created.value().fd), {}, 0, false, {}});
        info.id = tx_.message->msgid;
        tx_.message->write(received_header(info));
    }

    void write_data(std::string_view bytes) {
        if (tx_.message) {
            tx_.message->write_content(bytes);
        }
    }

    void abort_message() {
        Transaction const tx = std::exchange(tx_, {});
        if (tx.message) {
            ctx_.services.abort(tx.message->msgid);
        }
    }

    /// Hands the envelope to the queue role, which makes message and envelope durable. The
    /// verdict becomes the reply: 250 only once both are.
    asio::awaitable<sm::QueueVerdict> commit() {
        using Kind = sm::QueueVerdict::Kind;
        Transaction tx = std::exchange(tx_, {});
        if (tx.message) {
            tx.message->flush();
        }
        if (!tx.message || !tx.envelope || tx.message->error) {
            std::error_code const error = tx.message ? tx.message->error : std::error_code();
            log_warn("{} queue: message not written: {}", id_, error ? error.message() : "no file");
            if (tx.message) {
                ctx_.services.abort(tx.message->msgid);
            }
            bool const full = is_no_space(error) || (!tx.message && tx.no_space);
            co_return sm::QueueVerdict{full ? Kind::NoSpace : Kind::TempFail, {}};
        }
        tx.message->fd.reset();
        QueuedEnvelope base{tx.message->msgid,
                            std::time(nullptr),
                            tx.envelope->helo,
                            client_ip_,
                            client_local_,
                            {},
                            {},
                            0,
                            {}};
        base.listener = listener_address_;
        auto env = queued_envelope(tx, std::move(base));
        if (!env) {
            log_error("{} queue: the recipients recorded do not match the envelope", id_);
            ctx_.services.abort(tx.message->msgid);
            co_return sm::QueueVerdict{Kind::TempFail, {}};
        }
        auto committing = ctx_.services.commit(env->id, encode_envelope(*env));
        auto committed = co_await std::move(committing);
        if (!committed || !committed.value().ok) {
            std::string const why = committed ? committed.value().error : committed.error().what();
            log_warn("{} queue: commit failed for msgid={}: {}", id_, env->id, why);
            bool const full = committed && committed.value().no_space;
            co_return sm::QueueVerdict{full ? Kind::NoSpace : Kind::TempFail, {}};
        }
        log_info("{} smtp message msgid={} size={} nrcpt={} proto={}", id_, env->id,
                 tx.message->size, env->recipients.size(), tx.envelope->esmtp ? "ESMTP" : "SMTP");
        kill_point("before-250");
        co_return sm::QueueVerdict{Kind::Queued, env->id};
    }

    asio::awaitable<bool> flush() {
        if (out_.empty()) {
            co_return true;
        }
        bool const ok = co_await stream_.write(out_);
        out_.clear();
        if (!ok) {
            conn_.peer_closed();
            disconnect_reason_ = "write-error";
        }
        co_return ok;
    }

    void batch_reply(sm::Reply const& reply) {
        std::string const rendered = sm::render_reply(reply, hostname_);
        if (tracing(Trace::Smtp)) {
            trace_reply(rendered);
        }
        out_ += rendered;
        if (reply.id == sm::ReplyId::Bye) {
            disconnect_reason_ = "quit";
        }
    }

    void trace_step(sm::StepRecord const& r) const {
        sm::State const before = r.from;
        log_debug("session {}: {} -> {} [{}]", id_, sm::state_name(before),
                  sm::state_name(r.step.next.state), r.step.row);
        if (r.step.error != sm::StepError::None) {
            log_warn("{} session: unexpected {} in state {}", id_,
                     sm::event_kind_name(sm::kind_of(r.event)), sm::state_name(before));
        }
    }

    /// -T smtp: the lines the client sent (DATA content as its size only).
    void trace_received(sm::Frame const& frame, sm::FramerMode mode) const {
        if (!tracing(Trace::Smtp)) {
            return;
        }
        if (auto const* line = std::get_if<sm::LineFrame>(&frame)) {
            bool const auth = mode == sm::FramerMode::AuthLine;
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

    SmtpStream stream_;
    std::shared_ptr<ListenerContext const> listener_;
    ServerContext& ctx_;
    sm::ServerConnection conn_;
    Transaction tx_; ///< the transaction being received
    std::string out_;
    std::string id_;
    std::string client_ip_ = "unknown";
    bool client_local_ = false;
    std::string listener_address_; ///< the local address:port accepted on, for the envelope
    std::string hostname_ = listener_->hostname; ///< ours, for this local address
    std::string disconnect_reason_ = "disconnect";
};

} // namespace

void serve_connection(tcp::socket socket, std::shared_ptr<ListenerContext const> listener) {
    auto executor = socket.get_executor();
    auto connection = std::make_shared<Connection>(std::move(socket), std::move(listener));
    asio::co_spawn(executor, Connection::serve(std::move(connection)), asio::detached);
}

} // namespace smtpd::rt
