// Mta::relay (see mta.hpp). A recipient's result is final once Delivered or PermFail; a
// temporary failure keeps it pending for the next address of the route, but only while the
// address before gave no recipient a final answer (a host that answered is not second-guessed
// by its backups); a 452 (Deferred) sends the rest again in a new transaction on the same
// connection while the one before delivered something.
#include "mta/mta.hpp"

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/random_id.hpp"
#include "mta/client_session.hpp"
#include "mta/connect.hpp"
#include "mta/relay_job.hpp"
#include "mta/relay_tables.hpp"
#include "spool/envelope.hpp"
#include "tls/client_tls.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <ctime>
#include <fmt/format.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace smtpd::rt::mta {

namespace asio = boost::asio;
using asio::ip::tcp;
using Status = ipc::DeliveryStatus;

namespace {

/// The results of one request while it is worked on, by position in the job.
struct Progress {
    std::vector<ipc::RelayResult> results;
    std::vector<bool> final;

    [[nodiscard]] std::vector<std::size_t> pending() const {
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < final.size(); ++i) {
            if (!final[i]) {
                out.push_back(i);
            }
        }
        return out;
    }
    void temp_fail_pending(std::string const& text, std::string const& remote) {
        for (std::size_t const i : pending()) {
            results[i].status = Status::TempFail;
            results[i].text = text;
            results[i].remote_mta = remote;
        }
    }
};

Status status_of(sm::ClientOutcome outcome) {
    switch (outcome) {
    case sm::ClientOutcome::Delivered:
        return Status::Delivered;
    case sm::ClientOutcome::PermFail:
        return Status::PermFail;
    case sm::ClientOutcome::TempFail:
    case sm::ClientOutcome::Deferred:
        break;
    }
    return Status::TempFail;
}

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

/// One `mta delivery` line, in OpenSMTPD's words; `session` and `relay` are empty when no
/// session was opened (a route or a setting failed first).
void log_result(std::string_view session, QueuedEnvelope const& envelope,
                QueuedRecipient const& rcpt, std::string_view relay,
                ipc::RelayResult const& result) {
    std::int64_t const delay = std::max<std::int64_t>(0, std::time(nullptr) - envelope.created);
    std::string const line = fmt::format(
        "{} mta delivery evpid={} from=<{}> to=<{}> rcpt=<{}> source=\"\" relay=\"{}\" "
        "delay={}s result=\"{}\" stat=\"{}\"",
        session.empty() ? envelope.id : session, envelope.id, envelope.sender, relay_address(rcpt),
        rcpt.address, relay, delay, result_word(result.status), result.text);
    if (result.status == Status::Delivered) {
        log_info("{}", line);
    } else {
        log_warn("{}", line);
    }
}

/// One session's bookkeeping: which job positions the current transaction carries.
struct Transaction {
    std::vector<std::size_t> positions;
    std::vector<std::size_t> deferred; ///< 452: for a new transaction
    bool delivered_any = false;
};

class Attempt {
  public:
    Attempt(RelayJob const& job, QueuedEnvelope const& envelope, Progress& progress, int body_fd,
            ipc::RouteDestination const& destination, asio::ssl::context& tls)
        : job_(job), envelope_(envelope), progress_(progress), body_fd_(body_fd),
          destination_(destination), tls_(tls), id_(random_id()),
          relay_(fmt::format("{} [{}]", destination.host, destination.address)) {}

