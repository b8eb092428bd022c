// The abstract syntax of smtpd.conf (OpenSMTPD's language, smtpd.conf(5) of 6.8), as produced by
// the Spirit X3 parser in conf.cpp. Only the subset implemented so far is represented; every other
// directive is a parse error with file:line:column, never ignored.
// Depends on: the standard library only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace smtpd::conf {

/// A position in a configuration file, 1-based, for error messages and diagnostics.
struct Location {
    std::string file;
    unsigned line = 0;
    unsigned column = 0;
    friend bool operator==(Location const&, Location const&) = default;
};

/// table <name> file:<path>   |   table <name> { v, v, ... }   |   table <name> { k = v, ... }
struct Table {
    enum class Source : unsigned char { File, Inline };
    std::string name;
    Source source = Source::Inline;
    std::string path;                                     ///< Source::File
    std::vector<std::string> list;                        ///< Source::Inline, list form
    std::vector<std::pair<std::string, std::string>> map; ///< Source::Inline, key = value form
    Location where;
};

/// listen on <address-or-interface> [port <n>]
struct Listen {
    std::string address; ///< as written: an IPv4/IPv6 address, "localhost", an interface
    std::optional<std::uint16_t> port; ///< default 25 when absent
    Location where;
};

/// action "<name>" maildir ["<path>"] [virtual <table>]
struct Action {
    enum class Method : unsigned char { Maildir };
    std::string name;
    Method method = Method::Maildir;
    std::optional<std::string> path;          ///< unexpanded: may hold ~ and %{...} formats
    std::optional<std::string> virtual_table; ///< the table name without angle brackets
    Location where;
};

/// The `from` criterion of a match rule.
struct MatchFrom {
    enum class Kind : unsigned char { Local, Any };
    Kind kind = Kind::Local;
};

/// The `for` criterion of a match rule: `for local`, `for any`, `for domain <d>|<table>`.
struct MatchFor {
    enum class Kind : unsigned char { Local, Any, Domain };
    Kind kind = Kind::Local;
    std::string domain;                      ///< Kind::Domain with a literal domain
    std::optional<std::string> domain_table; ///< Kind::Domain with <table>
};

/// match from ... for ... action "<name>"
struct Match {
    MatchFrom from;
    MatchFor for_;
    std::string action;
    Location where;
};

/// smtp limit max-rcpt <n> | max-mails <n>: the session limits (OpenSMTPD's defaults otherwise).
struct SmtpLimits {
    std::optional<std::size_t> max_rcpt;  ///< recipients per transaction (default 1000)
    std::optional<std::size_t> max_mails; ///< messages per session (default 100)
};

/// A whole configuration, in file order within each kind.
struct Config {
    std::map<std::string, std::string> macros; ///< after -D overrides
    std::vector<Table> tables;
    std::vector<Listen> listeners;
    std::vector<Action> actions;
    std::vector<Match> matches;
    SmtpLimits smtp_limits;
};

} // namespace smtpd::conf
