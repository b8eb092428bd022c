// copy_session_options (queued_options.hpp): the statemachine's enums to the queue's plain
// strings and bits (runtime/spool does not include statemachine/).
#include "dispatcher/queued_options.hpp"

namespace smtpd::rt {

static_assert(sm::kNotifyNever == kQueuedNotifyNever &&
                  sm::kNotifySuccess == kQueuedNotifySuccess &&
                  sm::kNotifyFailure == kQueuedNotifyFailure &&
                  sm::kNotifyDelay == kQueuedNotifyDelay,
              "the queue stores NOTIFY with the session's bits");

namespace {

std::string body(sm::Body b) {
    switch (b) {
    case sm::Body::SevenBit:
        return std::string(kBody7Bit);
    case sm::Body::EightBitMime:
        return std::string(kBody8BitMime);
    case sm::Body::Unspecified:
        break;
    }
    return {};
}

std::string ret(sm::Ret r) {
    switch (r) {
    case sm::Ret::Full:
        return std::string(kRetFull);
    case sm::Ret::Headers:
        return std::string(kRetHdrs);
    case sm::Ret::Unspecified:
        break;
    }
    return {};
}

} // namespace

void copy_session_options(sm::Envelope const& session, QueuedEnvelope& queued) {
    queued.auth_user = session.auth_user.value_or("");
    queued.tls = session.tls;
    queued.body = body(session.mail.body);
    queued.smtputf8 = session.mail.smtputf8;
    queued.ret = ret(session.mail.ret);
    queued.envid = session.mail.envid.value_or("");
    queued.auth_param = session.mail.auth.value_or("");
    queued.declared_size = session.mail.size;
}

void copy_recipient_options(sm::RcptOptions const& options, QueuedRecipient& queued) {
    queued.notify = options.notify;
    queued.orcpt = options.orcpt.value_or("");
}

} // namespace smtpd::rt
