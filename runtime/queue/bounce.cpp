// Builds DSNs. Every value from the envelope, the remote MTA or the report passes through
// printable() or visible() before it is written, so CR, LF and other controls become '?' and
// values are cut short enough that no line passes 998 octets. The returned original is rewritten
// only where it could not be an RFC 5322 message anyway: bare CR or LF become CRLF and lines over
// 998 octets are broken.
#include "queue/bounce.hpp"

#include "common/hash.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>

namespace smtpd::rt {

namespace {

constexpr std::string_view kCrlf = "\r\n";
// RFC 5322 §2.1.1: a line is at most 998 characters, excluding the CRLF.
constexpr std::size_t kMaxLine = 998;
// Any single field value is cut to this, which leaves room for the longest field name.
constexpr std::size_t kMaxValue = 900;

// US-ASCII graphic characters and space; anything else, CR and LF included, becomes '?'.
std::string printable(std::string_view s, std::size_t max = kMaxValue) {
    std::string out(s.substr(0, max));
    std::replace_if(
        out.begin(), out.end(),
        [](char c) {
            auto const u = static_cast<unsigned char>(c);
            return u < 0x20 || u > 0x7E;
        },
        '?');
    return out;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool has_8bit(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) > 0x7F; });
}

// As printable(), without spaces and angle brackets: host names and ids.
std::string visible(std::string_view s) {
    std::string out = printable(s, 255);
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c == ' ' || c == '<' || c == '>'; }, '?');
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

// RFC 3461 §4: xtext "+" 2HEXCHAR stands for one octet. A malformed escape is kept as written.
std::string decode_xtext(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        int const hi = i + 2 < s.size() && s[i] == '+' ? hex_value(s[i + 1]) : -1;
        int const lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo >= 0) {
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// RFC 5322 §3.3 date-time in UTC, e.g. "Tue, 14 Nov 2023 22:13:20 +0000" (RFC 3464 §2.2.5:
// numeric zones). Clamped to years 0..9999.
std::string rfc5322_date(SysSeconds t) {
    using namespace std::chrono;
    static constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed",
                                                           "Thu", "Fri", "Sat"};
    static constexpr std::array<std::string_view, 12> kMonths{
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    t = std::clamp(t, SysSeconds{seconds{-62167219200}}, SysSeconds{seconds{253402300799}});
    auto const day = floor<days>(t);
    year_month_day const ymd{day};
    hh_mm_ss const hms{t - day};
    return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
                       kDays.at(weekday{day}.c_encoding()), static_cast<unsigned>(ymd.day()),
                       kMonths.at(static_cast<unsigned>(ymd.month()) - 1),
                       static_cast<int>(ymd.year()), hms.hours().count(), hms.minutes().count(),
                       hms.seconds().count());
}

void add_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append(kCrlf);
}

// The diagnostic's non-blank lines, each made printable: a blank line would end the field group.
std::vector<std::string> diagnostic_lines(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty() && lines.size() < kMaxDiagnosticLines) {
        std::size_t const end = std::min(text.find_first_of(kCrlf), text.size());
        std::string line = printable(text.substr(0, end), kMaxDiagnosticLine);
        if (line.find_first_not_of(' ') != std::string::npos) {
            lines.push_back(std::move(line));
        }
        text.remove_prefix(std::min(end + 1, text.size()));
    }
    return lines;
}

// RFC 3461 §9.2: an SMTP reply is copied, its later lines continued with a leading space. Local
// errors are not SMTP replies and get the experimental type X-Smtpd (RFC 3464 §2.1.2).
void add_diagnostic(std::string& out, std::vector<std::string> const& lines) {
    if (lines.empty()) {
        return;
    }
    std::string_view const first = lines.front();
    bool const reply = first.size() >= 3 &&
                       std::all_of(first.begin(), first.begin() + 3, is_digit) &&
                       (first.size() == 3 || first[3] == ' ' || first[3] == '-');
    out.append("Diagnostic-Code: ").append(reply ? "smtp; " : "X-Smtpd; ").append(first);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        out.append(kCrlf).append(" ").append(lines[i]);
    }
    out.append(kCrlf);
}

