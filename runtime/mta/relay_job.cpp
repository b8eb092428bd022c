// plan_relay (see relay_job.hpp). The TLS rules, after OpenSMTPD's parse.y and mta.c: towards MX
// hosts STARTTLS is used when offered, unverified, unless `tls` asks for it (verified, but for
// `tls no-verify`); a smarthost's scheme sets the policy, and smtp+tls:// and smtps:// verify
// unless `tls no-verify` is given.
#include "mta/relay_job.hpp"

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

void set_tls(RelayJob& job, conf::Relay const& relay) {
    auto& p = job.params;
    if (!relay.host) {
        p.tls =
            relay.tls_required ? sm::ClientTlsPolicy::Required : sm::ClientTlsPolicy::Opportunistic;
        job.verify = relay.tls_verify;
        return;
    }
    switch (relay.host->tls()) {
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
    p.lmtp = relay.host->protocol == conf::RelayUrl::Protocol::Lmtp;
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

} // namespace

Result<RelayJob> plan_relay(conf::Action const& action, QueuedEnvelope const& envelope,
                            std::span<std::uint32_t const> indexes, std::string const& hostname,
                            std::uint64_t size) {
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
        job.target.backup_mx = relay.backup_mx.value_or(hostname);
    }
    job.params.helo = relay.helo.value_or(hostname);
    set_tls(job, relay);
    // A notice keeps its null reverse-path: `mail-from` never makes one bounceable.
    job.message.sender = sm::path_of(
        envelope.sender.empty() ? envelope.sender : relay.mail_from.value_or(envelope.sender));
    job.message.mail = mail_options(envelope);
    job.message.size = size;
    return job;
}

} // namespace smtpd::rt::mta
