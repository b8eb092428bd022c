// The lookup role's answer to a ResolveRoute, as pure functions: who "we" are for the MX rule of
// RFC 5321 §5.1 (the greeting names of the configuration, and the request's backup MX name), and
// the RouteResolved for a route found or not (dns/route_query.hpp), with the permanence and the
// enhanced status code of dns/dns_error.hpp. No I/O: tested with exact values.
// Depends on: ipc/messages.hpp, dns/ (route_query, mx_route, dns_error), grammar/ (conf::Config).
#pragma once

#include "common/result.hpp"
#include "conf/ast.hpp"
#include "dns/mx_route.hpp"
#include "dns/route_query.hpp"
#include "ipc/messages.hpp"

#include <string>
#include <vector>

namespace smtpd::rt {

/// Our names: `host_name` (the greeting's default) and every listener's `hostname`, once each.
[[nodiscard]] std::vector<std::string> our_names(conf::Config const& config,
                                                 std::string const& host_name);

/// The policy of one request: `names`, and its backup MX name when it has one.
[[nodiscard]] dns::RoutePolicy route_policy(std::vector<std::string> const& names,
                                            ipc::ResolveRoute const& request);

/// The reply to request `id`: the destinations in order with their hosts' preferences, or the
/// failure's permanence, enhanced status code and reason on one line.
[[nodiscard]] ipc::RouteResolved route_reply(ipc::RequestId id,
                                             Result<dns::FoundRoute> const& found);

} // namespace smtpd::rt
