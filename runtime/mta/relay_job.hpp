// What one relay request becomes before any I/O: where to go (the domain's MX hosts, or the
// action's smarthost), how to talk there (HELO name, TLS policy and verification, LMTP) and the
// message to send (sender, recipients with their DSN options, MAIL parameters, size), from the
// queued envelope and the `action ... relay` options of smtpd.conf(5). Pure: tested without
// sockets. RFC 5321 §5.1 (where), RFC 3461 §4 (what is passed on). Depends on: spool/envelope.hpp,
// grammar's conf/ast.hpp, statemachine's sm/client.hpp, srs/srs.hpp, common/result.hpp.
#pragma once

#include "common/clock.hpp"
#include "common/result.hpp"
#include "conf/ast.hpp"
#include "smtpd/sm/client.hpp"
#include "spool/envelope.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt::mta {

/// Where the sessions go.
struct RelayTarget {
    bool smarthost = false; ///< `host URL`: only that host (A/AAAA, no MX)
    std::string name;       ///< the MX domain, or the smarthost ("[192.0.2.1]" for an address)
    std::uint16_t port = conf::RelayUrl::kSmtpPort;
    std::string unix_socket; ///< lmtp:// to a socket path: connect there, no lookup
    std::string label;       ///< the smarthost URL's credentials label; "" when none
    std::string backup_mx;   ///< `backup`: the name of ours that bounds the MX hosts tried
    friend bool operator==(RelayTarget const&, RelayTarget const&) = default;
};

struct RelayJob {
    RelayTarget target;
    sm::ClientParams params; ///< server_name is set per host by the session
    bool verify = false;     ///< the server's certificate must verify (name included)
    sm::ClientMessage message;
    /// The envelope index of each of message.recipients, in order.
    std::vector<std::uint32_t> indexes;
};

/// RFC 5321 §6.3: a message that carries more Received fields than this is in a loop; it is
/// bounced with 5.4.6 rather than relayed again (OpenSMTPD's MAX_HOPS_COUNT).
inline constexpr std::size_t kMaxHops = 100;

/// The Received fields of a message's header section (the text before its first empty line;
/// `head` may stop earlier), their names matched without case.
[[nodiscard]] std::size_t received_count(std::string_view head);

/// What a plan needs besides the action and the envelope.
struct PlanContext {
    std::string hostname;                 ///< our name: the HELO name unless the action has `helo`
    std::uint64_t size = 0;               ///< octets of the queued content
    std::optional<std::string> srs_key{}; ///< `srs key`: for actions with `srs`
    SysSeconds now{};                     ///< for the SRS timestamp
};

/// The job for recipients `indexes` of `envelope` (all of `action`, a relay action, and of one
/// domain). With `srs` on the action and a key, a message forwarded by an alias or ~/.forward
/// (a recipient with a `dest`) from a sender that is not <> goes out with the sender rewritten
/// (srs::forward, in the domain of the forwarded recipient), so that the next hop's SPF check
/// sees our domain and a bounce comes back to us (docs/arch/srs.md). Fails
/// (std::errc::invalid_argument, with a sentence) on an index out of range or recipients of
/// different domains.
[[nodiscard]] Result<RelayJob> plan_relay(conf::Action const& action,
                                          QueuedEnvelope const& envelope,
                                          std::span<std::uint32_t const> indexes,
                                          PlanContext const& context);

} // namespace smtpd::rt::mta