// RFC 3463 §2: class "." subject "." detail, subject and detail 1-3 digits; the classes of a
// failure or a delay are 4 and 5.
bool valid_status(std::string_view s) {
    if (s.size() < 5 || (s[0] != '4' && s[0] != '5') || s[1] != '.') {
        return false;
    }
    std::size_t digits = 0;
    std::size_t dots = 0;
    for (char const c : s.substr(2)) {
        bool const dot_ok = c == '.' && digits > 0 && dots == 0;
        if (!dot_ok && !is_digit(c)) {
            return false;
        }
        dots += dot_ok ? 1U : 0U;
        digits = dot_ok ? 0 : digits + 1;
        if (digits > 3) {
            return false;
        }
    }
    return dots == 1 && digits > 0;
}

// RFC 3464 §2.3.3 Action, as each kind says it.
std::string_view action_word(DsnKind kind) {
    switch (kind) {
    case DsnKind::Failure:
        return "failed";
    case DsnKind::Delay:
        return "delayed";
    case DsnKind::Relayed:
        break;
    }
    return "relayed";
}

// RFC 3461 §6.3(g): without a usable code, 5.0.0, 4.0.0 or 2.0.0.
std::string status_code(DsnRecipient const& r) {
    if (valid_status(r.status)) {
        return r.status;
    }
    return r.kind == DsnKind::Failure ? "5.0.0" : r.kind == DsnKind::Delay ? "4.0.0" : "2.0.0";
}

// RFC 3461 §6.3(d): the ORCPT value, its xtext decoded; "unknown" without an addr-type.
std::string original_recipient(std::string_view orcpt) {
    std::size_t const semi = orcpt.find(';');
    if (semi == std::string_view::npos) {
        return "unknown; " + printable(decode_xtext(orcpt));
    }
    std::string const type = visible(orcpt.substr(0, semi));
    return printable(type + "; " + decode_xtext(orcpt.substr(semi + 1)));
}

// RFC 3464 §2.3, in the order of its per-recipient-fields ABNF.
void add_recipient(std::string& out, DsnRecipient const& r, BounceReport const& report) {
    out.append(kCrlf);
    if (!r.orcpt.empty()) {
        add_field(out, "Original-Recipient", original_recipient(r.orcpt));
    }
    // XXX(RFC 6533): a UTF-8 address needs message/global-delivery-status; its non-ASCII
    // octets become '?' here.
    add_field(out, "Final-Recipient", "rfc822; " + printable(r.address));
    add_field(out, "Action", std::string(action_word(r.kind)));
    add_field(out, "Status", status_code(r));
    if (!r.remote_mta.empty()) {
        add_field(out, "Remote-MTA", "dns; " + visible(r.remote_mta));
    }
    add_diagnostic(out, diagnostic_lines(r.diagnostic));
    if (r.last_attempt) {
        add_field(out, "Last-Attempt-Date", rfc5322_date(*r.last_attempt));
    }
    // RFC 3464 §2.3.9: Will-Retry-Until MUST NOT appear but for delayed recipients.
    if (r.kind == DsnKind::Delay && report.retry_until) {
        add_field(out, "Will-Retry-Until", rfc5322_date(*report.retry_until));
    }
}

// RFC 3464 §2.1: per-message fields (§2.2), then a blank line before each recipient's group.
std::string status_part(QueuedEnvelope const& envelope, BounceReport const& report) {
    std::string out = "Content-Type: message/delivery-status\r\n\r\n";
    if (!envelope.envid.empty()) {
        // RFC 3461 §6.3(a): the ENVID, its xtext decoded.
        add_field(out, "Original-Envelope-Id", printable(decode_xtext(envelope.envid)));
    }
    add_field(out, "Reporting-MTA", "dns; " + visible(report.reporting_mta));
    add_field(out, "Arrival-Date",
              rfc5322_date(SysSeconds{std::chrono::seconds{envelope.created}}));
    for (auto const& r : report.recipients) {
        add_recipient(out, r, report);
    }
    return out;
}

