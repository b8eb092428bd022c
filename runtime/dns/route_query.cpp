// find_route: the MX query, the route, then every host's AAAA and A queries in flight together;
// a shared Query holds the answers until the last one is in.
#include "dns/route_query.hpp"

#include <boost/asio/post.hpp>

#include <memory>
#include <utility>

namespace smtpd::rt::dns {

namespace {

struct Query {
    std::function<void(Result<FoundRoute>)> done;
    Route route;
    std::vector<HostAnswers> answers;
    std::size_t waiting = 0;

    void answered() {
        if (--waiting > 0) {
            return;
        }
        auto found = destinations(route, answers);
        if (!found) {
            done(found.error());
            return;
        }
        done(FoundRoute{std::move(route), std::move(found).value()});
    }
};

void route_found(Resolver& resolver, std::shared_ptr<Query> const& query, Result<Route> route) {
    if (!route) {
        query->done(route.error());
        return;
    }
    query->route = std::move(route).value();
    std::size_t const hosts = query->route.hosts.size();
    query->answers.assign(hosts, HostAnswers{std::vector<boost::asio::ip::address>{},
                                             std::vector<boost::asio::ip::address>{}});
    if (hosts == 0) { // an address literal: nothing to look up
        query->waiting = 1;
        query->answered();
        return;
    }
    query->waiting = 2 * hosts;
    for (std::size_t i = 0; i < hosts; ++i) {
        std::string const& name = query->route.hosts[i].name;
        resolver.addresses(name, AddressFamily::V6, [query, i](AddressAnswer answer) {
            query->answers[i].aaaa = std::move(answer);
            query->answered();
        });
        resolver.addresses(name, AddressFamily::V4, [query, i](AddressAnswer answer) {
            query->answers[i].a = std::move(answer);
            query->answered();
        });
    }
}

} // namespace

void find_route(Resolver& resolver, std::string const& domain, RoutePolicy policy,
                RandomSource random, std::function<void(Result<FoundRoute>)> done) {
    auto query = std::make_shared<Query>();
    query->done = std::move(done);
    if (is_address_literal(domain)) {
        boost::asio::post(resolver.executor(), [&resolver, query, domain, policy, random] {
            route_found(resolver, query,
                        mx_route(domain, MxAnswer(std::vector<MxRecord>{}), policy, random));
        });
        return;
    }
    resolver.mx(domain, [&resolver, query, domain, policy = std::move(policy),
                         random = std::move(random)](MxAnswer const& mx) {
        route_found(resolver, query, mx_route(domain, mx, policy, random));
    });
}

void find_host(Resolver& resolver, std::string const& host,
               std::function<void(Result<FoundRoute>)> done) {
    if (is_address_literal(host)) {
        find_route(
            resolver, host, RoutePolicy{}, [] { return std::uint64_t{0}; }, std::move(done));
        return;
    }
    auto query = std::make_shared<Query>();
    query->done = std::move(done);
    boost::asio::post(resolver.executor(), [&resolver, query, host] {
        route_found(resolver, query, Route{{RouteHost{host, 0}}, std::nullopt, true});
    });
}

} // namespace smtpd::rt::dns