    /// Connects and runs one session for the pending recipients; true when some recipient got a
    /// final answer here.
    asio::awaitable<bool> run(asio::any_io_executor executor) {
        boost::system::error_code ec;
        auto const address = asio::ip::make_address(destination_.address, ec);
        if (ec) {
            progress_.temp_fail_pending("451 4.4.0 bad address " + destination_.address, {});
            co_return false;
        }
        // #14 relay options: bind the `src` address of the destination's family, and give its
        // `helo-src` name (relay_job.hpp pick_source).
        auto const source = pick_source(job_, destination_.address);
        if (!source) {
            progress_.temp_fail_pending("451 4.4.0 " + source.error().what(), {});
            co_return false;
        }
        tcp::endpoint const endpoint(address, job_.target.port);
        log_info("{} mta connecting address=smtp://{}:{} host={}", id_, destination_.address,
                 job_.target.port, destination_.host);
        tcp::socket socket(executor);
        auto connecting = connect(socket, endpoint, Mta::kConnectTimeout, source.value().address);
        ec = co_await std::move(connecting);
        if (ec) {
            log_info("{} mta error reason=\"{}\"", id_, ec.message());
            progress_.temp_fail_pending(fmt::format("421 4.4.1 connect to {}:{}: {}", relay_,
                                                    job_.target.port, ec.message()),
                                        destination_.host);
            co_return false;
        }
        log_info("{} mta connected", id_);
        // Commands and the body's end go in whole writes: nothing gains from Nagle's wait.
        socket.set_option(tcp::no_delay(true), ec);
        SmtpStream stream(std::move(socket));
        sm::ClientParams params = job_.params;
        params.helo = source.value().helo; // #14 helo-src
        params.server_name = destination_.host.starts_with('[') ? "" : destination_.host;
        std::string const server_name = params.server_name;
        if (params.implicit_tls) {
            auto starting = start_tls(stream, server_name);
            if (!co_await std::move(starting)) {
                progress_.temp_fail_pending(
                    fmt::format("421 4.7.0 TLS handshake with {} failed: {}", relay_,
                                stream.verify_result()),
                    destination_.host);
                auto closing = stream.close();
                co_await std::move(closing);
                co_return false;
            }
        }
        current_.positions = progress_.pending();
        sm::ClientConnection connection(std::move(params), message_for(current_.positions));
        SessionHooks hooks{
            [this] { return body_fd_; },
            [this, &stream](std::string const& name) { return start_tls(stream, name); },
            [this](sm::ClientRecipientResult const& r) { record(r); },
            [this] { return next_message(); }};
        auto running = run_session(stream, connection, hooks);
        co_await std::move(running);
        auto closing = stream.close();
        co_await std::move(closing);
        log_info("{} mta disconnected reason=quit messages={}", id_, transactions_);
        co_return final_here_;
    }

  private:
    /// The handshake, verified as the job says, and its log lines in OpenSMTPD's words.
    asio::awaitable<bool> start_tls(SmtpStream& stream, std::string const& server_name) {
        auto shaking =
            stream.client_handshake(tls_, server_name, job_.verify, Mta::kHandshakeTimeout);
        bool const ok = co_await std::move(shaking);
        if (!ok) {
            log_info("{} mta error reason=\"TLS handshake failed: {}\"", id_,
                     stream.verify_result());
            co_return false;
        }
        bool const verified = stream.verify_result() == "verified";
        log_info("{} mta tls ciphers={}", id_, stream.tls_info());
        log_info(R"({} mta cert-check result="{}" fingerprint="{}")", id_,
                 verified ? "valid" : "unverified", stream.peer_certificate_hash());
        co_return true;
    }

    sm::ClientMessage message_for(std::vector<std::size_t> const& positions) {
        ++transactions_;
        sm::ClientMessage m = job_.message;
        m.recipients.clear();
        for (std::size_t const p : positions) {
            m.recipients.push_back(job_.message.recipients.at(p));
        }
        return m;
    }

    void record(sm::ClientRecipientResult const& r) {
        if (r.index >= current_.positions.size()) {
            return;
        }
        std::size_t const position = current_.positions[r.index];
        ipc::RelayResult& result = progress_.results.at(position);
        result.status = status_of(r.outcome);
        result.text = sm::client_reply_text(r.reply);
        result.remote_mta = destination_.host;
        result.relayed = r.relayed_without_dsn;
        if (r.outcome == sm::ClientOutcome::Deferred) {
            current_.deferred.push_back(position);
        } else if (result.status != Status::TempFail) {
            progress_.final.at(position) = true;
            final_here_ = true;
            current_.delivered_any = current_.delivered_any || result.status == Status::Delivered;
        }
        log_delivery(position, result);
    }

