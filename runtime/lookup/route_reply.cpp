// The RouteResolved of a ResolveRoute, from a route found or its failure; our names from the
// configuration. See route_reply.hpp.
#include "lookup/route_reply.hpp"

#include "dns/dns_error.hpp"

#include <algorithm>

namespace smtpd::rt {

namespace {

/// `text` with every control character (CR, LF, TAB, ...) as a space: one line for the log.
std::string one_line(std::string text) {
    std::replace_if(
        text.begin(), text.end(),
        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; }, ' ');
    return text;
}

} // namespace

std::vector<std::string> our_names(conf::Config const& config, std::string const& host_name) {
    std::vector<std::string> names{host_name};
    for (conf::Listen const& listen : config.listeners) {
        if (listen.hostname &&
            std::find(names.begin(), names.end(), *listen.hostname) == names.end()) {
            names.push_back(*listen.hostname);
        }
    }
    return names;
}

dns::RoutePolicy route_policy(std::vector<std::string> const& names,
                              ipc::ResolveRoute const& request) {
    dns::RoutePolicy policy{names, std::nullopt};
    if (!request.backup_mx.empty()) {
        policy.backup_mx = request.backup_mx;
    }
    return policy;
}

ipc::RouteResolved route_reply(ipc::RequestId id, Result<dns::FoundRoute> const& found) {
    ipc::RouteResolved reply{id, found.has_value(), {}, false, {}, {}};
    if (!found) {
        Failure const& why = found.error();
        reply.permanent = dns::is_permanent(why.code);
        reply.status = std::string(dns::enhanced_status(why.code));
        reply.reason = one_line(why.what());
        return reply;
    }
    dns::Route const& route = found.value().route;
    for (dns::Destination const& d : found.value().destinations) {
        auto const host = std::find_if(route.hosts.begin(), route.hosts.end(),
                                       [&](dns::RouteHost const& h) { return h.name == d.host; });
        std::uint16_t const preference = host == route.hosts.end() ? 0 : host->preference;
        reply.destinations.push_back({d.host, preference, d.address.to_string()});
    }
    return reply;
}

} // namespace smtpd::rt
