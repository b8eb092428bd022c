// DnsErrc's category, permanence and enhanced status codes (see dns_error.hpp).
// Depends on: dns_error.hpp.
#include "dns/dns_error.hpp"

#include <string>

namespace smtpd::rt::dns {

namespace {

class DnsCategory final : public std::error_category {
  public:
    [[nodiscard]] char const* name() const noexcept override { return "smtpd.dns"; }
    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<DnsErrc>(value)) {
        case DnsErrc::NxDomain:
            return "domain does not exist (NXDOMAIN)";
        case DnsErrc::NoAddress:
            return "no address for any host of the route";
        case DnsErrc::ServFail:
            return "nameserver failure (SERVFAIL)";
        case DnsErrc::Timeout:
            return "no answer from the nameserver in time";
        case DnsErrc::BadAnswer:
            return "malformed DNS answer";
        case DnsErrc::NullMx:
            return "domain does not accept mail (null MX)";
        case DnsErrc::MxIsLocalhost:
            return "MX points to localhost";
        case DnsErrc::MxLoop:
            return "mail loops back to this host (we are the best MX)";
        case DnsErrc::BadDomain:
            return "not a routable domain or address literal";
        case DnsErrc::Resolver:
            return "resolver failure";
        }
        return "unknown DNS error";
    }
};

} // namespace

std::error_category const& dns_category() {
    static DnsCategory const category;
    return category;
}

bool is_permanent(std::error_code code) {
    if (code.category() != dns_category()) {
        return false;
    }
    switch (static_cast<DnsErrc>(code.value())) {
    case DnsErrc::NxDomain:
    case DnsErrc::NoAddress:
    case DnsErrc::NullMx:
    case DnsErrc::MxIsLocalhost:
    case DnsErrc::MxLoop:
    case DnsErrc::BadDomain:
        return true;
    case DnsErrc::ServFail:
    case DnsErrc::Timeout:
    case DnsErrc::BadAnswer:
    case DnsErrc::Resolver:
        return false;
    }
    return false;
}

std::string_view enhanced_status(std::error_code code) {
    if (code.category() != dns_category()) {
        return "4.4.3";
    }
    switch (static_cast<DnsErrc>(code.value())) {
    case DnsErrc::NxDomain:
    case DnsErrc::BadDomain:
        return "5.1.2"; // RFC 3463 §3.2: bad destination system address
    case DnsErrc::NoAddress:
    case DnsErrc::MxIsLocalhost:
        return "5.4.4"; // RFC 3463 §3.5: unable to route
    case DnsErrc::NullMx:
        return "5.1.10"; // RFC 7505 §4.1
    case DnsErrc::MxLoop:
        return "5.4.6"; // RFC 3463 §3.5: routing loop detected
    case DnsErrc::ServFail:
    case DnsErrc::Timeout:
    case DnsErrc::BadAnswer:
    case DnsErrc::Resolver:
        return "4.4.3"; // RFC 3463 §3.5: directory server failure
    }
    return "4.4.3";
}

} // namespace smtpd::rt::dns
