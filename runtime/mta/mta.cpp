// Mta::relay (see mta.hpp): checks the request, plans it, finds the route, and hands each address
// to attempt() while recipients are pending and no address answered them finally.
#include "mta/mta.hpp"

#include "common/clock.hpp"
#include "common/log.hpp"
#include "mta/attempt.hpp"
#include "mta/mta_stats.hpp"
#include "mta/relay_job.hpp"
#include "mta/relay_tables.hpp"
#include "mta/session_pool.hpp"
#include "spool/envelope.hpp"
#include "tls/client_tls.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <ctime>
#include <fmt/format.h>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace smtpd::rt::mta {

namespace asio = boost::asio;
using Status = ipc::DeliveryStatus;

namespace {

/// The start of the queued message, up to its first empty line (or kMaxHead octets).
std::string header_section(MessageContent content) {
    constexpr std::size_t kMaxHead = std::size_t{1} << 20;
    std::string head;
    std::vector<char> buffer(std::size_t{64} * 1024);
    for (auto offset = static_cast<off_t>(content.start); head.size() < kMaxHead;) {
        ssize_t const n = ::pread(content.fd, buffer.data(), buffer.size(), offset);
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
    ipc::RelayDone done{request.id, {}, {}};
    for (std::uint32_t const i : request.indexes) {
        done.results.push_back(ipc::RelayResult{i, status, text, {}, false});
        if (envelope != nullptr && i < envelope->recipients.size()) {
            log_result({}, *envelope, envelope->recipients[i], {}, {}, done.results.back());
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

/// The limits for the MX hosts of `domain` (`mta limit for domain`), or the general ones.
conf::MtaLimits const& limits_for(conf::MtaConfig const& mta, std::string const& domain) {
    auto const it = mta.domain_limits.find(domain);
    return it == mta.domain_limits.end() ? mta.limits : it->second;
}

/// The destinations of the route that `inet4`/`inet6` allows, the penalized ones (a recent
/// failure to connect) moved after the others.
std::vector<ipc::RouteDestination> usable(std::vector<ipc::RouteDestination> const& all,
                                          conf::MtaLimits const& limits, MtaStats const& stats,
                                          std::int64_t now) {
    using Family = conf::MtaLimits::Family;
    std::vector<ipc::RouteDestination> out;
    for (ipc::RouteDestination const& d : all) {
        boost::system::error_code ec;
        auto const address = asio::ip::make_address(d.address, ec);
        bool const allowed = ec || limits.family == Family::Any ||
                             (limits.family == Family::Inet4) == address.is_v4();
        if (allowed) {
            out.push_back(d);
        }
    }
    std::stable_partition(out.begin(), out.end(), [&](ipc::RouteDestination const& d) {
        return !stats.penalized("", d.address, now);
    });
    return out;
}

/// The relay as OpenSMTPD's mta_relay_to_text names it: "[relay:domain,port=N,smtp+tls,
/// auth=table:label,pki_name=name,backup=name]".
std::string relay_text(conf::Action const& action, RelayJob const& job) {
    std::string text = "[relay:" + job.target.name;
    if (job.target.smarthost) {
        text += fmt::format(",port={}", job.target.port);
    }
    std::string_view scheme = "smtp";
    if (job.params.lmtp) {
        scheme = "lmtp";
    } else if (job.params.implicit_tls) {
        scheme = "smtps";
    } else if (job.params.tls == sm::ClientTlsPolicy::Required) {
        scheme = "smtp+tls";
    } else if (job.params.tls == sm::ClientTlsPolicy::None) {
        scheme = "smtp+notls";
    }
    text += fmt::format(",{}", scheme);
    if (action.relay.auth_table && !job.target.label.empty()) {
        text += fmt::format(",auth={}:{}", *action.relay.auth_table, job.target.label);
    }
    if (action.relay.pki) {
        text += ",pki_name=" + *action.relay.pki;
    }
    if (!job.target.backup_mx.empty()) {
        text += ",backup=" + job.target.backup_mx;
    }
    return text + "]";
}

/// `mta max-deferred`: a message deferred at a host is remembered there; the messages deferred
/// at a host that took this one are due again now.
std::vector<std::string> due_again(MtaStats& stats, std::vector<ipc::RelayResult> const& results,
                                   std::string const& msgid, std::size_t max_deferred) {
    auto const now = static_cast<std::int64_t>(std::time(nullptr));
    std::set<std::string> due;
    for (ipc::RelayResult const& r : results) {
        if (r.remote_mta.empty()) {
            continue;
        }
        if (r.status == Status::TempFail) {
            stats.defer(r.remote_mta, msgid, r.text, max_deferred, now);
        } else if (r.status == Status::Delivered) {
            for (std::string& m : stats.take_deferred(r.remote_mta)) {
                due.insert(std::move(m));
            }
        }
    }
    due.erase(msgid);
    return {due.begin(), due.end()};
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
      services_(std::move(services)), contexts_(std::move(contexts)),
      pool_(std::make_unique<SessionPool>(executor_)), stats_(std::make_shared<MtaStats>()) {}

Mta::~Mta() = default;

asio::awaitable<Result<ipc::RouteResolved>> Mta::route_of(RelayJob& job) {
    if (!job.target.unix_socket.empty()) {
        // `host lmtp` to a path: one destination, the socket, named by its path.
        job.target.name = job.target.unix_socket;
        ipc::RouteResolved one{};
        one.ok = true;
        one.destinations.push_back(
            ipc::RouteDestination{job.target.unix_socket, 0, job.target.unix_socket});
        co_return one;
    }
    auto routing =
        services_.route(RouteQuery{job.target.name, job.target.backup_mx, job.target.smarthost});
    co_return co_await std::move(routing);
}

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
    auto content = content_here(message.get()); // EBADF without a message
    Result<std::uint64_t> size = content ? content_size(content.value()) : content.error();
    if (!size) {
        co_return all_failed(request, &*envelope, Status::TempFail,
                             "451 4.3.0 cannot read the queued message");
    }
    if (received_count(header_section(content.value())) > kMaxHops) {
        co_return all_failed(request, &*envelope, Status::PermFail,
                             fmt::format("554 5.4.6 too many hops (more than {} Received fields): "
                                         "a mail loop",
                                         kMaxHops));
    }
    PlanContext const context{hostname_, size.value(), config_.srs.key, now_seconds()};
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
    auto routing = route_of(job);
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
    auto const now = static_cast<std::int64_t>(std::time(nullptr));
    conf::MtaLimits const& limits = limits_for(config_.mta, job.target.name);
    std::vector<ipc::RouteDestination> destinations =
        usable(route.value().destinations, limits, *stats_, now);
    std::string const relay_name = relay_text(*action, job);
    auto const tasks = static_cast<std::ptrdiff_t>(job.indexes.size());
    stats_->relay_tasks(relay_name, 1, tasks, now);
    AttemptContext const attempt_context{job,         *envelope,       limits,      relay_name,
                                         action_name, content.value(), *tls->second};
    for (ipc::RouteDestination const& destination : destinations) {
        if (progress.pending().empty()) {
            break;
        }
        auto trying = attempt(MtaShared{executor_, *pool_, stats_, services_.unix_socket},
                              attempt_context, destination, progress);
        if (co_await std::move(trying)) {
            break;
        }
    }
    stats_->relay_tasks(relay_name, -1, -tasks, static_cast<std::int64_t>(std::time(nullptr)));
    std::vector<std::string> due =
        due_again(*stats_, progress.results, envelope->id, config_.mta.max_deferred);
    co_return ipc::RelayDone{request.id, std::move(progress.results), std::move(due)};
}

std::vector<std::string> Mta::show(MtaShow what) const {
    auto const now = static_cast<std::int64_t>(std::time(nullptr));
    switch (what) {
    case MtaShow::Hosts:
        return stats_->show_hosts(now);
    case MtaShow::Relays:
        return stats_->show_relays(now);
    case MtaShow::Routes:
        return stats_->show_routes(now);
    case MtaShow::HostStats:
        break;
    }
    return stats_->show_hoststats();
}

} // namespace smtpd::rt::mta
