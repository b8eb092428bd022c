// What the client session puts on the wire and reads off an EHLO reply: command lines made with
// grammar::format_command (RFC 5321 §4.1.1) and CRLF, the extensions' MAIL and RCPT parameters
// (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 3461 RET/ENVID/NOTIFY/ORCPT, each only
// when offered), AUTH PLAIN / LOGIN (RFC 4954 §4, RFC 4616), RSET, and dot_stuff (§4.5.2), the
// whole-string oracle of the streaming body encoder. Pure functions of the session. Depends on:
// grammar/ (command.hpp, reply.hpp).
#include "smtpd/sm/client.hpp"

#include "smtpd/grammar/ascii_case.hpp"

#include "smtpd/grammar/command.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace smtpd::sm {

namespace {

using grammar::Command;
using grammar::EsmtpParam;
using grammar::Extension;
using grammar::Verb;

std::uint64_t size_param(std::vector<std::string> const& params) {
    std::uint64_t n = 0;
    if (params.empty()) {
        return 0;
    }
    auto const& p = params.front();
    auto const [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    return ec == std::errc{} && end == p.data() + p.size() ? n : 0;
}

void read_ehlo_line(grammar::EhloLine const& line, ClientOffer& offer) {
    for (std::size_t i = 0; i < grammar::kExtensionCount; ++i) {
        auto const e = static_cast<Extension>(i);
        if (!grammar::ascii_case::equal(line.keyword, grammar::extension_keyword(e))) {
            continue;
        }
        offer.extensions = offer.extensions.with(e);
        if (e == Extension::Size) {
            offer.size_limit = size_param(line.params);
        } else if (e == Extension::Auth) {
            for (auto const& mech : line.params) {
                offer.auth_plain = offer.auth_plain || grammar::ascii_case::equal(mech, "PLAIN");
                offer.auth_login = offer.auth_login || grammar::ascii_case::equal(mech, "LOGIN");
            }
        }
    }
}

std::string line(Command const& c) {
    return grammar::format_command(c) + "\r\n";
}

Command verb(Verb v) {
    Command c;
    c.verb = v;
    return c;
}

std::string hello(ClientSession const& s, Verb v) {
    Command c = verb(v);
    c.domain = s.params.helo;
    std::string text = line(c);
    if (v == Verb::Ehlo && s.params.lmtp) {
        text.replace(0, 4, "LHLO"); // RFC 2033 §4.1: LHLO takes EHLO's argument
    }
    return text;
}

std::string auth(std::string_view mechanism, std::optional<std::string> initial) {
    Command c = verb(Verb::Auth);
    c.mechanism = std::string(mechanism);
    c.initial_response = std::move(initial);
    return line(c);
}

std::string plain_response(ClientSession const& s) {
    auto const cred = s.params.credentials.value_or(ClientCredentials{});
    std::string const encoded =
        base64_encode(std::string(1, '\0') + cred.user + '\0' + cred.password);
    return encoded.empty() ? "=" : encoded; // RFC 4954 §4: "=" is an empty initial response
}

std::string mail(ClientSession const& s) {
    auto const& m = s.message.mail;
    auto const has = [&s](Extension e) { return s.offer.extensions.has(e); };
    Command c = verb(Verb::Mail);
    c.path = s.message.sender;
    if (has(Extension::Size)) {
        c.params.push_back(EsmtpParam{"SIZE", std::to_string(s.message.size)});
    }
    if (has(Extension::EightBitMime) && m.body != Body::Unspecified) {
        c.params.push_back(EsmtpParam{"BODY", m.body == Body::EightBitMime ? "8BITMIME" : "7BIT"});
    }
    if (has(Extension::SmtpUtf8) && m.smtputf8) {
        c.params.push_back(EsmtpParam{"SMTPUTF8", std::nullopt});
    }
    if (has(Extension::Dsn) && m.ret != Ret::Unspecified) {
        c.params.push_back(EsmtpParam{"RET", m.ret == Ret::Full ? "FULL" : "HDRS"});
    }
    if (has(Extension::Dsn) && m.envid) {
        c.params.push_back(EsmtpParam{"ENVID", *m.envid});
    }
    return line(c);
}

std::string notify(std::uint8_t flags) {
    if ((flags & kNotifyNever) != 0) {
        return "NEVER";
    }
    std::string out;
    for (auto const& [flag, name] : std::array<std::pair<NotifyFlag, char const*>, 3>{
             {{kNotifySuccess, "SUCCESS"}, {kNotifyFailure, "FAILURE"}, {kNotifyDelay, "DELAY"}}}) {
        if ((flags & flag) != 0) {
            out += (out.empty() ? "" : ",") + std::string(name);
        }
    }
    return out;
}

std::string rcpt(ClientSession const& s, std::size_t index) {
    if (index >= s.message.recipients.size()) {
        return {};
    }
    Recipient const& r = s.message.recipients[index];
    Command c = verb(Verb::Rcpt);
    c.path = r.path;
    if (s.offer.extensions.has(Extension::Dsn) && r.options.notify != 0) {
        c.params.push_back(EsmtpParam{"NOTIFY", notify(r.options.notify)});
    }
    if (s.offer.extensions.has(Extension::Dsn) && r.options.orcpt) {
        c.params.push_back(EsmtpParam{"ORCPT", *r.options.orcpt});
    }
    return line(c);
}

// RFC 2920 §3.1: MAIL and RCPT anywhere in a group, DATA only last.
std::string group(ClientSession const& s) {
    std::string out = mail(s);
    for (std::size_t i = 0; i < s.message.recipients.size(); ++i) {
        out += rcpt(s, i);
    }
    if (!s.offer.extensions.has(Extension::Chunking)) {
        out += line(verb(Verb::Data));
    }
    return out;
}

} // namespace

ClientOffer parse_offer(grammar::Reply const& ehlo_reply) {
    ClientOffer offer;
    // RFC 5321 §4.1.1.1: the first line is the greeting; each later one an ehlo-line.
    for (std::size_t i = 1; i < ehlo_reply.lines.size(); ++i) {
        auto const parsed = grammar::parse_ehlo_line(ehlo_reply.lines[i]);
        if (parsed) {
            read_ehlo_line(parsed.value(), offer);
        }
    }
    return offer;
}

std::string dot_stuff(std::string_view content) {
    std::string out;
    out.reserve(content.size() + content.size() / 64 + 5);
    bool line_start = true;
    for (std::size_t i = 0; i < content.size(); ++i) {
        char const c = content[i];
        if (c == '\r' || c == '\n') {
            out += "\r\n";
            i += (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ? 1 : 0;
            line_start = true;
            continue;
        }
        if (line_start && c == '.') {
            out += '.';
        }
        out += c;
        line_start = false;
    }
    if (!line_start) {
        out += "\r\n";
    }
    return out + ".\r\n";
}

std::string base64_encode(std::string_view bytes) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::size_t const n = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t v = 0;
        for (std::size_t j = 0; j < 3; ++j) {
            v = (v << 8U) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0U);
        }
        for (std::size_t j = 0; j < 4; ++j) {
            out += j <= n ? kAlphabet[(v >> (18U - 6U * j)) & 63U] : '=';
        }
    }
    return out;
}

