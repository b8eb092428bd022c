// DeliveryOutcome: how one local delivery (mbox, mda, lmtp) ended, for the queue and the log.
// Delivered: the message is in the mailbox and the queue may drop its copy. TempFail: try again
// later (RFC 5321 §4.2.1 class 4). PermFail: bounce (class 5), with `text` as the reason in the
// DSN. The kind is sm::DeliveryStatus, the one the queue receives (ipc::DeliveryStatus).
// Depends on: statemachine/ (sm/verdicts.hpp).
#pragma once

#include "smtpd/sm/verdicts.hpp"

#include <string>

namespace smtpd::rt {

struct DeliveryOutcome {
    using Kind = sm::DeliveryStatus;
    Kind kind = Kind::TempFail;
    std::string text; ///< for the log and a bounce: "mda exited 75: ...", an LMTP reply line
};

} // namespace smtpd::rt
