// The errors of name resolution and MX routing (DnsErrc, a std::error_category), each with its
// permanence and the enhanced status code (RFC 3463) a relay reports for it: NXDOMAIN and the
// routing refusals of RFC 5321 §5.1 and RFC 7505 are permanent; SERVFAIL, time-outs and a
// resolver that cannot start are temporary.
// Depends on: the standard library.
#pragma once

#include <string_view>
#include <system_error>

namespace smtpd::rt::dns {

enum class DnsErrc : int {
    NxDomain = 1,  ///< the name does not exist (RCODE 3): permanent
    NoAddress,     ///< no host of the route has an A or AAAA record: permanent
    ServFail,      ///< the nameserver failed (SERVFAIL, REFUSED, ...): temporary
    Timeout,       ///< no answer in time: temporary
    BadAnswer,     ///< an answer whose record data does not decode: temporary
    NullMx,        ///< RFC 7505: the domain accepts no mail: permanent (5.1.10)
    MxIsLocalhost, ///< every MX names localhost: permanent (5.4.4)
    MxLoop,        ///< RFC 5321 §5.1: we are the best MX left: permanent (5.4.6)
    BadDomain,     ///< not a domain or address literal we can route: permanent
    Resolver,      ///< libunbound could not be set up or failed: temporary
};

[[nodiscard]] std::error_category const& dns_category();

[[nodiscard]] inline std::error_code make_error_code(DnsErrc e) {
    return {static_cast<int>(e), dns_category()};
}

/// True for the errors that no retry can cure (the recipient bounces), false for the others.
[[nodiscard]] bool is_permanent(std::error_code code);

/// The enhanced status code (RFC 3463, RFC 7505 §4.1) a relay reports for `code`.
[[nodiscard]] std::string_view enhanced_status(std::error_code code);

} // namespace smtpd::rt::dns

template <> struct std::is_error_code_enum<smtpd::rt::dns::DnsErrc> : std::true_type {};