bool any_failed(BounceReport const& report) {
    return std::any_of(report.recipients.begin(), report.recipients.end(),
                       [](DsnRecipient const& r) { return r.kind == DsnKind::Failure; });
}

std::string text_part(BounceReport const& report) {
    std::string out = "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
    out += "This is the mail system at " + visible(report.reporting_mta) + ".\r\n\r\n";
    if (any_failed(report)) {
        out += "Your message could not be delivered to the recipients marked \"failed\" below;\r\n"
               "it will not be retried for them.\r\n";
    }
    if (std::any_of(report.recipients.begin(), report.recipients.end(),
                    [](DsnRecipient const& r) { return r.kind == DsnKind::Delay; })) {
        out += "Delivery to the recipients marked \"delayed\" below is still being tried";
        out += report.retry_until ? " until\r\n" + rfc5322_date(*report.retry_until) : "";
        out += "; you need not send the message again.\r\n";
    }
    if (std::any_of(report.recipients.begin(), report.recipients.end(),
                    [](DsnRecipient const& r) { return r.kind == DsnKind::Relayed; })) {
        out += "Your message was relayed to the recipients marked \"relayed\" below through a\r\n"
               "server that does not return delivery notifications: no further notice will\r\n"
               "come for them (RFC 3461 section 6.2.3).\r\n";
    }
    for (auto const& r : report.recipients) {
        out += "\r\n  " + printable(r.address) + " (" + std::string(action_word(r.kind)) + ", " +
               status_code(r) + ")\r\n";
        for (auto const& line : diagnostic_lines(r.diagnostic)) {
            out += "    " + line + "\r\n";
        }
    }
    return out;
}

// Bare CR or LF become CRLF, lines are broken after 998 octets, and the text ends with CRLF.
std::string normalized(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    std::size_t column = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        if (c == '\r' || c == '\n') {
            i += c == '\r' && i + 1 < text.size() && text[i + 1] == '\n' ? 1 : 0;
            out += kCrlf;
            column = 0;
            continue;
        }
        if (column == kMaxLine) {
            out += kCrlf;
            column = 0;
        }
        out += c;
        ++column;
    }
    if (column != 0) {
        out += kCrlf;
    }
    return out;
}

// The header section, through the CRLF of its last field; past about kMaxReturnedHeaders octets,
// whole lines up to there.
std::string header_section(std::string_view original) {
    std::string text = normalized(original.substr(0, kMaxReturnedHeaders));
    if (text.rfind(kCrlf, 0) == 0) {
        return {};
    }
    std::size_t const blank = text.find("\r\n\r\n");
    if (blank != std::string::npos) {
        text.resize(blank + 2);
    } else if (original.size() > kMaxReturnedHeaders) {
        std::size_t const last = text.rfind(kCrlf, text.size() - 3);
        text.resize(last == std::string::npos ? 0 : last + 2);
    }
    return text;
}

// RFC 3461 §4.3 and §6.2: the whole message for a failure unless RET=HDRS or it is too large;
// only the headers for a delay notice.
std::string original_part(QueuedEnvelope const& envelope, BounceReport const& report,
                          std::string_view original) {
    bool const full =
        any_failed(report) && envelope.ret != kRetHdrs && original.size() <= kMaxReturnedMessage;
    std::string body = full ? normalized(original) : header_section(original);
    std::string out =
        full ? "Content-Type: message/rfc822\r\n" : "Content-Type: text/rfc822-headers\r\n";
    // RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary, labelled.
    out += has_8bit(body) ? "Content-Transfer-Encoding: 8bit\r\n\r\n" : "\r\n";
    return out + body;
}

