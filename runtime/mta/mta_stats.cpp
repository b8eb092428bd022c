// MtaStats (see mta_stats.hpp). The lines are OpenSMTPD's (mta.c, IMSG_CTL_MTA_SHOW_*): a host
// is "address name refcount=N nconn=N lastconn=D", a route "id. source <-> address (name) flags
// nconn=N nerror=N penalty=N timeout=D" with the flags N(ew) D(isabled: penalized) Q(ueued)
// K(eepalive), a relay "[relay:...] refcount=N ntask=N nconn=N lastconn=D timeout=- wait=",
// a host statistic "name|time|error".
#include "mta/mta_stats.hpp"

#include "common/duration_text.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace smtpd::rt::mta {

namespace {

std::string since(std::int64_t then, std::int64_t now) {
    return then == 0 ? "-" : duration_text(now - then);
}

std::string source_text(std::string const& source) {
    return source.empty() ? "[]" : source;
}

} // namespace

std::int64_t route_penalty_seconds(int errors) {
    constexpr std::int64_t kMax = 3600;
    if (errors <= 0) {
        return 0;
    }
    int const doublings = std::min(errors - 1, 6);
    return std::min<std::int64_t>(kMax, std::int64_t{60} << doublings);
}

std::string MtaStats::route_key(std::string const& source, std::string const& address) {
    return source + "|" + address;
}

void MtaStats::connecting(std::string const& relay, std::string const& source,
                          std::string const& address, std::string const& name, std::int64_t now) {
    forget_old(now);
    Host& host = hosts_[address];
    host.name = name;
    ++host.nconn;
    host.lastconn = now;
    auto [it, added] = routes_.try_emplace(route_key(source, address));
    if (added) {
        it->second.id = next_route_id_++;
    }
    ++it->second.nconn;
    it->second.last = now;
    Relay& r = relays_[relay];
    ++r.nconn;
    r.lastconn = now;
    r.last = now;
}

void MtaStats::connected(std::string const& source, std::string const& address, std::int64_t now) {
    Route& route = routes_[route_key(source, address)];
    route.nerror = 0;
    route.penalty_until = 0;
    route.connected = true;
    route.last = now;
}

void MtaStats::failed(std::string const& source, std::string const& address,
                      std::string const& name, std::string const& error, std::int64_t now) {
    Route& route = routes_[route_key(source, address)];
    ++route.nerror;
    route.penalty_until = now + route_penalty_seconds(route.nerror);
    route.last = now;
    HostStat& stat = hoststats_[name];
    stat.time = now;
    stat.error = error;
}

void MtaStats::closed(std::string const& relay, std::string const& source,
                      std::string const& address, std::int64_t now) {
    auto const decrement = [](std::size_t& n) { n = n > 0 ? n - 1 : 0; };
    if (auto const h = hosts_.find(address); h != hosts_.end()) {
        decrement(h->second.nconn);
    }
    if (auto const r = routes_.find(route_key(source, address)); r != routes_.end()) {
        decrement(r->second.nconn);
        r->second.last = now;
    }
    if (auto const r = relays_.find(relay); r != relays_.end()) {
        decrement(r->second.nconn);
        r->second.last = now;
    }
}

void MtaStats::relay_tasks(std::string const& relay, std::ptrdiff_t requests, std::ptrdiff_t tasks,
                           std::int64_t now) {
    forget_old(now);
    Relay& r = relays_[relay];
    r.refcount = std::max<std::ptrdiff_t>(0, r.refcount + requests);
    r.ntask = std::max<std::ptrdiff_t>(0, r.ntask + tasks);
    r.last = now;
}

void MtaStats::host_ok(std::string const& name) {
    auto const it = hoststats_.find(name);
    if (it != hoststats_.end() && it->second.deferred.empty()) {
        hoststats_.erase(it);
    }
}

