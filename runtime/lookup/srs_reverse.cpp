// resolve_srs (see srs_reverse.hpp). XXX(#14): OpenSMTPD decodes only for a null sender (a
// bounce); the lookup request carries no sender, so any sender is accepted here: the hash still
// has to check, so this opens nothing that a bounce would not.
// Depends on: srs_reverse.hpp, common/log.hpp.
#include "lookup/srs_reverse.hpp"

#include "common/clock.hpp"
#include "common/log.hpp"

#include <string>
#include <utility>

namespace smtpd::rt {

namespace {

// Ours: a name of this host, or a domain whose first matching rule delivers here.
bool is_our_domain(Recipients const& recipients, std::string_view domain, bool client_local) {
    if (recipients.is_local_domain(domain)) {
        return true;
    }
    conf::Action const* action = recipients.find_action(domain, client_local);
    return action != nullptr && action->method != conf::Action::Method::Relay;
}

} // namespace

std::optional<srs::Keys> srs_keys(conf::SrsConfig const& config) {
    if (!config.key) {
        return std::nullopt;
    }
    return srs::Keys{*config.key, config.backup_key, config.ttl};
}

std::optional<Resolution> resolve_srs(Recipients const& recipients,
                                      std::optional<srs::Keys> const& keys, std::string_view local,
                                      std::string_view domain, bool client_local,
                                      RecipientsIo const& io) {
    if (!keys || !srs::is_srs(local) || !is_our_domain(recipients, domain, client_local)) {
        return std::nullopt;
    }
    std::string const address = std::string(local) + "@" + std::string(domain);
    auto decoded = srs::reverse(address, *keys, io.clock ? io.clock() : now_seconds());
    if (!decoded) {
        log_warn("lookup: {}", decoded.error().what());
        return Resolution{sm::RcptVerdict::Kind::UnknownUser, {}, decoded.error().what()};
    }
    std::string const& original = decoded.value();
    log_trace(Trace::Lookup, "lookup: SRS address <{}> is <{}>", address, original);
    auto const at = original.rfind('@');
    // Matched again as mail from this host, as an address an alias names (expansion.cpp).
    Resolution r = recipients.resolve(original.substr(0, at), original.substr(at + 1), true, io);
    for (Destination& d : r.destinations) {
        if (d.dest.empty()) {
            d.dest = d.recipient;
        }
        d.recipient = address;
    }
    return r;
}

} // namespace smtpd::rt
