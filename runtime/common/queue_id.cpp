// Parsing and formatting of smtpctl's queue ids (common/queue_id.hpp).
#include "common/queue_id.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace smtpd::rt {

namespace {

bool all_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    return out;
}

} // namespace

std::optional<QueueTarget> parse_queue_target(std::string_view text) {
    if (text == "all") {
        return QueueTarget{QueueTarget::Kind::All, {}, 0};
    }
    if (!all_hex(text)) {
        return std::nullopt;
    }
    if (text.size() == kMsgidDigits) {
        return QueueTarget{QueueTarget::Kind::Message, lower(text), 0};
    }
    if (text.size() == kMsgidDigits + kRecipientDigits) {
        std::uint32_t recipient = 0;
        for (char const c : text.substr(kMsgidDigits)) {
            auto const digit = static_cast<std::uint32_t>(
                std::isdigit(static_cast<unsigned char>(c)) != 0
                    ? c - '0'
                    : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
            recipient = (recipient << 4U) | digit;
        }
        return QueueTarget{QueueTarget::Kind::Envelope, lower(text.substr(0, kMsgidDigits)),
                           recipient};
    }
    return std::nullopt;
}

std::string format_evpid(std::string_view msgid, std::uint32_t recipient) {
    return fmt::format("{}{:08x}", msgid, recipient);
}

std::string count_line(std::size_t count, std::string_view noun, std::string_view verb) {
    return fmt::format("{} {}{} {}", count, noun, count > 1 ? "s" : "", verb);
}

} // namespace smtpd::rt
