// The abstract syntax of smtpd.conf (OpenSMTPD's language, smtpd.conf(5) of 6.8/7.x), as made by
// the Spirit X3 parser in conf.cpp. Only the subset implemented so far is represented; every other
// directive is a parse error with file:line:column, never ignored.
// Depends on: relay_url.hpp and the standard library.
#pragma once

#include "relay_url.hpp"

#include <array>
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

/// table <name> file:<path> | <path> | db:<path> | getpwnam | proc:<name-or-path> |
/// table <name> { v, v, ... } | table <name> { k = v, ... }   (table(5))
struct Table {
    enum class Source : unsigned char { File, Inline, Db, Getpwnam, Proc };
    std::string name;
    Source source = Source::Inline;
    /// File, Db: the absolute path; Proc: the command (a path, or /usr/libexec/.../table-<name>)
    std::string path;
    std::vector<std::string> list;                        ///< Source::Inline, list form
    std::vector<std::pair<std::string, std::string>> map; ///< Source::Inline, key = value form
    Location where;
};

/// pki <name> cert "<file>" | pki <name> key "<file>" | pki <name> dhe none|auto|legacy: one
/// certificate, its private key and the DHE key exchange. A pki may be declared over several
/// lines; the name is lowercased (as in OpenSMTPD).
struct Pki {
    /// none: no DHE cipher suites (the default); auto: DH parameters sized to the certificate's
    /// key; legacy: a fixed 1024-bit group (refused where OpenSSL's security level forbids it).
    enum class Dhe : unsigned char { None, Auto, Legacy };
    std::string name;
    std::optional<std::string> cert_file; ///< PEM: the certificate, then its chain
    std::optional<std::string> key_file;  ///< PEM: the private key
    Dhe dhe = Dhe::None;
    Location where; ///< its first declaration
};

/// ca <name> cert "<file>": certificates trusted to sign client certificates.
struct Ca {
    std::string name; ///< lowercased
    std::string cert_file;
    Location where;
};

/// listen on <address-or-interface> [options]: port, tls, tls-require [verify], smtps [verify],
/// pki <name> (repeatable), ca <name>, auth [<table>], auth-optional [<table>], hostname <name>,
/// no-dsn, inet4|inet6, mask-src, received-auth, proxy-v2, hostnames <t>, senders <t>
/// [masquerade], protocols <s>, ciphers <s>. The parser has checked every cross-reference: each
/// pki exists and has a certificate and a key, the ca exists, each table exists.
struct Listen {
    /// none | tls (STARTTLS offered) | tls-require (STARTTLS before MAIL) | smtps (implicit TLS)
    enum class TlsMode : unsigned char { None, Starttls, Required, Smtps };
    /// none | auth (AUTH before MAIL) | auth-optional (AUTH offered)
    enum class AuthMode : unsigned char { None, Required, Optional };

    static constexpr std::uint16_t kSmtpPort = 25;
    static constexpr std::uint16_t kSmtpsPort = 465;

    /// as written: an IPv4/IPv6 address, an interface name, "egress" (the interfaces holding a
    /// default route), or a host name ("localhost"); resolved when the listeners are bound
    std::string address;
    std::optional<std::uint16_t> port; ///< as written; see port_or_default()
    TlsMode tls = TlsMode::None;
    bool verify = false; ///< tls-require verify / smtps verify: a client certificate is required
    AuthMode auth = AuthMode::None;
    std::optional<std::string> auth_table; ///< credentials table; system passwords when absent
    std::vector<std::string> pkis;         ///< lowercased; the first is the default certificate
    std::optional<std::string> ca;         ///< lowercased
    std::optional<std::string> hostname;   ///< the name in the greeting; the host's when absent
    bool no_dsn = false;                   ///< do not offer DSN (RFC 3461)
    /// inet4 | inet6: only the addresses of that family of an interface or host name
    enum class Family : unsigned char { Any, Inet4, Inet6 };
    Family family = Family::Any;
    bool mask_src = false;      ///< the Received: header omits the client's "from" clause
    bool received_auth = false; ///< the Received: header says auth=yes user=<name> | auth=no
    bool proxy_v2 = false;      ///< each connection opens with a PROXY protocol v2 header
    std::optional<std::string> hostnames_table; ///< addrname: local address -> greeting name
    std::optional<std::string> senders_table;   ///< mailaddrmap: user -> allowed MAIL FROM
    bool masquerade = false;                    ///< senders ... masquerade
    std::optional<std::string> tls_protocols;   ///< libtls protocol string ("tlsv1.2,tlsv1.3")
    std::optional<std::string> tls_ciphers;     ///< OpenSSL cipher list
    std::optional<std::string> tag;             ///< tag NAME: matched by `match tag`
    Location where;

