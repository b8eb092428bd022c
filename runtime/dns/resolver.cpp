// The libunbound resolver driven by Asio (see resolver.hpp). libunbound runs its queries in its
// own thread (ub_ctx_async) and signals answers on ub_fd(); ub_process() then calls on_answer on
// this thread, which turns the ub_result into a typed answer and posts the caller's callback, so
// no callback runs inside libunbound. Handlers hold the state weakly: after the Resolver is gone
// they do nothing.
// Depends on: resolver.hpp, dns_error.hpp, rdata.hpp, common/log.hpp, libunbound, Boost.Asio.
#include "dns/resolver.hpp"

#include "common/log.hpp"
#include "dns/dns_error.hpp"
#include "dns/rdata.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unbound.h>

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

namespace smtpd::rt::dns {

namespace {

// RFC 1035 §3.2.2, RFC 3596 §2.1: the record types asked for; class IN.
constexpr int kTypeA = 1;
constexpr int kTypeMx = 15;
constexpr int kTypeAaaa = 28;
constexpr int kClassIn = 1;
// RFC 1035 §4.1.1: RCODE 3 is NXDOMAIN ("name error").
constexpr int kRcodeNxDomain = 3;

char const* rrtype_name(int rrtype) {
    return rrtype == kTypeMx ? "MX" : rrtype == kTypeA ? "A" : "AAAA";
}

// The rdata of an answer, or why there is none. The spans point into `result`.
Result<std::vector<Rdata>> answer_records(std::string const& what, int err, ub_result* result) {
    if (err != 0 || result == nullptr) {
        return failure(DnsErrc::Resolver, what + ": " + ub_strerror(err));
    }
    if (result->nxdomain != 0 || result->rcode == kRcodeNxDomain) {
        return failure(DnsErrc::NxDomain, what + ": no such domain");
    }
    if (result->rcode != 0) {
        return failure(DnsErrc::ServFail,
                       what + ": nameserver answered with rcode " + std::to_string(result->rcode));
    }
    std::vector<Rdata> records;
    if (result->havedata != 0) {
        for (int i = 0; result->data[i] != nullptr; ++i) {
            records.emplace_back(reinterpret_cast<std::uint8_t const*>(result->data[i]),
                                 static_cast<std::size_t>(result->len[i]));
        }
    }
    return records;
}

} // namespace

std::vector<std::string> nameservers_of(std::string_view resolv_conf_text) {
    // As libunbound's ub_ctx_resolvconf reads the file: a line "nameserver ADDRESS" (leading
    // blanks allowed) gives the address up to its first character outside [0-9A-Fa-f.:]; with no
    // such line it forwards to 127.0.0.1.
    std::vector<std::string> out;
    std::istringstream lines{std::string(resolv_conf_text)};
    std::string line;
    auto const blank = [](char c) { return c == ' ' || c == '\t'; };
    auto const address_char = [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '.' || c == ':';
    };
    constexpr std::string_view kKeyword = "nameserver";
    while (std::getline(lines, line)) {
        std::string_view rest = line;
        while (!rest.empty() && blank(rest.front())) {
            rest.remove_prefix(1);
        }
        if (!rest.starts_with(kKeyword) || rest.size() == kKeyword.size() ||
            !blank(rest[kKeyword.size()])) {
            continue;
        }
        rest.remove_prefix(kKeyword.size());
        while (!rest.empty() && blank(rest.front())) {
            rest.remove_prefix(1);
        }
        std::size_t length = 0;
        while (length < rest.size() && address_char(rest[length])) {
            ++length;
        }
        if (length > 0) {
            out.emplace_back(rest.substr(0, length));
        }
    }
    if (out.empty()) {
        out.emplace_back("127.0.0.1");
    }
    return out;
}

struct Query {
    std::weak_ptr<struct ResolverState> state;
    std::uint64_t id = 0;
    int async_id = 0;
    std::string what; ///< "MX example.org", for messages
    int rrtype = 0;
    boost::asio::steady_timer timer;
    /// Turns libunbound's answer (or a failure) into the caller's typed answer and posts it.
    std::function<void(Result<std::vector<Rdata>>)> complete;
};

struct ResolverState : std::enable_shared_from_this<ResolverState> {
    ResolverState(boost::asio::any_io_executor ex, ub_ctx* context, std::chrono::milliseconds t)
        : executor(std::move(ex)), ctx(context), fd(executor, ub_fd(context)), timeout(t) {}
    ResolverState(ResolverState const&) = delete;
    ResolverState& operator=(ResolverState const&) = delete;
    ResolverState(ResolverState&&) = delete;
    ResolverState& operator=(ResolverState&&) = delete;
    ~ResolverState() {
        for (auto& [id, query] : queries) {
            ub_cancel(ctx, query->async_id);
        }
        queries.clear();
        (void)fd.release(); // libunbound owns the descriptor
        ub_ctx_delete(ctx);
    }