// RFC 2046 §5.1.1: the boundary must not occur in the encapsulated text. A text of n octets
// holds at most n distinct candidates, so the loop ends.
std::string choose_boundary(std::string_view seed, std::vector<std::string> const& parts) {
    for (std::uint64_t counter = 0;; ++counter) {
        std::string candidate = fmt::format("=_smtpd_{:016x}", fnv1a(seed, counter));
        if (std::none_of(parts.begin(), parts.end(), [&](std::string const& p) {
                return p.find(candidate) != std::string::npos;
            })) {
            return candidate;
        }
    }
}

std::string headers(QueuedEnvelope const& envelope, BounceReport const& report,
                    std::string_view boundary, bool eight_bit) {
    std::string out;
    add_field(out, "From",
              "Mail Delivery System <MAILER-DAEMON@" + visible(report.reporting_mta) + ">");
    add_field(out, "To", "<" + printable(envelope.sender) + ">");
    bool const delayed =
        std::any_of(report.recipients.begin(), report.recipients.end(),
                    [](DsnRecipient const& r) { return r.kind == DsnKind::Delay; });
    add_field(out, "Subject",
              any_failed(report) ? "Delivery status notification: error"
              : delayed          ? "Delivery status notification: delay"
                                 : "Delivery status notification: relayed");
    add_field(out, "Date", rfc5322_date(report.date));
    add_field(out, "Message-ID", "<" + visible(report.message_id) + ">");
    // RFC 3834 §5.1: a DSN is an automatic response.
    add_field(out, "Auto-Submitted", "auto-replied");
    add_field(out, "MIME-Version", "1.0");
    add_field(out, "Content-Type",
              fmt::format("multipart/report; report-type=delivery-status;\r\n boundary=\"{}\"",
                          boundary));
    // RFC 2045 §6.4: a multipart entity is labelled 8bit when a part in it is.
    add_field(out, "Content-Transfer-Encoding", eight_bit ? "8bit" : "7bit");
    return out;
}

} // namespace

bool dsn_wanted(std::string_view sender, std::uint8_t notify, DsnKind kind) {
    // RFC 5321 §4.5.5 and §6.1: nothing is ever sent back to the null reverse-path.
    if (sender.empty() || (notify & kQueuedNotifyNever) != 0) {
        return false;
    }
    // RFC 3461 §5.2.5(b) and §5.2.6(c): without NOTIFY, failures and delays are reported; a
    // success (here: relayed) notice only when asked for (§5.2.7).
    if ((notify & kQueuedNotifyMask) == 0) {
        return kind != DsnKind::Relayed;
    }
    // RFC 3461 §5.2.5(c) and §5.2.6(b): a NOTIFY list without the keyword means no DSN.
    std::uint8_t const bit = kind == DsnKind::Failure ? kQueuedNotifyFailure
                             : kind == DsnKind::Delay ? kQueuedNotifyDelay
                                                      : kQueuedNotifySuccess;
    return (notify & bit) != 0;
}

std::string build_bounce(QueuedEnvelope const& envelope, BounceReport const& report,
                         std::string_view original) {
    std::vector<std::string> parts{text_part(report), status_part(envelope, report)};
    if (!original.empty()) {
        parts.push_back(original_part(envelope, report, original));
    }
    bool const eight_bit =
        std::any_of(parts.begin(), parts.end(), [](std::string const& p) { return has_8bit(p); });
    std::string const boundary = choose_boundary(report.message_id, parts);
    std::string out = headers(envelope, report, boundary, eight_bit);
    out += "\r\nThis is a MIME-encapsulated message (RFC 3464 delivery status notification).\r\n";
    for (auto const& part : parts) {
        out.append("\r\n--").append(boundary).append(kCrlf).append(part);
    }
    out.append("\r\n--").append(boundary).append("--\r\n");
    return out;
}

} // namespace smtpd::rt
