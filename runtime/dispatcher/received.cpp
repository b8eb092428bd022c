// Received: header construction. RFC 5321 §4.4: "from" the client's HELO name and address, "by"
// our name, "with" SMTP or ESMTP (RFC 3848), "id" the queue id, "for" the single recipient.
// OpenSMTPD's smtp_message_begin: mask-src drops the "from" clause; received-auth adds
// "auth=yes user=NAME" or "auth=no" after the TLS parameters (only over TLS).
#include "dispatcher/received.hpp"

#include <array>
#include <fmt/format.h>

namespace smtpd::rt {

std::string rfc5322_date(std::time_t when) {
    std::tm tm{};
    localtime_r(&when, &tm);
    std::array<char, 64> buf{};
    std::size_t const n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S %z", &tm);
    return {buf.data(), n};
}

namespace {

// RFC 5321 §4.1.3: an IPv6 address literal carries the "IPv6:" tag.
std::string address_literal(std::string_view ip) {
    return ip.find(':') == std::string_view::npos ? fmt::format("[{}]", ip)
                                                  : fmt::format("[IPv6:{}]", ip);
}

/// RFC 3848's transmission types: SMTP, ESMTP, and with TLS "S", with AUTH "A".
std::string protocol(ReceivedInfo const& info) {
    if (!info.esmtp) {
        return "SMTP";
    }
    return fmt::format("ESMTP{}{}", info.tls ? "S" : "", info.authenticated ? "A" : "");
}

} // namespace

std::string received_header(ReceivedInfo const& info) {
    // mask-src leaves "Received: " and the folded "by" line, as OpenSMTPD does.
    std::string out = info.mask_source ? std::string("Received: ")
                                       : fmt::format("Received: from {} ({})", info.helo,
                                                     address_literal(info.client_ip));
    out += fmt::format("\r\n\tby {} (smtpd) with {} id {}", info.hostname, protocol(info), info.id);
    if (!info.tls_info.empty()) {
        out += fmt::format(" ({})", info.tls_info);
        // OpenSMTPD writes received-auth only inside its TLS branch.
        if (info.received_auth) {
            out += info.authenticated ? fmt::format(" auth=yes user={}", info.auth_user)
                                      : std::string(" auth=no");
        }
    }
    if (!info.single_recipient.empty()) {
        out += fmt::format("\r\n\tfor <{}>", info.single_recipient);
    }
    out += fmt::format(";\r\n\t{}\r\n", rfc5322_date(info.when));
    return out;
}

} // namespace smtpd::rt
