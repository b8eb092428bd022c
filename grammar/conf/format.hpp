// Expansion of the format specifiers of smtpd.conf(5) ("FORMAT SPECIFIERS"): %{name},
// %{name:modifier}, %{name[from:to]} slices, and a leading "~" meaning the user's home. Values
// come from a caller-supplied lookup, so this stays pure. An expanded value that could escape the
// intended place (a '/' or a leading '.') is refused: the result is an error, never a path that
// an address chose (the CVE-2020-7247 class).
// Depends on: the standard library only.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace smtpd::conf {

/// Why a format could not be expanded.
struct FormatError {
    std::size_t offset = 0; ///< into the format string
    std::string message;
};

/// Returns the value of a variable such as "user.username" or "rcpt.domain", or nullopt when the
/// variable is unknown.
using FormatLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// Expands `format`. Known variables (smtpd.conf(5)): sender, sender.user, sender.domain, rcpt,
/// rcpt.user, rcpt.domain, dest, dest.user, dest.domain, user.username, user.directory.
/// Modifiers: lowercase, uppercase, strip (drops a "+tag" from a user part). Slices: [n], [n:m],
/// [:m], [n:] with negative indices counting from the end, as in OpenSMTPD.
[[nodiscard]] std::variant<std::string, FormatError> expand_format(std::string_view format,
                                                                   FormatLookup const& lookup);

/// Quotes one expanded value as a single shell word (runtime/deliver/mda.hpp's shell_quote).
using FormatQuote = std::function<std::string(std::string_view value)>;

/// Expands an `mda` command: as expand_format, but each inserted value (after its modifiers,
/// OpenSMTPD's escaping and slicing) goes through `quote` instead of the path refusals, so no
/// byte of an address reaches the shell unquoted (the CVE-2020-7247 class). Control bytes are
/// still refused.
[[nodiscard]] std::variant<std::string, FormatError>
expand_command(std::string_view format, FormatLookup const& lookup, FormatQuote const& quote);

/// Checks the syntax of `format` without values (variables, modifiers, slices, braces, "~"), as
/// the configuration parser does for a maildir path. Returns the first error, if any.
[[nodiscard]] std::optional<FormatError> check_format(std::string_view format);

} // namespace smtpd::conf
