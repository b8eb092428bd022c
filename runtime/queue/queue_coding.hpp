// The queue's side of `queue compression` and `queue encryption` (spool/coding.hpp): the coding
// of the configuration, with a key not written in it read from the standard input the parent
// gave this role (spool/queue_key.hpp); and what is done with a message that does not decode.
// OpenSMTPD answers a content that does not decrypt with a temporary failure, retried until
// the queue ttl; here, as its queue_message_corrupt() does with an envelope that does not load,
// such a message is moved to corrupt/ and logged: a failed authentication tag cannot heal, so
// it is never retried and never delivered (docs/arch/queue.md).
// Depends on: spool/, common/log.hpp, grammar's conf/ast.hpp.
#pragma once

#include "common/result.hpp"
#include "conf/ast.hpp"
#include "spool/envelope.hpp"
#include "spool/spool.hpp"

#include <string>

namespace smtpd::rt {

/// The configuration's coding; exits (fatal) when the key cannot be read.
[[nodiscard]] SpoolCoding spool_coding(conf::Config const& config);

/// Whether message `id` is corrupt: its envelope did not decode (`loaded`), or, with a coding,
/// its content does not. A corrupt message is moved to corrupt/ and logged.
[[nodiscard]] bool set_aside_if_corrupt(Spool& spool, std::string const& id,
                                        Result<QueuedEnvelope> const& loaded);

} // namespace smtpd::rt
