// The asynchronous resolver of the relay: MX, A and AAAA lookups through libunbound, whose
// answers come back on the file descriptor ub_fd(), watched by a Boost.Asio stream_descriptor, so
// the event loop never blocks. The nameservers are those of a resolv.conf (the system's by
// default), names also come from a hosts file (ub_ctx_resolvconf, ub_ctx_hosts); libunbound
// follows CNAME chains (up to its bound of restarts, then SERVFAIL). Every query has a deadline:
// past it the query is cancelled and reported as DnsErrc::Timeout (temporary).
// Depends on: common/result.hpp, common/log.hpp, dns_error.hpp, rdata.hpp, mx_route.hpp,
// libunbound, Boost.Asio. One thread: construct, query and destroy on the executor's thread.
#pragma once

#include "common/result.hpp"
#include "dns/mx_route.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace smtpd::rt::dns {

/// The addresses of one A or AAAA answer (empty: the name exists without such records).
using AddressAnswer = Result<std::vector<boost::asio::ip::address>>;

enum class AddressFamily { V4, V6 };

struct ResolverOptions {
    std::string resolv_conf = "/etc/resolv.conf"; ///< its `nameserver` lines are used
    std::string hosts = "/etc/hosts";             ///< "" to read none
    std::chrono::milliseconds timeout{std::chrono::seconds{30}}; ///< per query
    /// Nameservers ("192.0.2.53", "::1", "127.0.0.1@5353") used instead of the resolv.conf's.
    std::vector<std::string> forwarders;
};

/// The nameservers libunbound forwards to for a resolv.conf(5) text, in order, as it reads them:
/// the address of each `nameserver` line, and 127.0.0.1 when there is none.
[[nodiscard]] std::vector<std::string> nameservers_of(std::string_view resolv_conf_text);

class Resolver {
  public:
    /// A resolver on `executor`; logs each nameserver it uses ("dns: resolver uses nameserver
    /// 127.0.0.53 from /etc/resolv.conf"). Fails when a file is unreadable or libunbound refuses.
    [[nodiscard]] static Result<std::unique_ptr<Resolver>>
    create(boost::asio::any_io_executor executor, ResolverOptions const& options);

    Resolver(Resolver const&) = delete;
    Resolver& operator=(Resolver const&) = delete;
    Resolver(Resolver&&) = delete;
    Resolver& operator=(Resolver&&) = delete;
    /// Cancels the queries still pending; their callbacks are never called.
    ~Resolver();

    /// The nameservers it forwards to (from the options, or as nameservers_of reads the file).
    [[nodiscard]] std::vector<std::string> const& nameservers() const { return nameservers_; }

    /// The executor the answers are posted to.
    [[nodiscard]] boost::asio::any_io_executor executor() const;

    /// The MX records of `domain` (NXDOMAIN, SERVFAIL, time-out as errors), later, on the executor.
    void mx(std::string const& domain, std::function<void(MxAnswer)> done);

    /// The A or AAAA records of `host`, later, on the executor.
    void addresses(std::string const& host, AddressFamily family,
                   std::function<void(AddressAnswer)> done);

    /// The queries sent and not yet answered.
    [[nodiscard]] std::size_t pending() const;

  private:
    struct State;
    explicit Resolver(std::unique_ptr<State> state, std::vector<std::string> nameservers);

    std::unique_ptr<State> state_;
    std::vector<std::string> nameservers_;
};

} // namespace smtpd::rt::dns