    boost::asio::any_io_executor executor;
    ub_ctx* ctx;
    boost::asio::posix::stream_descriptor fd;
    std::chrono::milliseconds timeout;
    bool waiting = false;
    std::uint64_t wait_generation = 0;
    std::uint64_t next_id = 1;
    std::map<std::uint64_t, std::unique_ptr<Query>> queries;
};

namespace {

void wait_for_answers(std::shared_ptr<ResolverState> const& state);

void on_answer(void* mydata, int err, ub_result* result) {
    auto* query = static_cast<Query*>(mydata);
    auto const state = query->state.lock();
    if (!state) {
        ub_resolve_free(result);
        return;
    }
    auto node = state->queries.extract(query->id);
    query->timer.cancel();
    query->complete(answer_records(query->what, err, result));
    ub_resolve_free(result);
}

void wait_for_answers(std::shared_ptr<ResolverState> const& state) {
    if (state->waiting || state->queries.empty()) {
        return;
    }
    state->waiting = true;
    std::uint64_t const generation = ++state->wait_generation;
    std::weak_ptr<ResolverState> weak = state;
    state->fd.async_wait(boost::asio::posix::descriptor_base::wait_read,
                         [weak, generation](boost::system::error_code ec) {
                             auto const s = weak.lock();
                             // A stale wait (stopped by stop_waiting) is ignored: the current one
                             // sees the same readable descriptor.
                             if (!s || ec == boost::asio::error::operation_aborted ||
                                 generation != s->wait_generation) {
                                 return;
                             }
                             s->waiting = false;
                             if (ec) {
                                 log_warn("dns: waiting for libunbound: {}", ec.message());
                             } else if (int const rc = ub_process(s->ctx); rc != 0) {
                                 log_warn("dns: ub_process: {}", ub_strerror(rc));
                             }
                             wait_for_answers(s);
                         });
}

// No query left: no wait either, so that an io_context with nothing else to do returns.
void stop_waiting(ResolverState& state) {
    if (state.waiting && state.queries.empty()) {
        state.waiting = false;
        ++state.wait_generation;
        state.fd.cancel();
    }
}

void on_deadline(std::weak_ptr<ResolverState> const& weak, std::uint64_t id,
                 boost::system::error_code ec) {
    auto const state = weak.lock();
    if (!state || ec == boost::asio::error::operation_aborted) {
        return;
    }
    auto node = state->queries.extract(id);
    if (node.empty()) {
        return; // answered in the same turn of the loop
    }
    ub_cancel(state->ctx, node.mapped()->async_id);
    stop_waiting(*state);
    auto const ms = state->timeout.count();
    node.mapped()->complete(failure(DnsErrc::Timeout, node.mapped()->what + ": no answer in " +
                                                          std::to_string(ms) + " ms"));
}

void start_query(std::shared_ptr<ResolverState> const& state, std::string const& name, int rrtype,
                 std::function<void(Result<std::vector<Rdata>>)> complete) {
    auto query = std::make_unique<Query>(
        Query{state, state->next_id++, 0, std::string(rrtype_name(rrtype)) + " " + name, rrtype,
              boost::asio::steady_timer(state->executor), std::move(complete)});
    Query* const raw = query.get();
    int const rc = ub_resolve_async(state->ctx, name.c_str(), rrtype, kClassIn, raw, on_answer,
                                    &raw->async_id);
    if (rc != 0) {
        raw->complete(failure(DnsErrc::Resolver, raw->what + ": " + ub_strerror(rc)));
        return;
    }
    std::uint64_t const id = raw->id;
    raw->timer.expires_after(state->timeout);
    raw->timer.async_wait([weak = std::weak_ptr<ResolverState>(state),
                           id](boost::system::error_code ec) { on_deadline(weak, id, ec); });
    state->queries.emplace(id, std::move(query));
    wait_for_answers(state);
}

Result<std::string> read_text(std::string const& path) {
    std::ifstream in(path);
    if (!in) {
        return failure(std::error_code(errno, std::generic_category()), path + ": cannot read");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

struct Resolver::State {
    std::shared_ptr<ResolverState> shared;
};

Resolver::Resolver(std::unique_ptr<State> state, std::vector<std::string> nameservers)
    : state_(std::move(state)), nameservers_(std::move(nameservers)) {}

Resolver::~Resolver() = default;

Result<std::unique_ptr<Resolver>> Resolver::create(boost::asio::any_io_executor executor,
                                                   ResolverOptions const& options) {
    Result<std::string> conf = std::string();
    if (options.forwarders.empty()) {
        conf = read_text(options.resolv_conf);
        if (!conf) {
            return conf.error();
        }
    }
    ub_ctx* const ctx = ub_ctx_create();
    if (ctx == nullptr) {
        return failure(DnsErrc::Resolver, "libunbound: cannot create a context");
    }
    auto const refuse = [&](std::string const& what, int rc) {
        ub_ctx_delete(ctx);
        return failure(DnsErrc::Resolver, what + ": " + ub_strerror(rc));
    };
    // Threads, not a forked helper process: a fork of a role process would copy its channels.
    if (int const rc = ub_ctx_async(ctx, 1); rc != 0) {
        return refuse("libunbound: threads", rc);
    }
    // A nameserver on loopback (a local cache, the tests' server) is a normal choice.
    if (int const rc = ub_ctx_set_option(ctx, "do-not-query-localhost:", "no"); rc != 0) {
        return refuse("libunbound: do-not-query-localhost", rc);
    }
    std::vector<std::string> nameservers = options.forwarders;
    std::string source = "the configuration";
    if (nameservers.empty()) {
        if (int const rc = ub_ctx_resolvconf(ctx, options.resolv_conf.c_str()); rc != 0) {
            return refuse(options.resolv_conf, rc);
        }
        nameservers = nameservers_of(conf.value());
        source = options.resolv_conf;
    }
    for (auto const& ns : options.forwarders) {
        if (int const rc = ub_ctx_set_fwd(ctx, ns.c_str()); rc != 0) {
            return refuse("nameserver " + ns, rc);
        }
    }
    if (!options.hosts.empty()) {
        if (int const rc = ub_ctx_hosts(ctx, options.hosts.c_str()); rc != 0) {
            return refuse(options.hosts, rc);
        }
    }
    for (auto const& ns : nameservers) {
        log_info("dns: resolver uses nameserver {} from {}", ns, source);
    }
    auto shared = std::make_shared<ResolverState>(std::move(executor), ctx, options.timeout);
    return std::unique_ptr<Resolver>(
        new Resolver(std::make_unique<State>(State{std::move(shared)}), std::move(nameservers)));
}

void Resolver::mx(std::string const& domain, std::function<void(MxAnswer)> done) {
    auto executor = state_->shared->executor;
    start_query(state_->shared, domain, kTypeMx,
                [executor, done = std::move(done)](Result<std::vector<Rdata>> records) {
                    MxAnswer answer =
                        records ? decode_mx_answer(records.value()) : MxAnswer(records.error());
                    boost::asio::post(executor, [done, answer = std::move(answer)]() mutable {
                        done(std::move(answer));
                    });
                });
}

void Resolver::addresses(std::string const& host, AddressFamily family,
                         std::function<void(AddressAnswer)> done) {
    auto executor = state_->shared->executor;
    int const rrtype = family == AddressFamily::V4 ? kTypeA : kTypeAaaa;
    start_query(state_->shared, host, rrtype,
                [executor, family, done = std::move(done)](Result<std::vector<Rdata>> records) {
                    AddressAnswer answer = std::vector<boost::asio::ip::address>{};
                    if (!records) {
                        answer = records.error();
                    } else {
                        for (Rdata const rdata : records.value()) {
                            auto const address = decode_address(rdata);
                            if (address && address->is_v4() == (family == AddressFamily::V4)) {
                                answer.value().push_back(*address);
                            }
                        }
                    }
                    boost::asio::post(executor, [done, answer = std::move(answer)]() mutable {
                        done(std::move(answer));
                    });
                });
}

boost::asio::any_io_executor Resolver::executor() const {
    return state_->shared->executor;
}

std::size_t Resolver::pending() const {
    return state_->shared->queries.size();
}

} // namespace smtpd::rt::dns
