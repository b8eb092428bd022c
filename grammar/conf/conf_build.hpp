// The semantic half of the smtpd.conf parser: turns each parsed statement (conf_def.hpp) into
// Config entries, checking what the grammar cannot: macro names, -D precedence, port ranges,
// duplicate tables and actions, references to undefined tables and actions (which, as in
// OpenSMTPD, must be declared before use), table sources, maildir path formats.
// Invariant: a statement with any error adds nothing to the Config; every error has a token's
// line:column. Depends on: conf_def.hpp, conf.hpp, format.hpp.
#pragma once

#include "conf.hpp"
#include "conf_def.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::conf {

/// Accumulates a Config and its errors, one statement at a time, in file order.
class ConfigBuilder {
  public:
    ConfigBuilder(std::string_view file, std::map<std::string, std::string> const& defines);

    /// Applies one statement; `first` is its first token (the statement's location).
    void apply(rules::Statement const& statement, Token const& first);
    /// Records an error at a token.
    void error(Token const& at, std::string message);
    /// How many errors so far.
    [[nodiscard]] std::size_t error_count() const { return errors_.size(); }
    /// Ends the report with "too many errors" at the position of the last error.
    void give_up();
    /// The value of a macro visible now, for the lexer.
    [[nodiscard]] std::optional<std::string> macro(std::string_view name) const;
    /// The result: the Config if there was no error.
    [[nodiscard]] ConfResult finish() &&;

    void operator()(rules::MacroDef const& s);
    void operator()(rules::ListenStmt const& s);
    void operator()(rules::TableStmt const& s);
    void operator()(rules::ActionStmt const& s);
    void operator()(rules::MatchStmt const& s);
    void operator()(rules::SmtpLimitStmt const& s);

  private:
    [[nodiscard]] Location where(Token const& t) const;
    [[nodiscard]] bool table_exists(Token const& name);
    bool table_source(Table& table, Token const& source);

    std::string file_;
    std::map<std::string, std::string, std::less<>> defines_;
    Config config_;
    std::vector<ConfError> errors_;
    Token const* first_ = nullptr;
};

/// `text` in double quotes for a message, with control bytes escaped and long text cut short.
[[nodiscard]] std::string quote_for_message(std::string_view text);

} // namespace smtpd::conf