void MtaStats::defer(std::string const& name, std::string const& msgid, std::string const& error,
                     std::size_t max, std::int64_t now) {
    HostStat& stat = hoststats_[name];
    stat.time = now;
    stat.error = error;
    if (stat.deferred.size() < max) {
        stat.deferred.insert(msgid);
    }
}

std::vector<std::string> MtaStats::take_deferred(std::string const& name) {
    auto const it = hoststats_.find(name);
    if (it == hoststats_.end()) {
        return {};
    }
    std::vector<std::string> out(it->second.deferred.begin(), it->second.deferred.end());
    hoststats_.erase(it);
    return out;
}

bool MtaStats::penalized(std::string const& source, std::string const& address,
                         std::int64_t now) const {
    auto const it = routes_.find(route_key(source, address));
    return it != routes_.end() && it->second.penalty_until > now;
}

void MtaStats::forget_old(std::int64_t now) {
    std::erase_if(hosts_, [now](auto const& e) {
        return e.second.nconn == 0 && now - e.second.lastconn > kForgetAfter;
    });
    std::erase_if(routes_, [now](auto const& e) {
        return e.second.nconn == 0 && e.second.penalty_until <= now &&
               now - e.second.last > kForgetAfter;
    });
    std::erase_if(relays_, [now](auto const& e) {
        return e.second.refcount == 0 && e.second.nconn == 0 && now - e.second.last > kForgetAfter;
    });
    std::erase_if(hoststats_, [now](auto const& e) { return now - e.second.time > kForgetAfter; });
}

std::vector<std::string> MtaStats::show_hosts(std::int64_t now) const {
    std::vector<std::string> lines;
    lines.reserve(hosts_.size());
    for (auto const& [address, h] : hosts_) {
        lines.push_back(fmt::format("{} {} refcount={} nconn={} lastconn={}", address, h.name,
                                    h.nconn, h.nconn, since(h.lastconn, now)));
    }
    return lines;
}

std::vector<std::string> MtaStats::show_relays(std::int64_t now) const {
    std::vector<std::string> lines;
    lines.reserve(relays_.size());
    for (auto const& [text, r] : relays_) {
        lines.push_back(fmt::format("{} refcount={} ntask={} nconn={} lastconn={} timeout=- wait=",
                                    text, r.refcount, r.ntask, r.nconn, since(r.lastconn, now)));
    }
    return lines;
}

std::vector<std::string> MtaStats::show_routes(std::int64_t now) const {
    std::vector<std::pair<std::uint64_t, std::string>> lines;
    for (auto const& [key, r] : routes_) {
        auto const bar = key.find('|');
        std::string const source = key.substr(0, bar);
        std::string const address = key.substr(bar + 1);
        auto const host = hosts_.find(address);
        std::string const dest = host == hosts_.end() || host->second.name.empty()
                                     ? address
                                     : fmt::format("{} ({})", address, host->second.name);
        bool const disabled = r.penalty_until > now;
        lines.emplace_back(
            r.id,
            fmt::format("{}. {} <-> {} {}{}-{} nconn={} nerror={} penalty={} timeout={}", r.id,
                        source_text(source), dest, r.connected ? '-' : 'N', disabled ? 'D' : '-',
                        r.nconn > 0 ? 'K' : '-', r.nconn, r.nerror, r.nerror,
                        disabled ? duration_text(r.penalty_until - now) : std::string("-")));
    }
    std::sort(lines.begin(), lines.end());
    std::vector<std::string> out;
    out.reserve(lines.size());
    for (auto& l : lines) {
        out.push_back(std::move(l.second));
    }
    return out;
}

std::vector<std::string> MtaStats::show_hoststats() const {
    std::vector<std::string> lines;
    lines.reserve(hoststats_.size());
    for (auto const& [name, s] : hoststats_) {
        lines.push_back(fmt::format("{}|{}|{}", name, s.time, s.error));
    }
    return lines;
}

} // namespace smtpd::rt::mta
