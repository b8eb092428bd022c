// plan_relay (see relay_job.hpp). The TLS rules, after OpenSMTPD's parse.y and mta.c: towards MX
// hosts STARTTLS is used when offered, unverified, unless `tls` asks for it (verified, but for
// `tls no-verify`); a smarthost's scheme sets the policy, and smtp+tls:// and smtps:// verify
// unless `tls no-verify` is given; a smarthost named by a `host` or `domain` table follows the
// same rules (with_smarthost).
#include "mta/relay_job.hpp"

#include "srs/srs.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <system_error>

namespace smtpd::rt::mta {

namespace {

using Tls = conf::RelayUrl::Tls;

Failure bad_request(std::string sentence) {
    return failure(std::make_error_code(std::errc::invalid_argument), std::move(sentence));
}

/// `tls no-verify` was given.
bool no_verify(conf::Relay const& relay) {
    return relay.tls_required && !relay.tls_verify;
}

RelayTarget smarthost_target(conf::RelayUrl const& url) {
    RelayTarget t;
    t.smarthost = true;
    t.port = url.port;
    t.label = url.label;
    switch (url.host_kind) {
    case conf::RelayUrl::HostKind::Name:
        t.name = url.host;
        break;
    case conf::RelayUrl::HostKind::Ipv4:
        t.name = "[" + url.host + "]";
        break;
    case conf::RelayUrl::HostKind::Ipv6:
        t.name = "[IPv6:" + url.host + "]";
        break;
    case conf::RelayUrl::HostKind::UnixSocket:
        t.unix_socket = url.host;
        break;
    }
    return t;
}

void set_tls(RelayJob& job, conf::Relay const& relay, conf::RelayUrl const* host) {
    auto& p = job.params;
    if (host == nullptr) {
        p.tls =
            relay.tls_required ? sm::ClientTlsPolicy::Required : sm::ClientTlsPolicy::Opportunistic;
        job.verify = relay.tls_verify;
        return;
    }
    switch (host->tls()) {
    case Tls::Opportunistic:
        p.tls =
            relay.tls_required ? sm::ClientTlsPolicy::Required : sm::ClientTlsPolicy::Opportunistic;
        job.verify = relay.tls_verify;
        break;
    case Tls::Starttls:
        p.tls = sm::ClientTlsPolicy::Required;
        job.verify = !no_verify(relay);
        break;
    case Tls::Implicit:
        p.tls = sm::ClientTlsPolicy::Required;
        p.implicit_tls = true;
        job.verify = !no_verify(relay);
        break;
    case Tls::None:
        p.tls = sm::ClientTlsPolicy::None;
        break;
    }
    p.lmtp = host->protocol == conf::RelayUrl::Protocol::Lmtp;
}

sm::MailOptions mail_options(QueuedEnvelope const& e) {
    sm::MailOptions m;
    m.body = e.body == kBody8BitMime ? sm::Body::EightBitMime
             : e.body == kBody7Bit   ? sm::Body::SevenBit
                                     : sm::Body::Unspecified;
    m.smtputf8 = e.smtputf8;
    m.ret = e.ret == kRetFull   ? sm::Ret::Full
            : e.ret == kRetHdrs ? sm::Ret::Headers
                                : sm::Ret::Unspecified;
    if (!e.envid.empty()) {
        m.envid = e.envid;
    }
    return m;
}

/// `mail-from` applied to a sender, as OpenSMTPD's mta.c: each part the value gives (user, domain)
/// replaces the sender's; "@example.com" keeps the sender's user, "bounces" its domain.
std::string override_sender(std::string_view configured, std::string_view sender) {
    auto const split = [](std::string_view a) {
        auto const at = a.rfind('@');
        return at == std::string_view::npos ? std::pair{a, std::string_view()}
                                            : std::pair{a.substr(0, at), a.substr(at + 1)};
    };
    auto const [user, domain] = split(configured);
    auto const [sender_user, sender_domain] = split(sender);
    return std::string(user.empty() ? sender_user : user) + "@" +
           std::string(domain.empty() ? sender_domain : domain);
}

/// The sender to announce: <> stays <> (`mail-from` never makes a notice bounceable); else
/// `mail-from`, or the SRS rewrite of a forwarded message's sender, or the sender itself.
std::string mail_from(conf::Relay const& relay, QueuedEnvelope const& envelope,
                      std::span<std::uint32_t const> indexes, PlanContext const& context) {
    if (envelope.sender.empty()) {
        return {};
    }
    if (relay.mail_from) {
        return override_sender(*relay.mail_from, envelope.sender);
    }
    auto const forwarded = std::find_if(indexes.begin(), indexes.end(), [&](std::uint32_t i) {
        return !envelope.recipients[i].dest.empty();
    });
    if (!relay.srs || !context.srs_key || forwarded == indexes.end()) {
        return envelope.sender;
    }
    QueuedRecipient const& via = envelope.recipients[*forwarded];
    auto const at = via.address.rfind('@');
    std::string_view const our_domain =
        at == std::string::npos ? std::string_view() : std::string_view(via.address).substr(at + 1);
    auto rewritten = srs::forward(envelope.sender, our_domain, *context.srs_key, context.now);
    return rewritten ? std::move(rewritten).value() : envelope.sender; // too long: as it was
}

} // namespace

std::size_t received_count(std::string_view head) {
    constexpr std::string_view kName = "received:";
    std::size_t count = 0;
    while (!head.empty()) {
        std::size_t const eol = head.find('\n');
        std::string_view line = head.substr(0, eol);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            break; // the end of the header section
        }
        bool const named = line.size() >= kName.size() &&
                           std::equal(kName.begin(), kName.end(), line.begin(), [](char a, char b) {
                               return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
                           });
        count += named ? 1 : 0;
        if (eol == std::string_view::npos) {
            break;
        }
        head.remove_prefix(eol + 1);
    }
    return count;
}

