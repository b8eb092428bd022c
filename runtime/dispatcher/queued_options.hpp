// What the session learnt beyond sender and recipients, as the queue stores it: the MAIL
// parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 3461 RET and ENVID, RFC 4954
// AUTH=), who authenticated, whether TLS was on, and each recipient's NOTIFY and ORCPT, so that
// later delivery reports can honour them. Depends on: statemachine/ (Envelope), spool/envelope.hpp.
#pragma once

#include "smtpd/sm/action.hpp"
#include "spool/envelope.hpp"

namespace smtpd::rt {

/// Copies the session's message options (MAIL parameters, AUTH user, TLS) onto `queued`.
void copy_session_options(sm::Envelope const& session, QueuedEnvelope& queued);
/// Copies one RCPT's NOTIFY and ORCPT onto a destination it resolved to (an alias may give
/// several; each keeps the parameters of the RCPT it came from).
void copy_recipient_options(sm::RcptOptions const& options, QueuedRecipient& queued);

} // namespace smtpd::rt