    std::optional<sm::ClientMessage> next_message() {
        if (current_.deferred.empty() || !current_.delivered_any) {
            return std::nullopt;
        }
        Transaction next;
        next.positions = std::move(current_.deferred);
        current_ = std::move(next);
        return message_for(current_.positions);
    }

    void log_delivery(std::size_t position, ipc::RelayResult const& result) const {
        log_result(id_, envelope_, envelope_.recipients.at(job_.indexes.at(position)), relay_,
                   result);
    }

    RelayJob const& job_;
    QueuedEnvelope const& envelope_;
    Progress& progress_;
    int body_fd_;
    ipc::RouteDestination const& destination_;
    asio::ssl::context& tls_;
    std::string id_;
    std::string relay_;
    Transaction current_;
    std::size_t transactions_ = 0;
    bool final_here_ = false;
};

/// The start of the queued message, up to its first empty line (or kMaxHead octets).
std::string header_section(int fd) {
    constexpr std::size_t kMaxHead = std::size_t{1} << 20;
    std::string head;
    std::vector<char> buffer(std::size_t{64} * 1024);
    for (off_t offset = 0; head.size() < kMaxHead;) {
        ssize_t const n = ::pread(fd, buffer.data(), buffer.size(), offset);
        if (n <= 0) {
            break;
        }
        head.append(buffer.data(), static_cast<std::size_t>(n));
        offset += n;
        if (head.find("\n\r\n") != std::string::npos || head.find("\n\n") != std::string::npos) {
            break;
        }
    }
    return head;
}

/// Every index of the request failed the same way, logged when the envelope is known.
ipc::RelayDone all_failed(ipc::RelayRequest const& request, QueuedEnvelope const* envelope,
                          Status status, std::string const& text) {
    ipc::RelayDone done{request.id, {}};
    for (std::uint32_t const i : request.indexes) {
        done.results.push_back(ipc::RelayResult{i, status, text, {}, false});
        if (envelope != nullptr && i < envelope->recipients.size()) {
            log_result({}, *envelope, envelope->recipients[i], {}, done.results.back());
        }
    }
    if (envelope == nullptr) {
        log_warn("mta: relay request for {} recipient(s) failed: {}", request.indexes.size(), text);
    }
    return done;
}

conf::Action const* relay_action(conf::Config const& config, std::string const& name) {
    auto const it = std::find_if(config.actions.begin(), config.actions.end(),
                                 [&](conf::Action const& a) { return a.name == name; });
    return it == config.actions.end() || it->method != conf::Action::Method::Relay ? nullptr : &*it;
}

} // namespace

Result<ClientContexts> make_client_contexts(conf::Config const& config) {
    ClientContexts contexts;
    for (conf::Action const& action : config.actions) {
        if (action.method != conf::Action::Method::Relay) {
            continue;
        }
        auto context = tls::make_client_context(tls::client_tls_config(config, action.relay));
        if (!context) {
            return failure(context.error().code,
                           fmt::format("action \"{}\": {}", action.name, context.error().what()));
        }
        contexts.emplace(action.name, std::move(context).value());
    }
    return contexts;
}

Mta::Mta(asio::any_io_executor executor, conf::Config const& config, std::string hostname,
         MtaServices services, ClientContexts contexts)
    : executor_(std::move(executor)), config_(config), hostname_(std::move(hostname)),
      services_(std::move(services)), contexts_(std::move(contexts)) {}