Result<RelayJob> plan_relay(conf::Action const& action, QueuedEnvelope const& envelope,
                            std::span<std::uint32_t const> indexes, PlanContext const& context) {
    conf::Relay const& relay = action.relay;
    if (indexes.empty()) {
        return bad_request("no recipient to relay");
    }
    RelayJob job;
    for (std::uint32_t const i : indexes) {
        if (i >= envelope.recipients.size()) {
            return bad_request(fmt::format("no recipient {} in message {}", i, envelope.id));
        }
        QueuedRecipient const& r = envelope.recipients[i];
        sm::RcptOptions options{r.notify, std::nullopt};
        if (!r.orcpt.empty()) {
            options.orcpt = r.orcpt;
        }
        job.message.recipients.push_back(sm::Recipient{sm::path_of(relay_address(r)), options});
        job.indexes.push_back(i);
    }
    std::string const domain = relay_domain(envelope.recipients[indexes.front()]);
    for (std::uint32_t const i : indexes) {
        if (relay_domain(envelope.recipients[i]) != domain) {
            return bad_request(
                fmt::format("message {}: recipients of more than one domain", envelope.id));
        }
    }
    if (relay.host) {
        job.target = smarthost_target(*relay.host);
    } else {
        job.target.name = domain;
    }
    if (relay.backup) {
        job.target.backup_mx = relay.backup_mx.value_or(context.hostname);
    }
    job.params.helo = relay.helo.value_or(context.hostname);
    job.tables =
        RelayTables{relay.host_table, relay.domain_table, std::nullopt, relay.helo_src_table};
    if (relay.src && relay.src->is_table) {
        job.tables.source = relay.src->value;
    } else if (relay.src) {
        job.sources.push_back(SourceAddress{relay.src->value, {}});
    }
    set_tls(job, relay, relay.host ? &*relay.host : nullptr);
    job.message.sender = sm::path_of(mail_from(relay, envelope, indexes, context));
    job.message.mail = mail_options(envelope);
    job.message.size = context.size;
    return job;
}

Result<RelayJob> with_smarthost(RelayJob job, conf::Relay const& relay, std::string_view url) {
    auto const parsed = conf::parse_relay_url(url);
    if (!parsed.url) {
        return bad_request(fmt::format("invalid relay URL \"{}\": {}", url, parsed.error));
    }
    if (relay.tls_required && parsed.url->tls() == Tls::None) {
        return bad_request(fmt::format(R"(relay URL "{}" has no TLS, which "tls" requires)", url));
    }
    std::string backup_mx = std::move(job.target.backup_mx);
    job.target = smarthost_target(*parsed.url);
    job.target.backup_mx = std::move(backup_mx);
    set_tls(job, relay, &*parsed.url);
    return job;
}

Result<PickedSource> pick_source(RelayJob const& job, std::string_view destination) {
    if (job.sources.empty()) {
        return PickedSource{std::nullopt, job.params.helo};
    }
    bool const v4 = conf::is_ipv4_address(destination);
    if (!v4 && !conf::is_ipv6_address(destination)) {
        return failure(std::make_error_code(std::errc::address_family_not_supported),
                       fmt::format("{} is not an address", destination));
    }
    for (SourceAddress const& s : job.sources) {
        if (v4 ? conf::is_ipv4_address(s.address) : conf::is_ipv6_address(s.address)) {
            return PickedSource{s.address, s.helo.empty() ? job.params.helo : s.helo};
        }
    }
    return failure(std::make_error_code(std::errc::address_family_not_supported),
                   fmt::format("no source address of the family of {}", destination));
}

} // namespace smtpd::rt::mta
