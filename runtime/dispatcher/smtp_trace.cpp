// The smtp trace's masking and escaping (smtp_trace.hpp).
#include "dispatcher/smtp_trace.hpp"

#include <fmt/format.h>

namespace smtpd::rt {

namespace {

bool needs_escape(unsigned char c) {
    return c < 0x20 || c == 0x7F || c == '\\';
}

// "AUTH" followed by a space, in any case (RFC 5321 §2.4: verbs are case-insensitive).
bool is_auth_command(std::string_view line) {
    constexpr std::string_view kVerb = "AUTH ";
    if (line.size() < kVerb.size()) {
        return false;
    }
    for (std::size_t i = 0; i < kVerb.size(); ++i) {
        auto const c = static_cast<unsigned char>(line[i]);
        auto const upper = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : line[i];
        if (upper != kVerb[i]) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string trace_visible(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char const c : text) {
        auto const u = static_cast<unsigned char>(c);
        if (needs_escape(u)) {
            out += fmt::format("\\x{:02X}", unsigned{u});
        } else {
            out += c;
        }
    }
    return out;
}

std::string traced_command(std::string_view line, bool in_auth_exchange) {
    if (in_auth_exchange) {
        return std::string(kTraceMask);
    }
    if (!is_auth_command(line)) {
        return trace_visible(line);
    }
    // "AUTH <mechanism> [initial-response]": keep the mechanism, mask anything after it.
    std::string_view rest = line.substr(5);
    auto const sp = rest.find(' ');
    if (sp == std::string_view::npos) {
        return trace_visible(line);
    }
    return trace_visible(line.substr(0, 5 + sp)) + " " + std::string(kTraceMask);
}

} // namespace smtpd::rt
