// Parsing smtpd.conf into conf::Config, with every error as file:line:column: message.
// Depends on: ast.hpp and the standard library.
#pragma once

#include "ast.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::conf {

/// One configuration error.
struct ConfError {
    Location where;
    std::string message;
    /// "file:line:column: message", the form smtpd -n prints.
    [[nodiscard]] std::string to_string() const;
};

/// A configuration, or the errors that prevented it.
struct ConfResult {
    std::optional<Config> config;
    std::vector<ConfError> errors;
    [[nodiscard]] bool ok() const { return config.has_value(); }
};

/// A file's text, or (text empty) why it cannot be read.
struct FileText {
    std::optional<std::string> text;
    std::string error; ///< "cannot open file: No such file or directory", ...
};
/// How `include "file"` reads a file.
using FileReader = std::function<FileText(std::string const& path)>;

/// Reads a configuration or included file: a regular file only (a device or a FIFO could make
/// smtpd -n wait forever), at most 64 MiB.
[[nodiscard]] FileText read_config_file(std::string const& path);

/// Parses configuration text. `file` names it in error messages. `defines` are the -D name=value
/// macros, which take precedence over macros defined in the text (as in OpenSMTPD).
/// Semantic checks are included: a match naming an undefined action, a reference to an undefined
/// table, macro, pki or ca, a duplicate action, table or ca name, a port outside 1..65535, a pki
/// without its certificate or key, inconsistent listen options are errors.
/// `include "file"` reads through `reader`.
[[nodiscard]] ConfResult parse_config(std::string_view text, std::string_view file,
                                      std::map<std::string, std::string> const& defines = {},
                                      FileReader const& reader = read_config_file);

/// Reads and parses the file at `path`; an unreadable file is an error at path:0:0.
[[nodiscard]] ConfResult load_config(std::string const& path,
                                     std::map<std::string, std::string> const& defines = {});

} // namespace smtpd::conf
