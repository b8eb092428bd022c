// The abstract syntax of smtpd.conf (OpenSMTPD's language, smtpd.conf(5) of 6.8/7.x), as made by
// the Spirit X3 parser in conf.cpp. Only the subset implemented so far is represented; every other
// directive is a parse error with file:line:column, never ignored.
// Depends on: the standard library only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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

/// pki <name> cert "<file>" | pki <name> key "<file>": one certificate and its private key. A pki
/// may be declared over several lines; the name is lowercased (as in OpenSMTPD).
struct Pki {
    std::string name;
    std::optional<std::string> cert_file; ///< PEM: the certificate, then its chain
    std::optional<std::string> key_file;  ///< PEM: the private key
    Location where;                       ///< its first declaration
};

/// ca <name> cert "<file>": certificates trusted to sign client certificates.
struct Ca {
    std::string name; ///< lowercased
    std::string cert_file;
    Location where;
};

/// listen on <address-or-interface> [options]: port, tls, tls-require [verify], smtps [verify],
/// pki <name> (repeatable), ca <name>, auth [<table>], auth-optional [<table>], hostname <name>,
/// no-dsn. The parser has checked every cross-reference: each pki exists and has a certificate
/// and a key, the ca exists, the auth table exists.
struct Listen {
    /// none | tls (STARTTLS offered) | tls-require (STARTTLS before MAIL) | smtps (implicit TLS)
    enum class TlsMode : unsigned char { None, Starttls, Required, Smtps };
    /// none | auth (AUTH before MAIL) | auth-optional (AUTH offered)
    enum class AuthMode : unsigned char { None, Required, Optional };

    static constexpr std::uint16_t kSmtpPort = 25;
    static constexpr std::uint16_t kSmtpsPort = 465;

    std::string address; ///< as written: an IPv4/IPv6 address, "localhost", an interface
    std::optional<std::uint16_t> port; ///< as written; see port_or_default()
    TlsMode tls = TlsMode::None;
    bool verify = false; ///< tls-require verify / smtps verify: a client certificate is required
    AuthMode auth = AuthMode::None;
    std::optional<std::string> auth_table; ///< credentials table; system passwords when absent
    std::vector<std::string> pkis;         ///< lowercased; the first is the default certificate
    std::optional<std::string> ca;         ///< lowercased
    std::optional<std::string> hostname;   ///< the name in the greeting; the host's when absent
    bool no_dsn = false;                   ///< do not offer DSN (RFC 3461)
    Location where;

    /// The port to bind: as written, else 465 for smtps and 25 otherwise (as in OpenSMTPD).
    [[nodiscard]] std::uint16_t port_or_default() const {
        return port.value_or(tls == TlsMode::Smtps ? kSmtpsPort : kSmtpPort);
    }
};

/// action "<name>" <method> [options], the local delivery methods of smtpd.conf(5):
///   maildir ["<path>"] [junk] | mbox | lmtp <destination> [rcpt-to] | mda "<command>" |
///   forward-only
/// then, in any order and each at most once: alias <table> | virtual <table> (not both),
/// userbase <table>, user <name> (not with mbox).
struct Action {
    enum class Method : unsigned char { Maildir, Mbox, Lmtp, Mda, ForwardOnly };
    std::string name;
    Method method = Method::Maildir;
    std::optional<std::string> path; ///< Maildir: unexpanded, may hold ~ and %{...} formats
    bool junk = false;               ///< Maildir: file spam into the Junk folder
    std::string destination; ///< Lmtp: "host:port", "[ipv6]:port" or "/unix/socket", as written
    bool rcpt_to = false;    ///< Lmtp: RCPT TO is the original recipient, not the user
    std::string command;     ///< Mda: unexpanded (expanded at delivery, shell-safe)
    std::optional<std::string> alias_table;    ///< aliases(5) keyed by user; no angle brackets
    std::optional<std::string> virtual_table;  ///< keyed by user@domain, user, @domain, @
    std::optional<std::string> userbase_table; ///< user -> "uid:gid:home"; getpwnam when absent
    std::optional<std::string> user;           ///< every delivery of this action runs as this user
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

/// smtp limit max-rcpt <n> | max-mails <n>, smtp max-message-size <size>: the session limits
/// (OpenSMTPD's defaults otherwise).
struct SmtpLimits {
    /// OpenSMTPD's default max-message-size: 35M.
    static constexpr std::uint64_t kDefaultMaxMessageSize = std::uint64_t{35} * 1024 * 1024;
    std::optional<std::size_t> max_rcpt;           ///< recipients per transaction (default 1000)
    std::optional<std::size_t> max_mails;          ///< messages per session (default 100)
    std::optional<std::uint64_t> max_message_size; ///< bytes (default kDefaultMaxMessageSize)
};

/// queue ttl and bounce warn-interval, with OpenSMTPD's defaults.
inline constexpr std::chrono::seconds kDefaultQueueTtl = std::chrono::hours(4 * 24);
inline constexpr std::chrono::seconds kDefaultBounceWarn = std::chrono::hours(4);
/// OpenSMTPD's MAX_BOUNCE_WARN.
inline constexpr std::size_t kMaxBounceWarnIntervals = 4;

/// A whole configuration, in file order within each kind.
struct Config {
    std::map<std::string, std::string> macros; ///< after -D overrides
    std::vector<Table> tables;
    std::vector<Pki> pkis;
    std::vector<Ca> cas;
    std::vector<Listen> listeners;
    std::vector<Action> actions;
    std::vector<Match> matches;
    SmtpLimits smtp_limits;
    /// queue ttl <duration>: how long a message may stay queued before it bounces.
    std::chrono::seconds queue_ttl = kDefaultQueueTtl;
    /// bounce warn-interval <duration>[, ...]: when delay notices are sent, counted from the
    /// message's arrival; at most kMaxBounceWarnIntervals, in the order written.
    std::vector<std::chrono::seconds> bounce_warn_intervals{kDefaultBounceWarn};

    /// The pki or ca of that (lowercased) name, or nullptr.
    [[nodiscard]] Pki const* find_pki(std::string_view name) const {
        for (auto const& p : pkis) {
            if (p.name == name) {
                return &p;
            }
        }
        return nullptr;
    }
    [[nodiscard]] Ca const* find_ca(std::string_view name) const {
        for (auto const& c : cas) {
            if (c.name == name) {
                return &c;
            }
        }
        return nullptr;
    }
};

} // namespace smtpd::conf
