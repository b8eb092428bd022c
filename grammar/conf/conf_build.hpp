// The semantic half of the smtpd.conf parser: turns each parsed statement (conf_def.hpp) into
// Config entries, checking what the grammar cannot: macro names, -D precedence, port ranges,
// duplicate tables and actions, references to undefined tables, actions, pkis and cas (which, as
// in OpenSMTPD, must be declared before use), table sources, sizes, the consistency of a
// listener's options (conf_listen.cpp) and of an action's (conf_action.cpp, conf_relay.cpp),
// durations, mta and srs (conf_mta.cpp), the queue, smtp, mda and scheduler globals
// (conf_globals.cpp).
// Invariant: a statement with any error adds nothing to the Config; every error has a token's
// line:column. Depends on: conf_def.hpp, conf.hpp, format.hpp.
#pragma once

#include "conf.hpp"
#include "conf_def.hpp"

#include <initializer_list>
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
    /// The file the next statements come from (an include's, then back): errors and locations
    /// name it.
    void set_file(std::string_view file) { file_ = file; }
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
    void operator()(rules::SmtpStmt const& s);
    void operator()(rules::PkiStmt const& s);
    void operator()(rules::CaStmt const& s);
    void operator()(rules::QueueStmt const& s);
    void operator()(rules::BounceStmt const& s);
    void operator()(rules::MtaStmt const& s);
    void operator()(rules::SrsStmt const& s);
    void operator()(rules::MdaStmt const& s);
    void operator()(rules::SchedulerStmt const& s);

  private:
    [[nodiscard]] Location where(Token const& t) const;
    [[nodiscard]] bool table_exists(Token const& name);
    bool table_source(Table& table, Token const& source);
    bool action_method(Action& action, rules::ActionMethod const& m);
    bool action_option(Action& action, rules::ActionOption const& o,
                       std::vector<std::string>& seen);
    bool local_option(Action& action, rules::ActionOption const& o);
    bool relay_option(Relay& relay, rules::ActionOption const& o);
    bool relay_value(Relay& relay, Token const& keyword, Token const& value);
    bool relay_table(Relay& relay, Token const& keyword, rules::OptionArg const& arg);
    bool relay_host(Relay& relay, Token const& keyword, rules::OptionArg const& arg);
    bool relay_consistent(Action const& action, rules::ActionStmt const& s);
    /// protocols <list> | ciphers <list>: a list libtls reads (conf_relay.cpp).
    bool tls_value_ok(Token const& keyword, Token const& value);
    /// Whether the table is declared and, when it is inline, a mapping (`mapping`) or a list.
    [[nodiscard]] bool table_usable(Token const& name, bool mapping, std::string_view use);
    /// The entries of an inline table fit `option` of a relay action (conf_relay.cpp).
    [[nodiscard]] bool relay_entries_usable(Token const& name, std::string_view option);
    void mta_limits(MtaLimits& limits, std::vector<rules::MtaLimitItem> const& items);
    // conf_globals.cpp: queue, smtp, mda and scheduler.
    void smtp_limits(std::vector<rules::LimitPair> const& limits);
    void max_message_size(Token const& size);
    void queue_encryption(Token const& option, boost::optional<Token> const& key);
    void sub_addr_delim(Token const& value);
    bool action_wrapper(Action& action, Token const& name);
    void process_limits(std::string_view kind, std::vector<rules::LimitPair> const& limits,
                        std::string_view key, std::initializer_list<std::string_view> later,
                        std::optional<std::size_t>& target);
    bool listen_option(Listen& listen, rules::ListenOption const& option,
                       std::vector<rules::ListenOption const*>& seen);
    bool listen_value(Listen& listen, Token const& option, Token const& value);
    bool listen_pki(Listen& listen, Token const& name);
    bool pki_dhe(Pki& pki, Token const& value);
    bool listen_consistent(Listen const& listen,
                           std::vector<rules::ListenOption const*> const& seen);
    [[nodiscard]] std::optional<std::string> tls_name(Token const& name, char const* what);
    std::optional<MatchTable> match_table(rules::MatchCriterion const& c, bool required,
                                          bool mapping_ok, std::string_view use, bool& ok);
    void match_from(Match& match, rules::MatchCriterion const& c, bool negated, bool& ok);
    void match_for(Match& match, rules::MatchCriterion const& c, bool negated, bool& ok);
    void check_pkis_complete();

    std::string file_;
    std::map<std::string, std::string, std::less<>> defines_;
    Config config_;
    std::vector<ConfError> errors_;
    Token const* first_ = nullptr;
    bool gave_up_ = false;
    bool bounce_set_ = false; ///< a bounce directive replaced the default warn-interval
};

/// `text` with ASCII letters lowercased (pki and ca names, domains).
[[nodiscard]] std::string lowercase(std::string_view text);

/// `text` in double quotes for a message, with control bytes escaped and long text cut short.
[[nodiscard]] std::string quote_for_message(std::string_view text);

} // namespace smtpd::conf