std::string render_send(ClientSendKind kind, ClientSession const& s) {
    auto const cred = s.params.credentials.value_or(ClientCredentials{});
    switch (kind) {
    case ClientSendKind::None:
        return {};
    case ClientSendKind::Ehlo:
        return hello(s, Verb::Ehlo);
    case ClientSendKind::Helo:
        return hello(s, Verb::Helo);
    case ClientSendKind::StartTls:
        return line(verb(Verb::Starttls));
    case ClientSendKind::AuthPlain:
        return auth("PLAIN", plain_response(s));
    case ClientSendKind::AuthLogin:
        return auth("LOGIN", std::nullopt);
    case ClientSendKind::LoginUser:
        return base64_encode(cred.user) + "\r\n";
    case ClientSendKind::LoginPass:
        return base64_encode(cred.password) + "\r\n";
    case ClientSendKind::Mail:
        return mail(s);
    case ClientSendKind::MailGroup:
        return group(s);
    case ClientSendKind::NextRcpt:
        return rcpt(s, s.rcpt_sent);
    case ClientSendKind::Data:
        return line(verb(Verb::Data));
    case ClientSendKind::Body:
    case ClientSendKind::Bdat:
        return {}; // ClientSendBody: the driver streams it (body_encoder.hpp)
    case ClientSendKind::Dot:
        return ".\r\n";
    case ClientSendKind::Rset:
        return line(verb(Verb::Rset));
    case ClientSendKind::Quit:
        return line(verb(Verb::Quit));
    }
    return {};
}

} // namespace smtpd::sm