    /// The port to bind: as written, else 465 for smtps and 25 otherwise (as in OpenSMTPD).
    [[nodiscard]] std::uint16_t port_or_default() const {
        return port.value_or(tls == TlsMode::Smtps ? kSmtpsPort : kSmtpPort);
    }
};

/// A table argument as parse.y's `tables`: a table declared earlier, or one literal value.
struct TableOrValue {
    std::string value;     ///< the table's name (without brackets) or the literal
    bool is_table = false; ///< written as <name>
    friend bool operator==(TableOrValue const&, TableOrValue const&) = default;
};

/// The options of `action "<name>" relay`, each at most once (smtpd.conf(5) of 7.x). The parser
/// has checked that every table, pki and ca is declared before use and of a usable kind, the
/// URL's syntax, and the exclusions of parse.y: host or domain, not both; backup with neither;
/// auth only after host or domain; srs only after an `srs key`; tls not with smtp+notls://.
struct Relay {
    std::optional<RelayUrl> host;              ///< host <url>: the smarthost
    std::optional<std::string> host_table;     ///< host <table>: a list of relay URLs
    std::optional<std::string> domain_table;   ///< domain <table>: destination domain -> URL
    std::optional<std::string> auth_table;     ///< auth <table>: label -> "user:password"
    bool tls_required = false;                 ///< tls [no-verify]: TLS towards MX hosts too
    bool tls_verify = false;                   ///< tls without no-verify
    std::optional<std::string> pki;            ///< pki <name> (lowercased): client certificate
    std::optional<std::string> ca;             ///< ca <name> (lowercased): trust anchors
    std::optional<std::string> protocols;      ///< protocols <str>, tls_config_parse_protocols(3)
    std::optional<std::string> ciphers;        ///< ciphers <str>, tls_config_set_ciphers(3)
    bool backup = false;                       ///< backup [mx <name>]
    std::optional<std::string> backup_mx;      ///< the MX name to count as ours; the host's if none
    std::optional<std::string> helo;           ///< helo <name>: EHLO/HELO name
    std::optional<std::string> helo_src_table; ///< helo-src <table>: source address -> name
    std::optional<TableOrValue> src;           ///< src <address>|<table>: bind addresses
    std::optional<std::string> mail_from;      ///< mail-from <address>: MAIL FROM override
    bool srs = false;                          ///< rewrite forwarded senders (SRS)
};

/// action "<name>" <method> [options], the delivery methods of smtpd.conf(5):
///   maildir ["<path>"] [junk] | mbox | lmtp <destination> [rcpt-to] | mda "<command>" |
///   forward-only | expand-only | relay
/// then, in any order and each at most once: for the local methods alias <table> | virtual
/// <table> (not both), userbase <table>, user <name> (not with mbox); for relay the options of
/// Relay; for every method ttl <duration>.
struct Action {
    /// ForwardOnly: every recipient must expand to addresses; ExpandOnly: to something an alias
    /// or ~/.forward names (an address, a file, a command), never to the user itself.
    enum class Method : unsigned char { Maildir, Mbox, Lmtp, Mda, ForwardOnly, ExpandOnly, Relay };
    std::string name;
    Method method = Method::Maildir;
    std::optional<std::string> path; ///< Maildir: unexpanded, may hold ~ and %{...} formats
    bool junk = false;               ///< Maildir: file spam into the Junk folder
    std::string destination; ///< Lmtp: "host:port", "[ipv6]:port" or "/unix/socket", as written
    bool rcpt_to = false;    ///< Lmtp: RCPT TO is the original recipient, not the user
    std::string command;     ///< Mda: unexpanded (expanded at delivery, shell-safe); with a
                             ///< wrapper, the wrapper's command with this one for its %{mda}
    std::optional<std::string> alias_table;    ///< aliases(5) keyed by user; no angle brackets
    std::optional<std::string> virtual_table;  ///< keyed by user@domain, user, @domain, @
    std::optional<std::string> userbase_table; ///< user -> "uid:gid:home"; getpwnam when absent
    std::optional<std::string> user;           ///< every delivery of this action runs as this user
    Relay relay;                               ///< Method::Relay
    std::optional<std::chrono::seconds> ttl;   ///< queue lifetime; the global queue ttl if none
    std::optional<std::string> wrapper;        ///< Mda: the name of the mda wrapper it runs under
    Location where;
};

