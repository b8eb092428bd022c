// What one relay request becomes before any I/O: where to go (the domain's MX hosts, or the
// action's smarthost), how to talk there (HELO name, TLS policy and verification, LMTP) and the
// message to send (sender, recipients with their DSN options, MAIL parameters, size), from the
// queued envelope and the `action ... relay` options of smtpd.conf(5); the options' tables are
// left named in the job for mta/relay_tables.hpp. Pure: tested without
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

/// A source address to bind (`src`) and the HELO name to give from it (`helo-src`; "" for
/// the job's own).
struct SourceAddress {
    std::string address; ///< IPv4 or IPv6, as text
    std::string helo;
    friend bool operator==(SourceAddress const&, SourceAddress const&) = default;
};

/// The tables of the action's options that plan_relay leaves for mta/relay_tables.hpp to ask
/// the lookup role about; each is cleared once its answer is in the job.
struct RelayTables {
    std::optional<std::string> host;     ///< `host <table>`: the smarthost, one in turn
    std::optional<std::string> domain;   ///< `domain <table>`: the domain's smarthost, if any
    std::optional<std::string> source;   ///< `src <table>`: the addresses to bind
    std::optional<std::string> helo_src; ///< `helo-src <table>`: each source address's name
    [[nodiscard]] bool empty() const { return !host && !domain && !source && !helo_src; }
    friend bool operator==(RelayTables const&, RelayTables const&) = default;
};

struct RelayJob {
    RelayTarget target;
    sm::ClientParams params; ///< server_name is set per host by the session
    bool verify = false;     ///< the server's certificate must verify (name included)
    sm::ClientMessage message;
    /// The envelope index of each of message.recipients, in order.
    std::vector<std::uint32_t> indexes;
    /// `src`: the addresses to bind; a connection binds the first of its destination's family
    /// (see pick_source). Empty: the system chooses.
    std::vector<SourceAddress> sources;
    RelayTables tables;
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

/// Makes `url` (a relay URL from a `host` or `domain` table, as text) the job's smarthost, with
/// the TLS policy of its scheme and of `relay`'s `tls` option. Fails
/// (std::errc::invalid_argument, with a sentence) on a URL that does not parse, or one without
/// TLS when `tls` requires it.
[[nodiscard]] Result<RelayJob> with_smarthost(RelayJob job, conf::Relay const& relay,
                                              std::string_view url);

/// What a connection to `destination` (an address, as text) binds and says in HELO: the first
/// of `job.sources` of the same family, with its name (else the job's HELO name). Nothing to
/// bind when the job has no sources; fails (std::errc::address_family_not_supported) when it
/// has some but none of that family, or `destination` is not an address.
struct PickedSource {
    std::optional<std::string> address;
    std::string helo;
    friend bool operator==(PickedSource const&, PickedSource const&) = default;
};
[[nodiscard]] Result<PickedSource> pick_source(RelayJob const& job, std::string_view destination);

} // namespace smtpd::rt::mta
