// dns_resolve: a test tool. Resolves each domain given through runtime/dns's Resolver (libunbound
// against the nameservers of a resolv.conf), computes its MX route and destinations, and prints
// one JSON object per domain on stdout (dns/route_query.hpp's find_route, as the lookup role); the
// resolver's start-up log (its nameservers) goes to stderr. tests/integration/test_dns.py runs it
// inside a private namespace against a real unbound. usage: dns_resolve [--resolv-conf F] [--hosts
// F] [--timeout-ms N] [--our-name N]... DOMAIN... Depends on: runtime/dns, runtime/common (log),
// Boost.Asio, fmt.
#include "common/log.hpp"
#include "dns/dns_error.hpp"
#include "dns/mx_route.hpp"
#include "dns/resolver.hpp"
#include "dns/route_query.hpp"

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using smtpd::rt::Result;
namespace dns = smtpd::rt::dns;

std::string json(std::string_view text) {
    std::string out = "\"";
    for (char const c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string failure_json(std::string const& domain, smtpd::rt::Failure const& failure) {
    return fmt::format(R"({{"domain": {}, "ok": false, "permanent": {}, "status": {}, )"
                       R"("error": {}, "message": {}}})",
                       json(domain), dns::is_permanent(failure.code) ? "true" : "false",
                       json(dns::enhanced_status(failure.code)), json(failure.code.message()),
                       json(failure.message));
}

std::string route_json(std::string const& domain, dns::Route const& route,
                       std::vector<dns::Destination> const& destinations) {
    std::string hosts;
    for (auto const& host : route.hosts) {
        hosts +=
            fmt::format("{}[{}, {}]", hosts.empty() ? "" : ", ", json(host.name), host.preference);
    }
    std::string addresses;
    for (auto const& d : destinations) {
        addresses += fmt::format("{}[{}, {}]", addresses.empty() ? "" : ", ", json(d.host),
                                 json(d.address.to_string()));
    }
    return fmt::format(R"({{"domain": {}, "ok": true, "implicit": {}, "literal": {}, )"
                       R"("hosts": [{}], "destinations": [{}]}})",
                       json(domain), route.implicit ? "true" : "false",
                       route.literal ? "true" : "false", hosts, addresses);
}

// Resolves the domains one after the other, printing each result.
class Run {
  public:
    Run(dns::Resolver& resolver, dns::RoutePolicy policy, std::vector<std::string> domains)
        : resolver_(resolver), policy_(std::move(policy)), domains_(std::move(domains)) {}

    void next() {
        if (index_ >= domains_.size()) {
            return;
        }
        std::string const domain = domains_[index_];
        dns::find_route(
            resolver_, domain, policy_, [this] { return random_(); },
            [this, domain](Result<dns::FoundRoute> found) {
                finish(found ? route_json(domain, found.value().route, found.value().destinations)
                             : failure_json(domain, found.error()));
            });
    }

  private:
    void finish(std::string const& line) {
        std::fputs((line + "\n").c_str(), stdout);
        std::fflush(stdout);
        ++index_;
        next();
    }

    dns::Resolver& resolver_;
    dns::RoutePolicy policy_;
    std::vector<std::string> domains_;
    std::size_t index_ = 0;
    std::mt19937_64 random_{std::random_device{}()};
};

} // namespace

namespace {

int run(int argc, char** argv) {
    smtpd::rt::log_init(true, true, "dns_resolve");
    dns::ResolverOptions options;
    dns::RoutePolicy policy;
    std::vector<std::string> domains;
    std::vector<std::string> const args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        bool const has_value = i + 1 < args.size();
        if (args[i] == "--resolv-conf" && has_value) {
            options.resolv_conf = args[++i];
        } else if (args[i] == "--hosts" && has_value) {
            options.hosts = args[++i];
        } else if (args[i] == "--timeout-ms" && has_value) {
            options.timeout = std::chrono::milliseconds(std::stol(args[++i]));
        } else if (args[i] == "--our-name" && has_value) {
            policy.our_names.push_back(args[++i]);
        } else if (args[i].starts_with("--")) {
            std::fprintf(stderr, "dns_resolve: unknown option %s\n", args[i].c_str());
            return 2;
        } else {
            domains.push_back(args[i]);
        }
    }
    boost::asio::io_context io;
    auto resolver = dns::Resolver::create(io.get_executor(), options);
    if (!resolver) {
        std::fprintf(stderr, "dns_resolve: %s\n", resolver.error().message.c_str());
        return 1;
    }
    Run resolving(*resolver.value(), policy, domains);
    resolving.next();
    io.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (std::exception const& e) {
        std::fprintf(stderr, "dns_resolve: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "dns_resolve: unknown exception\n");
    }
    return 1;
}
