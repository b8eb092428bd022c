// Envelope encoding and its strict decoder. See envelope.hpp for the format.
#include "spool/envelope.hpp"

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

// "rcpt <address> <user> <maildir>": three escaped fields, none of which can hold a space.
std::optional<QueuedRecipient> decode_recipient(std::string_view fields) {
    std::array<std::string, 3> parts;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto const sp = fields.find(' ');
        if ((sp == std::string_view::npos) != (i + 1 == parts.size())) {
            return std::nullopt;
        }
        auto value = unescape(fields.substr(0, sp));
        if (!value) {
            return std::nullopt;
        }
        parts[i] = std::move(*value);
        fields.remove_prefix(sp == std::string_view::npos ? fields.size() : sp + 1);
    }
    return QueuedRecipient{std::move(parts[0]), std::move(parts[1]), std::move(parts[2])};
}

} // namespace

std::string encode_envelope(QueuedEnvelope const& e) {
    std::string out = fmt::format("version {}\n", kEnvelopeVersion);
    out += fmt::format("id {}\n", escape(e.id));
    out += fmt::format("created {}\n", e.created);
    out += fmt::format("helo {}\n", escape(e.helo));
    out += fmt::format("client {}\n", escape(e.client_address));
    out += fmt::format("local {}\n", e.client_local ? 1 : 0);
    out += fmt::format("sender {}\n", escape(e.sender));
    for (auto const& r : e.recipients) {
        out += fmt::format("rcpt {} {} {}\n", escape(r.address), escape(r.user), escape(r.maildir));
    }
    out += fmt::format("attempts {}\n", e.attempts);
    out += fmt::format("error {}\n", escape(e.last_error));
    return out;
}

std::optional<QueuedEnvelope> decode_envelope(std::string_view text) {
    QueuedEnvelope e;
    std::array<bool, 9> seen{};
    constexpr std::array<std::string_view, 9> kSingle{
        "version", "id", "created", "helo", "client", "local", "sender", "attempts", "error"};
    bool first = true;
    while (!text.empty()) {
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
        std::string_view const key = line.substr(0, sp);
        if (first != (key == "version")) {
            return std::nullopt;
        }
        first = false;
        if (key == "rcpt") {
            auto recipient = decode_recipient(line.substr(sp + 1));
            if (!recipient) {
                return std::nullopt;
            }
            e.recipients.push_back(std::move(*recipient));
            continue;
        }
        auto value = unescape(line.substr(sp + 1));
        if (!value) {
            return std::nullopt;
        }
        std::size_t slot = 0;
        while (slot < kSingle.size() && kSingle[slot] != key) {
            ++slot;
        }
        if (slot == kSingle.size() || seen[slot]) {
            return std::nullopt;
        }
        seen[slot] = true;
        if (key == "version") {
            if (to_int<unsigned>(*value) != kEnvelopeVersion) {
                return std::nullopt;
            }
        } else if (key == "id") {
            e.id = std::move(*value);
        } else if (key == "created") {
            auto v = to_int<std::int64_t>(*value);
            if (!v) {
                return std::nullopt;
            }
            e.created = *v;
        } else if (key == "helo") {
            e.helo = std::move(*value);
        } else if (key == "client") {
            e.client_address = std::move(*value);
        } else if (key == "local") {
            if (*value != "0" && *value != "1") {
                return std::nullopt;
            }
            e.client_local = *value == "1";
        } else if (key == "sender") {
            e.sender = std::move(*value);
        } else if (key == "attempts") {
            auto v = to_int<unsigned>(*value);
            if (!v) {
                return std::nullopt;
            }
            e.attempts = *v;
        } else {
            e.last_error = std::move(*value);
        }
    }
    for (bool s : seen) {
        if (!s) {
            return std::nullopt;
        }
    }
    if (e.recipients.empty()) {
        return std::nullopt;
    }
    return e;
}

} // namespace smtpd::rt
