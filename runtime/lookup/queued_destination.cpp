// to_queued (see queued_destination.hpp). Invariant: every DeliveryMethod has the
// QueuedRecipient::Method of the same name.
#include "lookup/queued_destination.hpp"

namespace smtpd::rt {

namespace {

QueuedRecipient::Method queued_method(DeliveryMethod m) {
    switch (m) {
    case DeliveryMethod::Mbox:
        return QueuedRecipient::Method::Mbox;
    case DeliveryMethod::Lmtp:
        return QueuedRecipient::Method::Lmtp;
    case DeliveryMethod::Mda:
        return QueuedRecipient::Method::Mda;
    case DeliveryMethod::Relay:
        return QueuedRecipient::Method::Relay;
    case DeliveryMethod::Maildir:
        break;
    }
    return QueuedRecipient::Method::Maildir;
}

} // namespace

QueuedRecipient to_queued(std::string address, Destination const& d, std::uint8_t notify,
                          std::string orcpt) {
    QueuedRecipient r{std::move(address), d.user.name, d.target, notify, std::move(orcpt)};
    r.method = queued_method(d.method);
    r.action = d.action;
    if (d.method != DeliveryMethod::Relay) {
        r.uid = d.user.uid;
        r.gid = d.user.gid;
    }
    r.home = d.user.home;
    r.junk = d.junk;
    r.rcpt_to = d.lmtp_rcpt_to;
    r.dest = d.dest;
    return r;
}

} // namespace smtpd::rt
