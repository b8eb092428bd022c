// The lookup role: recipient resolution, credential checks, the relay's routes (MX, A and AAAA
// through the one dns::Resolver it creates at start), smarthost credentials and the tables of the
// relay options (relay_tables.hpp), over IPC.
#include "lookup/lookup_process.hpp"

#include "common/disk_workers.hpp"
#include "common/host_name.hpp"
#include "common/log.hpp"
#include "dns/dns_error.hpp"
#include "dns/resolver.hpp"
#include "dns/route_query.hpp"
#include "ipc/request.hpp"
#include "lookup/auth_tables.hpp"
#include "lookup/queued_destination.hpp"
#include "lookup/recipients.hpp"
#include "lookup/relay_credentials.hpp"
#include "lookup/relay_tables.hpp"
#include "lookup/route_reply.hpp"
#include "role/role_process.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

namespace smtpd::rt {

namespace asio = boost::asio;

namespace {

/// The session facts of a recipient query, for the match rules.
SessionFacts session_facts(ipc::LookupRecipient const& m) {
    SessionFacts f;
    f.client_address = m.session.client_address;
    f.client_local = m.client_local;
    if (!m.session.rdns.empty()) {
        f.rdns = m.session.rdns;
    }
    if (m.session.authenticated) {
        f.auth_user = m.session.auth_user;
    }
    f.helo = m.session.helo;
    f.mail_from = m.session.mail_from;
    f.tag = m.session.tag;
    f.tls = m.session.tls;
    return f;
}

// Password hashes cost milliseconds each; a few threads keep lookups flowing meanwhile.
constexpr std::size_t kHashThreads = 2;

class Lookup {
  public:
    Lookup(asio::io_context& io, Peers& peers, Recipients recipients,
           ListenerCredentials credentials, Result<std::unique_ptr<dns::Resolver>> resolver,
           std::vector<std::string> our_names)
        : io_(io), peers_(peers), recipients_(std::move(recipients)),
          credentials_(std::move(credentials)), resolver_(std::move(resolver)),
          our_names_(std::move(our_names)), system_checked_(io.get_executor()),
          forwards_(io.get_executor()) {}
    ~Lookup() { hashing_.shutdown(); }
    Lookup(Lookup const&) = delete;
    Lookup& operator=(Lookup const&) = delete;
    Lookup(Lookup&&) = delete;
    Lookup& operator=(Lookup&&) = delete;

    void on_message(Role from, ipc::Received received) {
        auto& m = received.message;
        switch (ipc::type_of(m)) {
        case ipc::MsgType::LookupRecipient:
            return spawn(resolve(from, std::get<ipc::LookupRecipient>(std::move(m))));
        case ipc::MsgType::ForwardRead:
            return forward_read(std::get<ipc::ForwardRead>(std::move(m)));
        case ipc::MsgType::CheckCredentials:
            return spawn(check(std::get<ipc::CheckCredentials>(std::move(m))));
        case ipc::MsgType::CredentialsChecked:
            return system_checked(std::get<ipc::CredentialsChecked>(std::move(m)));
        case ipc::MsgType::ResolveRoute:
            if (from != Role::Dispatcher) {
                return unexpected(Role::Lookup, from, m);
            }
            return route(from, std::get<ipc::ResolveRoute>(std::move(m)));
        case ipc::MsgType::FindRelayCredentials:
            if (from != Role::Dispatcher) {
                return unexpected(Role::Lookup, from, m);
            }
            return find_relay_credentials(std::get<ipc::FindRelayCredentials>(m));
        case ipc::MsgType::FindRelayTable:
            if (from != Role::Dispatcher) {
                return unexpected(Role::Lookup, from, m);
            }
            return find_relay_table(std::get<ipc::FindRelayTable>(m));
        default:
            unexpected(Role::Lookup, from, m);
        }
    }

  private:
    void spawn(asio::awaitable<void> work) { asio::co_spawn(io_, std::move(work), asio::detached); }

    void find_relay_credentials(ipc::FindRelayCredentials const& m) {
        auto const found = relay_credentials(recipients_, m.table, m.label);
        if (!found) {
            log_warn("lookup: no relay credentials for label \"{}\" in table {}", m.label, m.table);
        }
        peers_.send(Role::Dispatcher,
                    found ? ipc::RelayCredentialsFound{m.id, true, found->user, found->password}
                          : ipc::RelayCredentialsFound{m.id, false, {}, {}});
    }

    void find_relay_table(ipc::FindRelayTable const& m) {
        ipc::RelayTableFound reply = relay_tables_.answer(m);
        if (!reply.found && m.key.empty()) { // a key missing is an answer too (a domain's MX)
            log_warn("lookup: no usable entry in relay table {}", m.table);
        }
        peers_.send(Role::Dispatcher, reply);
    }

    /// Recipient resolution is synchronous; a ~/.forward only the parent can read is fetched
    /// between rounds: a round that needed one it does not have yet asks the parent for it and runs
    /// again, until a round needs nothing new (each user's file is read once per lookup).
    asio::awaitable<Resolution> resolve_with_forwards(ipc::LookupRecipient const& m) {
        std::map<std::string, std::optional<std::string>> forwards;
        for (;;) {
            std::vector<UserInfo> missing;
            RecipientsIo io = recipients_.io();
            io.forward_reader = [&](UserInfo const& user) -> std::optional<std::string> {
                auto const it = forwards.find(user.name);
                if (it != forwards.end()) {
                    return it->second;
                }
                missing.push_back(user);
                return std::nullopt;
            };
            Resolution r = recipients_.resolve(m.local, m.domain, session_facts(m), io);
            if (missing.empty()) {
                co_return r;
            }
            for (UserInfo const& user : missing) {
                ipc::ReadForward request{0, user.name, user.home, user.uid, user.gid};
                auto asking = ipc::ask(peers_.to(Role::Parent), forwards_, std::move(request));
                auto read = co_await std::move(asking);
                bool const found = read && read.value().found;
                forwards[user.name] =
                    found ? std::optional<std::string>(read.value().content) : std::nullopt;
            }
        }
    }