asio::awaitable<ipc::RelayDone> Mta::relay(ipc::RelayRequest request, Fd message) {
    auto envelope = decode_envelope(request.envelope);
    if (!envelope || request.indexes.empty() ||
        request.indexes.front() >= envelope->recipients.size()) {
        co_return all_failed(request, nullptr, Status::TempFail,
                             "451 4.3.0 the relay request is invalid");
    }
    std::string const& action_name = envelope->recipients[request.indexes.front()].action;
    conf::Action const* action = relay_action(config_, action_name);
    if (action == nullptr) {
        co_return all_failed(
            request, &*envelope, Status::TempFail,
            fmt::format("451 4.3.5 no relay action \"{}\" in the configuration", action_name));
    }
    struct stat st {};
    if (!message.valid() || ::fstat(message.get(), &st) != 0) {
        co_return all_failed(request, &*envelope, Status::TempFail,
                             "451 4.3.0 cannot read the queued message");
    }
    if (received_count(header_section(message.get())) > kMaxHops) {
        co_return all_failed(request, &*envelope, Status::PermFail,
                             fmt::format("554 5.4.6 too many hops (more than {} Received fields): "
                                         "a mail loop",
                                         kMaxHops));
    }
    PlanContext const context{hostname_, static_cast<std::uint64_t>(st.st_size), config_.srs.key,
                              now_seconds()};
    auto planned = plan_relay(*action, *envelope, request.indexes, context);
    if (!planned) {
        co_return all_failed(request, &*envelope, Status::TempFail,
                             "451 4.3.0 " + planned.error().what());
    }
    RelayJob job = std::move(planned).value();
    // #14 relay options: the host, domain, src and helo-src tables (mta/relay_tables.hpp).
    auto resolving = resolve_relay_tables(std::move(job), action->relay, services_.table);
    auto resolved = co_await std::move(resolving);
    if (!resolved) {
        co_return all_failed(request, &*envelope, Status::TempFail,
                             "451 4.3.0 " + resolved.error().what());
    }
    job = std::move(resolved).value();
    auto const tls = contexts_.find(action_name);
    if (tls == contexts_.end()) {
        co_return all_failed(request, &*envelope, Status::TempFail,
                             "451 4.3.5 no TLS context for the action");
    }
    if (!job.target.unix_socket.empty()) {
        co_return all_failed(request, &*envelope, Status::TempFail,
                             "451 4.3.5 relaying to a unix socket is not supported");
    }
    if (action->relay.auth_table && !job.target.label.empty()) {
        auto finding = services_.credentials(*action->relay.auth_table, job.target.label);
        auto found = co_await std::move(finding);
        if (!found || !found.value().found) {
            co_return all_failed(request, &*envelope, Status::TempFail,
                                 fmt::format("451 4.7.0 no credentials for \"{}\" in table {}",
                                             job.target.label, *action->relay.auth_table));
        }
        job.params.credentials =
            sm::ClientCredentials{std::move(found.value().user), std::move(found.value().password)};
    }
    auto routing =
        services_.route(RouteQuery{job.target.name, job.target.backup_mx, job.target.smarthost});
    auto route = co_await std::move(routing);
    if (!route) {
        co_return all_failed(request, &*envelope, Status::TempFail,
                             "451 4.4.3 " + route.error().what());
    }
    if (!route.value().ok) {
        bool const permanent = route.value().permanent;
        co_return all_failed(request, &*envelope, permanent ? Status::PermFail : Status::TempFail,
                             fmt::format("{} {} {}", permanent ? 550 : 451, route.value().status,
                                         route.value().reason));
    }
    Progress progress;
    for (std::uint32_t const i : job.indexes) {
        progress.results.push_back(
            ipc::RelayResult{i, Status::TempFail, "451 4.4.1 no address tried", {}, false});
    }
    progress.final.assign(job.indexes.size(), false);
    for (ipc::RouteDestination const& destination : route.value().destinations) {
        if (progress.pending().empty()) {
            break;
        }
        Attempt attempt(job, *envelope, progress, message.get(), destination, *tls->second);
        auto running = attempt.run(executor_);
        if (co_await std::move(running)) {
            break;
        }
    }
    co_return ipc::RelayDone{request.id, std::move(progress.results)};
}

std::vector<std::string> Mta::show(MtaShow /*what*/) const {
    return {}; // XXX(#14): the host, relay and route tables come with connection reuse
}

} // namespace smtpd::rt::mta