/// The table argument of a match criterion (parse.y's `tables`): a table declared earlier
/// (`<name>`) or one literal value; with `regex`, its entries are extended regexes.
struct MatchTable {
    std::string value;     ///< the table's name (without brackets) or the literal
    bool is_table = false; ///< written as <name>
    bool regex = false;    ///< written `... regex <t>`
    friend bool operator==(MatchTable const&, MatchTable const&) = default;
};

/// The `from` criterion of a match rule: `from local|any|socket`, `from src <t>` (the client's
/// address, netaddr), `from rdns [<t>]` (its reverse DNS name: any, or one of the table's).
/// `from auth` and `from mail-from` are `from any` plus the `auth` or `mail-from` criterion, as in
/// parse.y.
struct MatchFrom {
    enum class Kind : unsigned char { Local, Any, Socket, Src, Rdns };
    Kind kind = Kind::Local;
    bool negated = false;
    std::optional<MatchTable> table; ///< Src (always), Rdns (when given)
};

/// The `for` criterion of a match rule: `for local`, `for any`, `for domain <d>|<table>` (with
/// `regex`, the table's entries are regexes). `for rcpt-to <t>` is `for any` plus `rcpt-to`.
struct MatchFor {
    enum class Kind : unsigned char { Local, Any, Domain };
    Kind kind = Kind::Local;
    std::string domain;                      ///< Kind::Domain with a literal domain
    std::optional<std::string> domain_table; ///< Kind::Domain with <table>
    bool regex = false;                      ///< Kind::Domain: `for domain regex ...`
    bool negated = false;
};

/// One session criterion of a match rule (`auth [<t>]`, `helo <t>`, `mail-from <t>`,
/// `rcpt-to <t>`, `tag <t>`, `tls`): present when written, negated with `!`.
struct MatchCriterion {
    bool negated = false;
    std::optional<MatchTable> table; ///< none for `tls` and a bare `auth`
};

