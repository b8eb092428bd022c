// Fuzz target: MX answer handling (runtime/dns/rdata, runtime/dns/mx_route). The input is a
// control byte and then records, each a length octet and that many octets of MX rdata as
// libunbound's ub_result gives them. Property: any bytes give a route or a DNS error; a route is
// non-empty, ascending by preference, names each host once, and holds only decoded exchanges
// that are neither ours nor localhost (or the domain itself, for the implicit MX).
#include "dns/dns_error.hpp"
#include "dns/mx_route.hpp"
#include "dns/rdata.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

namespace {

using smtpd::rt::dns::DnsErrc;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace dns = smtpd::rt::dns;
    if (size == 0) {
        return 0;
    }
    std::uint8_t const control = data[0];
    std::vector<dns::Rdata> rdatas;
    std::size_t at = 1;
    while (at < size) {
        std::size_t const length = std::min<std::size_t>(data[at], size - at - 1);
        rdatas.emplace_back(data + at + 1, length);
        at += 1 + length;
    }
    dns::MxAnswer answer = dns::decode_mx_answer(rdatas);
    if ((control & 3U) == 1) {
        answer = smtpd::rt::failure(DnsErrc::NxDomain, "nx");
    } else if ((control & 3U) == 2) {
        answer = smtpd::rt::failure(DnsErrc::ServFail, "servfail");
    }
    dns::RoutePolicy policy;
    if ((control & 4U) != 0) {
        policy.our_names.emplace_back("a.example");
    }
    std::uint64_t state = control;
    dns::RandomSource const random = [&state] {
        return state = state * 2862933555777941757ULL + 3;
    };
    std::string const domain = (control & 8U) != 0 ? "a.example" : "d.example";
    auto const route = dns::mx_route(domain, answer, policy, random);
    if (!route) {
        check(route.error().code.category() == dns::dns_category());
        return 0;
    }
    auto const& hosts = route.value().hosts;
    check(!hosts.empty());
    std::set<std::string> decoded{domain};
    if (answer) {
        for (auto const& record : answer.value()) {
            decoded.insert(record.exchange);
        }
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        check(i == 0 || hosts[i - 1].preference <= hosts[i].preference);
        check(seen.insert(hosts[i].name).second);
        check(decoded.count(hosts[i].name) == 1);
        check(hosts[i].name != "localhost" && !hosts[i].name.empty());
        check(policy.our_names.empty() || hosts[i].name != "a.example");
    }
    return 0;
}
