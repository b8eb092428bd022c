// find_route: the whole resolution of a mail domain through a Resolver. The MX query (none for an
// address literal), mx_route, then the AAAA and A queries of every host of the route at once (each
// with the resolver's deadline), then destinations(). The rules are mx_route.hpp's; this only
// sequences the queries. Depends on: resolver.hpp, mx_route.hpp, common/result.hpp.
// One thread: call it and get the answer on the resolver's executor.
#pragma once

#include "common/result.hpp"
#include "dns/mx_route.hpp"
#include "dns/resolver.hpp"

#include <functional>
#include <string>
#include <vector>

namespace smtpd::rt::dns {

/// A route and the addresses to try, in order (never empty).
struct FoundRoute {
    Route route;
    std::vector<Destination> destinations;
};

/// Resolves `domain` and calls `done` once, later, on the resolver's executor (never from within
/// this call). The queries keep what they need alive; the resolver must outlive them.
void find_route(Resolver& resolver, std::string const& domain, RoutePolicy policy,
                RandomSource random, std::function<void(Result<FoundRoute>)> done);

/// The same for a smarthost (`relay host NAME`): the host's own AAAA and A records, no MX; an
/// address literal as for find_route.
void find_host(Resolver& resolver, std::string const& host,
               std::function<void(Result<FoundRoute>)> done);

} // namespace smtpd::rt::dns
