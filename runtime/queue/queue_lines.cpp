// Envelope ids, show queue lines and removal log lines (queue/queue_lines.hpp).
#include "queue/queue_lines.hpp"

#include "common/hash.hpp"

#include <fmt/format.h>

#include <limits>
#include <utility>

namespace smtpd::rt {

namespace {

/// Local deliveries are OpenSMTPD's "mda" agent; anything else goes out through the "mta".
bool delivered_locally(QueuedRecipient::Method method) {
    using M = QueuedRecipient::Method;
    return method == M::Maildir || method == M::Mbox || method == M::Lmtp || method == M::Mda;
}

/// strnvis(3)-like: printable ASCII as is, a backslash doubled, '|' and anything else \ooo.
std::string visible(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char const c : text) {
        auto const byte = static_cast<unsigned char>(c);
        if (c == '\\') {
            out += "\\\\";
        } else if (byte < 0x20 || byte > 0x7e || c == '|') {
            out += fmt::format("\\{:03o}", byte);
        } else {
            out += c;
        }
    }
    return out;
}

std::string_view address_family(std::string_view client) {
    if (client.empty()) {
        return "local";
    }
    return client.find(':') == std::string_view::npos ? "inet4" : "inet6";
}

/// The address a recipient is delivered to: what an alias made of it, else itself.
std::string const& destination(QueuedRecipient const& rcpt) {
    return rcpt.dest.empty() ? rcpt.address : rcpt.dest;
}

/// now - since, saturated: `since` comes from a file.
std::int64_t elapsed(std::int64_t since, std::int64_t now) {
    std::int64_t d = 0;
    if (__builtin_sub_overflow(now, since, &d)) {
        return since < 0 ? std::numeric_limits<std::int64_t>::max()
                         : std::numeric_limits<std::int64_t>::min();
    }
    return d;
}

} // namespace

std::uint32_t recipient_key(QueuedRecipient const& rcpt) {
    std::string key = rcpt.address;
    key += '\0';
    key += rcpt.user;
    key += '\0';
    key += rcpt.target;
    std::uint64_t const h = fnv1a(key);
    return static_cast<std::uint32_t>((h >> 32U) ^ (h & 0xffffffffU));
}

std::string evpid_of(std::string_view msgid, QueuedRecipient const& rcpt) {
    return format_evpid(msgid, recipient_key(rcpt));
}

bool names(QueueTarget const& target, std::string_view msgid, QueuedRecipient const& rcpt) {
    switch (target.kind) {
    case QueueTarget::Kind::All:
        return true;
    case QueueTarget::Kind::Message:
        return target.msgid == msgid;
    case QueueTarget::Kind::Envelope:
        return target.msgid == msgid && target.recipient == recipient_key(rcpt);
    }
    return false;
}

std::string show_queue_line(QueuedEnvelope const& envelope, QueuedRecipient const& rcpt,
                            std::int64_t expiry, RunState state) {
    std::string const sender = envelope.sender.empty() ? std::string("@") : envelope.sender;
    return fmt::format(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", evpid_of(envelope.id, rcpt),
        address_family(envelope.client_address), delivered_locally(rcpt.method) ? "mda" : "mta",
        envelope.auth_user.empty() ? "" : "auth", visible(sender), visible(rcpt.address),
        visible(destination(rcpt)), envelope.created, expiry, envelope.last_try, envelope.attempts,
        state.inflight ? "inflight" : "pending", state.seconds, visible(envelope.last_error));
}

std::string removed_line(QueuedEnvelope const& envelope, QueuedRecipient const& rcpt,
                         std::int64_t now) {
    // OpenSMTPD names the original recipient only when an alias changed it.
    std::string const original =
        rcpt.dest.empty() || rcpt.dest == rcpt.address ? std::string("-") : visible(rcpt.address);
    return fmt::format("{}: Remove for {}: from=<{}>, to=<{}>, rcpt=<{}>, delay={}, "
                       "stat=Removed by administrator",
                       delivered_locally(rcpt.method) ? "delivery" : "relay",
                       evpid_of(envelope.id, rcpt), visible(envelope.sender),
                       visible(destination(rcpt)), original,
                       duration_text(elapsed(envelope.created, now)));
}

} // namespace smtpd::rt
