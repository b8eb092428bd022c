// Envelope encoding and its strict decoder. See envelope.hpp for the format. Each single-valued
// key is one row of kFields (its name, the version that introduced it, how its value is read), so
// an older file refuses the newer keys and every file must have each key of its version. A
// recipient line has a fixed number of fields per version (kRecipientFields).
#include "spool/envelope.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fmt/format.h>

namespace smtpd::rt {

namespace {

bool needs_escape(unsigned char c) {
    return c <= 0x20 || c >= 0x7f || c == '%';
}

std::string escape(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (char ch : in) {
        auto const c = static_cast<unsigned char>(ch);
        if (needs_escape(c)) {
            out += fmt::format("%{:02X}", c);
        } else {
            out += ch;
        }
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::optional<std::string> unescape(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        auto const c = static_cast<unsigned char>(in[i]);
        if (c == '%') {
            if (i + 2 >= in.size()) {
                return std::nullopt;
            }
            int const hi = hex_value(in[i + 1]);
            int const lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (needs_escape(c)) {
            return std::nullopt;
        } else {
            out += in[i];
        }
    }
    return out;
}

template <class Int> std::optional<Int> to_int(std::string_view s) {
    Int v{};
    auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) {
        return std::nullopt;
    }
    return v;
}

template <class Int> bool read_int(Int& out, std::string const& value) {
    auto const v = to_int<Int>(value);
    if (v) {
        out = *v;
    }
    return v.has_value();
}

bool take(std::string& out, std::string&& value) {
    out = std::move(value);
    return true;
}

bool read_flag(bool& out, std::string const& value) {
    if (value != "0" && value != "1") {
        return false;
    }
    out = value == "1";
    return true;
}

// A keyword parameter: empty (not given) or one of the spellings the session records.
bool read_keyword(std::string& out, std::string value, std::string_view a, std::string_view b) {
    if (!value.empty() && value != a && value != b) {
        return false;
    }
    out = std::move(value);
    return true;
}

// RFC 1870 SIZE: empty when not declared.
bool read_size(std::optional<std::uint64_t>& out, std::string const& value) {
    if (value.empty()) {
        out.reset();
        return true;
    }
    auto const v = to_int<std::uint64_t>(value);
    out = v;
    return v.has_value();
}

// A timestamp of the scheduler: seconds since the epoch, 0 for never; no sign.
bool read_time(std::int64_t& out, std::string const& value) {
    return !value.starts_with('-') && read_int(out, value);
}

struct Field {
    std::string_view key;
    unsigned since; ///< the first version that has this key
    bool (*read)(QueuedEnvelope&, std::string&&);
};

// Every single-valued key but "version"; "rcpt" repeats and is read by decode_recipient_at.
constexpr std::array<Field, 19> kFields{{
    {"id", 1, [](QueuedEnvelope& e, std::string&& v) { return take(e.id, std::move(v)); }},
    {"created", 1, [](QueuedEnvelope& e, std::string&& v) { return read_int(e.created, v); }},
    {"helo", 1, [](QueuedEnvelope& e, std::string&& v) { return take(e.helo, std::move(v)); }},
    {"client", 1,
     [](QueuedEnvelope& e, std::string&& v) { return take(e.client_address, std::move(v)); }},
    {"local", 1, [](QueuedEnvelope& e, std::string&& v) { return read_flag(e.client_local, v); }},
    {"sender", 1, [](QueuedEnvelope& e, std::string&& v) { return take(e.sender, std::move(v)); }},
    {"attempts", 1, [](QueuedEnvelope& e, std::string&& v) { return read_int(e.attempts, v); }},
    {"error", 1,
     [](QueuedEnvelope& e, std::string&& v) { return take(e.last_error, std::move(v)); }},
    {"auth-user", 2,
     [](QueuedEnvelope& e, std::string&& v) { return take(e.auth_user, std::move(v)); }},
    {"tls", 2, [](QueuedEnvelope& e, std::string&& v) { return read_flag(e.tls, v); }},
    {"body", 2,
     [](QueuedEnvelope& e, std::string&& v) {
         return read_keyword(e.body, std::move(v), kBody7Bit, kBody8BitMime);
     }},
    {"smtputf8", 2, [](QueuedEnvelope& e, std::string&& v) { return read_flag(e.smtputf8, v); }},
    {"ret", 2,
     [](QueuedEnvelope& e, std::string&& v) {
         return read_keyword(e.ret, std::move(v), kRetFull, kRetHdrs);
     }},
    {"envid", 2, [](QueuedEnvelope& e, std::string&& v) { return take(e.envid, std::move(v)); }},
    {"auth-param", 2,
     [](QueuedEnvelope& e, std::string&& v) { return take(e.auth_param, std::move(v)); }},
    {"size", 2, [](QueuedEnvelope& e, std::string&& v) { return read_size(e.declared_size, v); }},
    {"last-try", 3, [](QueuedEnvelope& e, std::string&& v) { return read_time(e.last_try, v); }},
    {"last-warn", 3, [](QueuedEnvelope& e, std::string&& v) { return read_time(e.last_warn, v); }},
    {"listener", 4,
     [](QueuedEnvelope& e, std::string&& v) { return take(e.listener, std::move(v)); }},
}};

// The method words, in QueuedRecipient::Method order, and the version that introduced each.
struct MethodWord {
    std::string_view word;
    unsigned since;
};
constexpr std::array<MethodWord, 5> kMethods{
    {{"maildir", 3}, {"mbox", 3}, {"lmtp", 3}, {"mda", 3}, {"relay", 5}}};
// The fields of a recipient line in versions 1 to 5 (versions 4 and 5 added none).
constexpr std::array<std::size_t, 5> kRecipientFields = {3, 5, 13, 13, 13};
constexpr std::size_t kMaxRecipientFields = 13;

std::string_view method_name(QueuedRecipient::Method m) {
    auto const i = static_cast<std::size_t>(m);
    return i < kMethods.size() ? kMethods.at(i).word : std::string_view("?");
}

// A method word the file's version knows.
bool read_method(QueuedRecipient::Method& out, std::string const& value, unsigned version) {
    auto const it = std::find_if(kMethods.begin(), kMethods.end(),
                                 [&](MethodWord const& m) { return m.word == value; });
    if (it == kMethods.end() || it->since > version) {
        return false;
    }
    out = static_cast<QueuedRecipient::Method>(it - kMethods.begin());
    return true;
}

// A uid or gid: empty when unknown.
bool read_id(std::optional<std::uint32_t>& out, std::string const& value) {
    if (value.empty()) {
        out.reset();
        return true;
    }
    out = to_int<std::uint32_t>(value);
    return out.has_value();
}

std::string id_text(std::optional<std::uint32_t> id) {
    return id ? fmt::to_string(*id) : std::string();
}

// The version 3 fields of a recipient: <method> <action> <uid> <gid> <home> <junk> <rcpt-to>
// <dest>.
bool read_recipient_v3(QueuedRecipient& r, std::array<std::string, kMaxRecipientFields>& parts,
                       unsigned version) {
    r.action = std::move(parts[6]);
    r.home = std::move(parts[9]);
    r.dest = std::move(parts[12]);
    return read_method(r.method, parts[5], version) && read_id(r.uid, parts[7]) &&
           read_id(r.gid, parts[8]) && read_flag(r.junk, parts[10]) &&
           read_flag(r.rcpt_to, parts[11]);
}

// "rcpt <address> <user> <target>" in version 1, then " <notify> <orcpt>" from version 2 and
// the delivery fields from version 3: escaped fields, none of which can hold a space.
std::optional<QueuedRecipient> decode_recipient_at(std::string_view fields, unsigned version) {
    std::array<std::string, kMaxRecipientFields> parts;
    std::size_t const count = kRecipientFields.at(version - 1);
    for (std::size_t i = 0; i < count; ++i) {
        auto const sp = fields.find(' ');
        if ((sp == std::string_view::npos) != (i + 1 == count)) {
            return std::nullopt;
        }
        auto value = unescape(fields.substr(0, sp));
        if (!value) {
            return std::nullopt;
        }
        parts.at(i) = std::move(*value);
        fields.remove_prefix(sp == std::string_view::npos ? fields.size() : sp + 1);
    }
    QueuedRecipient r{std::move(parts[0]), std::move(parts[1]), std::move(parts[2])};
    if (count >= 5) {
        auto const notify = to_int<std::uint8_t>(parts[3]);
        if (!notify || (*notify & ~kQueuedNotifyMask) != 0) {
            return std::nullopt;
        }
        r.notify = *notify;
        r.orcpt = std::move(parts[4]);
    }
    if (count >= kMaxRecipientFields && !read_recipient_v3(r, parts, version)) {
        return std::nullopt;
    }
    return r;
}

// Splits "key value\n" off the front of `text`; none if the line has no LF or no space.
std::optional<std::pair<std::string_view, std::string_view>> next_line(std::string_view& text) {
    auto const nl = text.find('\n');
    if (nl == std::string_view::npos) {
        return std::nullopt; // every line ends with LF; a truncated file is no envelope
    }
    std::string_view const line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    auto const sp = line.find(' ');
    if (sp == std::string_view::npos) {
        return std::nullopt;
    }
    return std::pair{line.substr(0, sp), line.substr(sp + 1)};
}

} // namespace

std::string const& relay_address(QueuedRecipient const& recipient) {
    return recipient.dest.empty() ? recipient.address : recipient.dest;
}

std::string relay_domain(QueuedRecipient const& recipient) {
    std::string const& address = relay_address(recipient);
    auto const at = address.rfind('@');
    std::string domain = at == std::string::npos ? std::string() : address.substr(at + 1);
    if (!domain.starts_with('[')) {
        std::transform(domain.begin(), domain.end(), domain.begin(), [](unsigned char c) {
            return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        });
    }
    return domain;
}

std::string encode_recipient(QueuedRecipient const& r) {
    return fmt::format("{} {} {} {} {} {} {} {} {} {} {} {} {}", escape(r.address), escape(r.user),
                       escape(r.target), unsigned{r.notify}, escape(r.orcpt), method_name(r.method),
                       escape(r.action), id_text(r.uid), id_text(r.gid), escape(r.home),
                       r.junk ? 1 : 0, r.rcpt_to ? 1 : 0, escape(r.dest));
}

std::optional<QueuedRecipient> decode_recipient(std::string_view fields) {
    return decode_recipient_at(fields, kEnvelopeVersion);
}

std::string encode_envelope(QueuedEnvelope const& e) {
    std::string out = fmt::format("version {}\n", kEnvelopeVersion);
    out += fmt::format("id {}\n", escape(e.id));
    out += fmt::format("created {}\n", e.created);
    out += fmt::format("helo {}\n", escape(e.helo));
    out += fmt::format("client {}\n", escape(e.client_address));
    out += fmt::format("local {}\n", e.client_local ? 1 : 0);
    out += fmt::format("listener {}\n", escape(e.listener));
    out += fmt::format("sender {}\n", escape(e.sender));
    out += fmt::format("auth-user {}\n", escape(e.auth_user));
    out += fmt::format("tls {}\n", e.tls ? 1 : 0);
    out += fmt::format("body {}\n", escape(e.body));
    out += fmt::format("smtputf8 {}\n", e.smtputf8 ? 1 : 0);
    out += fmt::format("ret {}\n", escape(e.ret));
    out += fmt::format("envid {}\n", escape(e.envid));
    out += fmt::format("auth-param {}\n", escape(e.auth_param));
    out += fmt::format("size {}\n", e.declared_size ? fmt::to_string(*e.declared_size) : "");
    for (auto const& r : e.recipients) {
        out += "rcpt " + encode_recipient(r) + "\n";
    }
    out += fmt::format("attempts {}\n", e.attempts);
    out += fmt::format("last-try {}\n", e.last_try);
    out += fmt::format("last-warn {}\n", e.last_warn);
    out += fmt::format("error {}\n", escape(e.last_error));
    return out;
}

std::optional<QueuedEnvelope> decode_envelope(std::string_view text) {
    auto const head = next_line(text);
    if (!head || head->first != "version") {
        return std::nullopt;
    }
    auto const version = to_int<unsigned>(head->second);
    if (!version || *version < 1 || *version > kEnvelopeVersion) {
        return std::nullopt;
    }
    QueuedEnvelope e;
    std::array<bool, kFields.size()> seen{};
    while (!text.empty()) {
        auto const line = next_line(text);
        if (!line) {
            return std::nullopt;
        }
        std::string_view const key = line->first;
        if (key == "rcpt") {
            auto recipient = decode_recipient_at(line->second, *version);
            if (!recipient) {
                return std::nullopt;
            }
            e.recipients.push_back(std::move(*recipient));
            continue;
        }
        auto const field = std::find_if(kFields.begin(), kFields.end(),
                                        [&](Field const& f) { return f.key == key; });
        if (field == kFields.end() || field->since > *version) {
            return std::nullopt;
        }
        auto const slot = static_cast<std::size_t>(field - kFields.begin());
        auto value = unescape(line->second);
        if (seen.at(slot) || !value || !field->read(e, std::move(*value))) {
            return std::nullopt;
        }
        seen.at(slot) = true;
    }
    for (std::size_t i = 0; i < kFields.size(); ++i) {
        if (!seen.at(i) && kFields.at(i).since <= *version) {
            return std::nullopt;
        }
    }
    if (e.recipients.empty()) {
        return std::nullopt;
    }
    return e;
}

} // namespace smtpd::rt
