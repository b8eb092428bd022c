// A local delivery as its worker runs it, once it is the recipient's user.
#include "parent/local_delivery.hpp"

#include <filesystem>

#include "common/address.hpp"
#include "common/kill_point.hpp"
#include "common/log.hpp"
#include "conf/format.hpp"
#include "deliver/lmtp.hpp"
#include "deliver/maildir.hpp"
#include "deliver/mbox.hpp"
#include "deliver/mda.hpp"
#include "lookup/format_values.hpp"

namespace smtpd::rt {

namespace {

DeliveryOutcome to_outcome(Result<std::string> const& maildir) {
    if (!maildir) {
        return {DeliveryOutcome::Kind::TempFail, maildir.error().what()};
    }
    return {DeliveryOutcome::Kind::Delivered, "path=" + maildir.value()};
}

/// The mda command with its format specifiers expanded, each value one shell-quoted word.
DeliveryOutcome run_mda(ipc::LocalDelivery const& d, QueuedRecipient const& r, int message_fd) {
    std::string const dest = r.dest.empty() ? r.address : r.dest;
    FormatValues const values{d.sender, r.address, dest, r.user, r.home};
    auto const lookup = format_lookup(values);
    auto command = conf::expand_command(r.target, lookup, shell_quote);
    if (auto const* error = std::get_if<conf::FormatError>(&command)) {
        return {DeliveryOutcome::Kind::PermFail, "mda command: " + error->message};
    }
    std::string_view const rcpt_user = split_address(r.address).first;
    auto const plus = rcpt_user.find('+');
    // Member by member: g++ warns about designated initializers that leave members out.
    MdaDelivery mda;
    mda.command = std::get<std::string>(std::move(command));
    mda.prepend = d.prepend;
    mda.user = r.user;
    mda.home = r.home;
    mda.sender = d.sender;
    mda.recipient = dest;
    mda.original_recipient = r.address;
    mda.extension =
        plus == std::string_view::npos ? std::string() : std::string(rcpt_user.substr(plus + 1));
    mda.message_fd = message_fd;
    return deliver_mda(mda);
}

/// new/ is left to the worker's batch (parent/delivery_batch.hpp).
MaildirDelivery maildir_delivery(ipc::LocalDelivery const& d, QueuedRecipient const& r,
                                 int message_fd) {
    MaildirDelivery maildir;
    maildir.maildir = r.target;
    maildir.prepend = d.prepend;
    maildir.message_fd = message_fd;
    maildir.unique = d.unique;
    maildir.may_exist = d.retry;
    maildir.sync_new = false;
    maildir.junk = r.junk;
    return maildir;
}

MboxDelivery mbox_delivery(ipc::LocalDelivery const& d, QueuedRecipient const& r, int message_fd) {
    MboxDelivery mbox;
    mbox.mbox = r.target;
    mbox.sender = d.sender;
    mbox.prepend = d.prepend;
    mbox.message_fd = message_fd;
    return mbox;
}

LmtpDelivery lmtp_delivery(ipc::LocalDelivery const& d, QueuedRecipient const& r, int message_fd,
                           std::string const& hostname) {
    LmtpDelivery lmtp;
    lmtp.destination = r.target;
    lmtp.sender = d.sender;
    lmtp.rcpt_to = r.rcpt_to ? r.address : r.user;
    lmtp.prepend = d.prepend;
    lmtp.lhlo = hostname;
    lmtp.message_fd = message_fd;
    return lmtp;
}

} // namespace

LocalOutcome deliver_locally(ipc::LocalDelivery const& d, QueuedRecipient const& r, int message_fd,
                             std::string const& hostname) {
    DeliveryOutcome outcome{DeliveryOutcome::Kind::PermFail, "unknown delivery method"};
    std::string unsynced;
    switch (r.method) {
    case QueuedRecipient::Method::Maildir: {
        auto delivered = deliver_maildir(maildir_delivery(d, r, message_fd), hostname);
        if (delivered) {
            kill_point("after-maildir-rename");
            // .../new/<name> or .../cur/<name>, in the Maildir or its .Junk folder.
            unsynced =
                (std::filesystem::path(delivered.value()).parent_path().parent_path() / "new")
                    .string();
        }
        outcome = to_outcome(delivered);
        break;
    }
    case QueuedRecipient::Method::Mbox:
        outcome = deliver_mbox(mbox_delivery(d, r, message_fd));
        break;
    case QueuedRecipient::Method::Lmtp:
        outcome = deliver_lmtp(lmtp_delivery(d, r, message_fd, hostname));
        break;
    case QueuedRecipient::Method::Mda:
        outcome = run_mda(d, r, message_fd);
        break;
    case QueuedRecipient::Method::Relay: // the queue sends these to the MTA, never here
        outcome = {DeliveryOutcome::Kind::TempFail, "relay recipient sent to local delivery"};
        break;
    }
    return {{0, outcome.kind, std::move(outcome.text)}, std::move(unsynced)};
}

} // namespace smtpd::rt
