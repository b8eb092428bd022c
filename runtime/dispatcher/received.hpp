// The trace header an SMTP server adds to each message it accepts (RFC 5321 §4.4), in the form
// OpenSMTPD's smtp_message_begin writes it (with its listener options mask-src and
// received-auth), and the RFC 5322 §3.3 date it ends with.
// Depends on: the standard library only.
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace smtpd::rt {

struct ReceivedInfo {
    std::string helo;
    std::string client_ip;
    std::string hostname; ///< ours
    bool esmtp = false;
    std::string id;
    std::string single_recipient; ///< the "for" clause, only when there is one recipient
    std::time_t when = 0;
    bool tls = false;           ///< the message came over TLS: "with ESMTPS" (RFC 3848)
    std::string tls_info;       ///< "TLSv1.3:TLS_AES_256_GCM_SHA384:256", as OpenSMTPD writes it
    bool authenticated = false; ///< after AUTH: "with ESMTPA" / "ESMTPSA" (RFC 3848)
    bool mask_source = false;   ///< listen ... mask-src: no "from" clause at all
    bool received_auth = false; ///< listen ... received-auth: " auth=yes user=NAME" over TLS
    std::string auth_user;      ///< the authenticated user, when authenticated
};

/// "Received: from ... by ... with ... id ...; date" with CRLF line ends and folded lines.
[[nodiscard]] std::string received_header(ReceivedInfo const& info);

/// RFC 5322 §3.3 date-time in local time, e.g. "Tue, 24 Nov 2026 07:36:24 +0000".
[[nodiscard]] std::string rfc5322_date(std::time_t when);

} // namespace smtpd::rt
