// parse_alias_values and friends (see aliases.hpp). The forms are tried in OpenSMTPD's order:
// error:, :include:, |command, /file, user@domain, then a user name; the character sets of an
// address and a user name are expand.c's, so no value can smuggle a path into a user name.
// Depends on: aliases.hpp and the standard library.
#include "lookup/aliases.hpp"

#include <algorithm>
#include <charconv>

namespace smtpd::rt {

namespace {

bool is_alnum(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && lowercase_ascii(s.substr(0, prefix.size())) == prefix;
}

std::string_view trim(std::string_view s) {
    constexpr std::string_view kBlank = " \t\r\n";
    auto const first = s.find_first_not_of(kBlank);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(kBlank) - first + 1);
}

bool is_user_name(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return is_alnum(c) || c == '_' || c == '.' || c == '-' || c == '+';
    });
}

std::optional<AliasEntry> as_address(std::string_view s) {
    auto const at = s.find('@');
    if (s.size() < 3 || at == std::string_view::npos || at == 0 || at + 1 == s.size()) {
        return std::nullopt;
    }
    constexpr std::string_view kLocalExtra = "!#$%*/?|^{}`~&'+-=_.";
    std::string_view const local = s.substr(0, at);
    std::string_view const domain = s.substr(at + 1);
    bool const ok = std::all_of(local.begin(), local.end(),
                                [&](char c) {
                                    return is_alnum(c) || kLocalExtra.find(c) != kLocalExtra.npos;
                                }) &&
                    std::all_of(domain.begin(), domain.end(),
                                [](char c) { return is_alnum(c) || c == '-' || c == '.'; });
    if (!ok) {
        return std::nullopt;
    }
    return AliasEntry{AliasEntry::Kind::Address, std::string(local), std::string(domain)};
}

// "[45][0-9][0-9] text" after error: (alias_is_error).
bool is_error_text(std::string_view s) {
    return s.size() >= 5 && (s[0] == '4' || s[0] == '5') && s[1] >= '0' && s[1] <= '9' &&
           s[2] >= '0' && s[2] <= '9' && s[3] == ' ' && is_alnum(s[4]);
}

std::optional<AliasEntry> parse_one(std::string_view s) {
    using Kind = AliasEntry::Kind;
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
        s = s.substr(1, s.size() - 2);
    }
    for (std::string_view const prefix : {":error:", "error:"}) {
        if (starts_with_nocase(s, prefix)) {
            std::string_view const text = s.substr(prefix.size());
            return is_error_text(text) ? std::optional{AliasEntry{Kind::Error, std::string(text)}}
                                       : std::nullopt;
        }
    }
    for (std::string_view const prefix : {":include:", "include:"}) {
        if (starts_with_nocase(s, prefix)) {
            std::string_view const path = s.substr(prefix.size());
            return path.starts_with('/')
                       ? std::optional{AliasEntry{Kind::Include, std::string(path)}}
                       : std::nullopt;
        }
    }
    if (s.starts_with('|')) {
        return s.size() > 1 ? std::optional{AliasEntry{Kind::Command, std::string(s.substr(1))}}
                            : std::nullopt;
    }
    if (s.starts_with('/')) {
        return AliasEntry{Kind::File, std::string(s)};
    }
    if (auto address = as_address(s)) {
        return address;
    }
    bool const verbatim = s.starts_with('\\');
    if (verbatim) {
        s.remove_prefix(1);
    }
    if (!is_user_name(s)) {
        return std::nullopt;
    }
    return AliasEntry{Kind::User, std::string(s), {}, verbatim};
}

} // namespace

std::string lowercase_ascii(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

std::optional<std::vector<AliasEntry>> parse_alias_values(std::string_view text) {
    std::vector<AliasEntry> out;
    bool quoted = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text[i] == '"') {
            quoted = !quoted;
        }
        if (i < text.size() && (text[i] != ',' || quoted)) {
            continue;
        }
        std::string_view const value = trim(text.substr(start, i - start));
        start = i + 1;
        if (value.empty()) {
            continue;
        }
        auto entry = parse_one(value);
        if (!entry) {
            return std::nullopt;
        }
        out.push_back(std::move(*entry));
    }
    if (quoted) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::vector<AliasEntry>> parse_alias_lines(std::string_view text) {
    std::vector<AliasEntry> out;
    while (!text.empty()) {
        auto const nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        line = line.substr(0, line.find('#'));
        auto entries = parse_alias_values(line);
        if (!entries) {
            return std::nullopt;
        }
        out.insert(out.end(), entries->begin(), entries->end());
    }
    return out;
}

std::vector<std::string> alias_keys(std::string_view user) {
    std::string const full = lowercase_ascii(user);
    auto const plus = full.find('+');
    if (plus == std::string::npos) {
        return {full};
    }
    return {full, full.substr(0, plus)};
}

std::vector<std::string> virtual_keys(std::string_view user, std::string_view domain) {
    std::string const full = lowercase_ascii(user);
    std::string const dom = lowercase_ascii(domain);
    auto const plus = full.find('+');
    std::string const bare = full.substr(0, plus);
    std::vector<std::string> keys;
    if (!dom.empty()) {
        if (plus != std::string::npos) {
            keys.push_back(full + "@" + dom);
        }
        keys.push_back(bare + "@" + dom);
    }
    if (plus != std::string::npos) {
        keys.push_back(full);
    }
    keys.push_back(bare);
    if (!dom.empty()) {
        keys.push_back("@" + dom);
        keys.emplace_back("@");
    }
    return keys;
}

std::optional<UserInfo> parse_userbase_entry(std::string_view name, std::string_view value) {
    auto const c1 = value.find(':');
    auto const c2 = c1 == std::string_view::npos ? c1 : value.find(':', c1 + 1);
    if (c2 == std::string_view::npos || name.empty()) {
        return std::nullopt;
    }
    auto number = [](std::string_view s) -> std::optional<std::uint32_t> {
        std::uint32_t v = 0;
        auto const [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) {
            return std::nullopt;
        }
        return v;
    };
    auto const uid = number(value.substr(0, c1));
    auto const gid = number(value.substr(c1 + 1, c2 - c1 - 1));
    std::string_view const home = value.substr(c2 + 1);
    if (!uid || !gid || !home.starts_with('/')) {
        return std::nullopt;
    }
    return UserInfo{std::string(name), std::string(home), *uid, *gid};
}

} // namespace smtpd::rt