    void forward_read(ipc::ForwardRead m) { complete_reply(forwards_, std::move(m), Role::Lookup); }

    asio::awaitable<void> resolve(Role from, ipc::LookupRecipient m) {
        Resolution r = co_await resolve_with_forwards(m);
        log_debug("lookup: <{}@{}> {}", m.local, m.domain, r.reason);
        for (Destination const& d : r.destinations) {
            log_trace(Trace::Lookup, "lookup: <{}@{}> -> action \"{}\" user {} target {}", m.local,
                      m.domain, d.action, d.user.name, d.target);
        }
        ipc::RecipientResolved reply{m.id, r.verdict, {}};
        if (r.verdict == sm::RcptVerdict::Kind::Accepted) {
            for (Destination const& d : r.destinations) {
                reply.recipients.push_back(
                    encode_recipient(to_queued(m.local + "@" + m.domain, d, 0, {})));
            }
        }
        peers_.send(from, reply);
    }

    /// The listener's table, on a hashing thread; the system's users, by the parent.
    asio::awaitable<void> check(ipc::CheckCredentials m) {
        std::size_t index = 0;
        auto const [end, ec] =
            std::from_chars(m.listener.data(), m.listener.data() + m.listener.size(), index);
        if (ec != std::errc() || end != m.listener.data() + m.listener.size() ||
            index >= credentials_.size()) {
            fatal("lookup: CheckCredentials for an unknown listener");
        }
        ipc::RequestId const id = m.id;
        ipc::AuthVerdict verdict = ipc::AuthVerdict::TempFail;
        if (auto const& table = credentials_[index]; table) {
            auto work = [table, user = m.user, password = m.password] {
                return table->verify(user, password);
            };
            auto checking = hashing_.run(std::move(work));
            verdict = co_await std::move(checking) ? ipc::AuthVerdict::Accepted
                                                   : ipc::AuthVerdict::Rejected;
        } else {
            auto asking = ipc::ask(peers_.to(Role::Parent), system_checked_, std::move(m));
            auto answer = co_await std::move(asking);
            verdict = answer ? answer.value().verdict : ipc::AuthVerdict::TempFail;
        }
        peers_.send(Role::Dispatcher, ipc::CredentialsChecked{id, verdict});
    }

    void system_checked(ipc::CredentialsChecked m) {
        complete_reply(system_checked_, m, Role::Lookup);
    }

    /// MX, then A and AAAA of every MX host (dns/route_query.hpp); the shuffle of equal
    /// preferences draws from a generator seeded for this query alone.
    void route(Role from, ipc::ResolveRoute const& m) {
        if (!resolver_) {
            peers_.send(from, route_reply(m.id, resolver_.error()));
            return;
        }
        auto answer = [this, from, id = m.id,
                       domain = m.domain](Result<dns::FoundRoute> const& found) {
            ipc::RouteResolved reply = route_reply(id, found);
            log_debug("lookup: route of {}: {}", domain,
                      reply.ok ? std::to_string(reply.destinations.size()) + " address(es)"
                               : reply.status + " " + reply.reason);
            peers_.send(from, reply);
        };
        if (m.host_only) {
            dns::find_host(*resolver_.value(), m.domain, std::move(answer));
            return;
        }
        auto random = std::make_shared<std::mt19937_64>(std::random_device{}());
        dns::find_route(
            *resolver_.value(), m.domain, route_policy(our_names_, m),
            [random] { return (*random)(); }, std::move(answer));
    }

    asio::io_context& io_;
    Peers& peers_;
    Recipients recipients_;
    ListenerCredentials credentials_;
    Result<std::unique_ptr<dns::Resolver>> resolver_; ///< or why there is none (each route fails)
    std::vector<std::string> our_names_;
    DiskWorkers hashing_{kHashThreads};
    ipc::Pending<ipc::CredentialsChecked> system_checked_;
    ipc::Pending<ipc::ForwardRead> forwards_;
    RelayTableAnswers relay_tables_{
        [this](std::string_view name) { return recipients_.table(name); }};
};

} // namespace

int run_lookup(DaemonOptions const& options, conf::Config const& config) {
    asio::io_context io;
    Peers peers = inherit_peers(io, Role::Lookup);
    auto recipients = Recipients::create(config, host_name());
    if (!recipients) {
        fatal(recipients.error().what());
    }
    auto credentials = load_listener_credentials(config);
    if (!credentials) {
        fatal(credentials.error().what());
    }
    enter_jail_or_exit(Role::Lookup, options);
    // After the privilege drop: it reads /etc/resolv.conf and /etc/hosts, readable by everyone.
    auto resolver = dns::Resolver::create(io.get_executor(), dns::ResolverOptions{});
    if (!resolver) {
        log_warn("dns: no resolver, every route fails for now: {}", resolver.error().what());
        resolver = failure(dns::DnsErrc::Resolver, resolver.error().what());
    }
    Lookup lookup(io, peers, std::move(recipients).value(), std::move(credentials).value(),
                  std::move(resolver), our_names(config, host_name()));
    start_serving(io, peers, lookup);
    io.run();
    return 0;
}

} // namespace smtpd::rt