/// match <criteria> action "<name>" | match <criteria> reject: every criterion written must hold
/// (each at most once); without `from`, `from local`; without `for`, `for local`.
struct Match {
    MatchFrom from;
    MatchFor for_;
    std::optional<MatchCriterion> auth;      ///< the session authenticated (as one of <t>)
    std::optional<MatchCriterion> helo;      ///< HELO/EHLO name, domain (or regex) table
    std::optional<MatchCriterion> mail_from; ///< MAIL FROM, mailaddr (or regex) table
    std::optional<MatchCriterion> rcpt_to;   ///< RCPT TO, mailaddr (or regex) table
    std::optional<MatchCriterion> tag;       ///< the listener's tag, string (or regex) table
    std::optional<MatchCriterion> tls;       ///< the session is under TLS
    bool reject = false;                     ///< `reject`: the recipient is refused
    std::string action;                      ///< empty when reject
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

/// The keys of `mta limit` (OpenSMTPD's limit.c, with its defaults): connections per host,
/// route, source, connector, relay and domain; delays in seconds before connecting to each; the
/// delay before reconnecting a route; messages per session, the delay between transactions and
/// the keep-alive of an idle session; failures that end a session; task water marks.
enum class MtaLimit : unsigned char {
    MaxConnPerHost,
    MaxConnPerRoute,
    MaxConnPerSource,
    MaxConnPerConnector,
    MaxConnPerRelay,
    MaxConnPerDomain,
    ConnDelayHost,
    ConnDelayRoute,
    ConnDelaySource,
    ConnDelayConnector,
    ConnDelayRelay,
    ConnDelayDomain,
    ReconnDelayRoute,
    SessionMailMax,
    SessionTransactionDelay,
    SessionKeepalive,
    MaxFailuresPerSession,
    TaskHiwat,
    TaskLowat,
    TaskRelease,
};
inline constexpr std::size_t kMtaLimitCount = 20;

/// The keywords of MtaLimit, in its order.
inline constexpr std::array<std::string_view, kMtaLimitCount> kMtaLimitNames{
    "max-conn-per-host",
    "max-conn-per-route",
    "max-conn-per-source",
    "max-conn-per-connector",
    "max-conn-per-relay",
    "max-conn-per-domain",
    "conn-delay-host",
    "conn-delay-route",
    "conn-delay-source",
    "conn-delay-connector",
    "conn-delay-relay",
    "conn-delay-domain",
    "reconn-delay-route",
    "session-mail-max",
    "session-transaction-delay",
    "session-keepalive",
    "max-failures-per-session",
    "task-hiwat",
    "task-lowat",
    "task-release"};

/// One set of `mta limit` values: the defaults, or those `for domain <name>`.
struct MtaLimits {
    /// inet4 | inet6: connect over that family only.
    enum class Family : unsigned char { Any, Inet4, Inet6 };
    std::array<std::int64_t, kMtaLimitCount> values{10, 5, 100, 20,  100, 100, 0,  5,  0,  0,
                                                    2,  0, 3,   100, 0,   10,  25, 50, 30, 10};
    Family family = Family::Any;
    [[nodiscard]] std::int64_t operator[](MtaLimit k) const {
        return values.at(static_cast<std::size_t>(k));
    }
};

/// mta max-deferred and mta limit. As in parse.y, `mta limit for domain <d>` starts from a copy
/// of the default limits as they are at its first mention.
struct MtaConfig {
    static constexpr std::size_t kDefaultMaxDeferred = 100;
    std::size_t max_deferred = kDefaultMaxDeferred; ///< envelopes kept per suspended host
    MtaLimits limits;                               ///< `mta limit` without a domain
    std::map<std::string, MtaLimits, std::less<>> domain_limits; ///< keyed by lowercased domain
};

/// srs key [backup] <secret>, srs ttl <duration> (whole days, as OpenSMTPD keeps it).
struct SrsConfig {
    static constexpr std::chrono::days kDefaultTtl{4};
    std::optional<std::string> key;        ///< signs new SRS addresses
    std::optional<std::string> backup_key; ///< also accepted when checking, for key rotation
    std::chrono::days ttl = kDefaultTtl;
};

/// queue ttl and bounce warn-interval, with OpenSMTPD's defaults.
inline constexpr std::chrono::seconds kDefaultQueueTtl = std::chrono::hours(4 * 24);
inline constexpr std::chrono::seconds kDefaultBounceWarn = std::chrono::hours(4);
/// OpenSMTPD's MAX_BOUNCE_WARN.
inline constexpr std::size_t kMaxBounceWarnIntervals = 4;

/// queue compression, queue encryption [key] (OpenSMTPD's queue_backend.c): message content
/// and envelopes are compressed (gzip), then encrypted (AES-256-GCM), in the queue.
struct QueueCoding {
    /// Where the encryption key comes from: the configuration, the standard input
    /// (`queue encryption -` or `stdin`) or the terminal (`queue encryption` alone, getpass(3)).
    enum class KeySource : unsigned char { Config, Stdin, Terminal };
    /// OpenSMTPD's KEY_SIZE: the key is 32 octets used as they are (not hex, not hashed).
    static constexpr std::size_t kKeySize = 32;
    bool compression = false;
    bool encryption = false;
    KeySource key_source = KeySource::Config;
    std::string key; ///< KeySource::Config: exactly kKeySize octets; else filled at start
    Location where;  ///< the encryption directive, for a key read at start
};

/// mda limit and scheduler limit: the keys parse.y accepts that have a meaning here.
struct ProcessLimits {
    std::optional<std::size_t> mda_max_session;        ///< local deliveries under way at once
    std::optional<std::size_t> scheduler_max_inflight; ///< deliveries the scheduler has out
};

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
    MtaConfig mta;
    SrsConfig srs;
    /// queue ttl <duration>: how long a message may stay queued before it bounces.
    std::chrono::seconds queue_ttl = kDefaultQueueTtl;
    QueueCoding queue;
    /// smtp sub-addr-delim <c>: a local part's sub-address starts at it (user+tag).
    char sub_addr_delim = '+';
    /// smtp ciphers <str>: the OpenSSL cipher list of every listener (SSL_CTX_set_cipher_list).
    std::optional<std::string> smtp_ciphers;
    /// mda wrapper <name> <command>: commands that run a local delivery's mda (%{mda}).
    std::map<std::string, std::string, std::less<>> mda_wrappers;
    ProcessLimits limits;
    /// bounce warn-interval <duration>[, ...]: when delay notices are sent, counted from the
    /// message's arrival; the first kMaxBounceWarnIntervals written (later ones are not used).
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
