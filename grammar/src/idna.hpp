// The U-labels of an SMTPUTF8 domain (RFC 6531 §3.3: sub-domain =/ U-label, RFC 5890 §2.3.2.1):
// the grammar gives their UTF-8 shape (grammar/overrides/rfc6531_u_label.abnf); whether a label is
// a U-label is IDNA2008's question (RFC 5891 §4: NFC, no disallowed code point, the bidi and
// contextual rules), answered by libidn2's registration check. Depends on: libidn2.
#pragma once

#include <string_view>

namespace smtpd::grammar {

/// True if every label of `domain` holding a non-ASCII octet is a valid U-label. ASCII labels
/// are the grammar's business (Ldh-str) and pass.
[[nodiscard]] bool u_labels_valid(std::string_view domain);

} // namespace smtpd::grammar
