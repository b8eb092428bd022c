// The values of the lookup tables an action names, as OpenSMTPD reads them: aliases(5) and
// virtual entries and ~/.forward lines (a comma-separated list of user names, addresses, /files,
// |commands, :include:/files and error:codes; expand.c's text_to_expandnode), the keys tried in an
// alias or virtual table (aliases.c), and userbase entries ("uid:gid:home", text_to_userinfo).
// Pure functions over strings; no I/O. Depends on: the standard library only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// A system account, from getpwnam(3) or a userbase table.
struct UserInfo {
    std::string name;
    std::string home;
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    friend bool operator==(UserInfo const&, UserInfo const&) = default;
};

/// One value of an alias, a virtual entry or a ~/.forward line.
struct AliasEntry {
    enum class Kind : unsigned char { User, Address, File, Command, Include, Error };
    Kind kind = Kind::User;
    std::string value;     ///< User: the name; Address: the local part; File, Include: the path;
                           ///< Command: the command without its '|'; Error: "5xx text"
    std::string domain{};  ///< Address only
    bool verbatim = false; ///< User written "\name": that user's mailbox, with no further expansion
    friend bool operator==(AliasEntry const&, AliasEntry const&) = default;
};

/// `s` with ASCII letters lowercased (keys and user names; other bytes are kept).
[[nodiscard]] std::string lowercase_ascii(std::string_view s);

/// Parses a comma-separated list of values. Blanks around a value are dropped; a value in double
/// quotes may hold commas and blanks. None if any value is of none of the forms.
[[nodiscard]] std::optional<std::vector<AliasEntry>> parse_alias_values(std::string_view text);

/// Parses a file of such lists, one per line (an :include: file or a ~/.forward): '#' starts a
/// comment, blank lines are ignored. None if any line is invalid.
[[nodiscard]] std::optional<std::vector<AliasEntry>> parse_alias_lines(std::string_view text);

/// The keys an alias table is searched for, in order (aliases_get): "user+tag", then "user";
/// lowercased.
[[nodiscard]] std::vector<std::string> alias_keys(std::string_view user);

/// The keys a virtual table is searched for, in order (aliases_virtual_get): "user+tag@domain",
/// "user@domain", "user+tag", "user", then "@domain" and "@" (not without a domain); lowercased.
[[nodiscard]] std::vector<std::string> virtual_keys(std::string_view user, std::string_view domain);

/// A userbase value "uid:gid:home" for user `name`; none if malformed (an id that is not a
/// decimal number of at most 32 bits, a home that is not absolute).
[[nodiscard]] std::optional<UserInfo> parse_userbase_entry(std::string_view name,
                                                           std::string_view value);

} // namespace smtpd::rt
