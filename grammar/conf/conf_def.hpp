// The smtpd.conf statement grammar, Spirit X3 over the tokens of conf_lexer.hpp (one statement, its
// terminating newline included), after OpenSMTPD 6.8's parse.y; rule names follow parse.y's.
// Every expectation point names what it wanted, so an x3::expectation_failure gives the message
// and the token (hence file:line:column) of the error. Semantic checks live in conf.cpp.
// Declared and defined here; instantiated once, in conf.cpp.
// Depends on: conf_lexer.hpp, Boost.Spirit X3 and Boost.Fusion.
#pragma once

#include "conf_lexer.hpp"

#include <boost/fusion/include/adapt_struct.hpp>
#include <boost/optional.hpp>
#include <boost/spirit/home/x3.hpp>
#include <boost/spirit/home/x3/support/ast/variant.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::conf::rules {

namespace x3 = boost::spirit::x3;

using TokenIt = std::vector<Token>::const_iterator;

/// name = value
struct MacroDef {
    Token name;
    Token value;
};
/// One listen option: its keyword and, for those that take one, the argument (a value, a table
/// name, or the "verify" keyword).
struct ListenOption {
    Token keyword;
    boost::optional<Token> arg;
};
/// listen on <address> [options]
struct ListenStmt {
    Token address;
    std::vector<ListenOption> options;
};
/// cert <file> | key <file> | dhe <value> after "pki <name>"
struct PkiParam {
    Token keyword;
    Token file;
};
/// pki <name> (cert <file> | key <file>)+
struct PkiStmt {
    Token name;
    std::vector<PkiParam> params;
};
/// ca <name> cert <file>
struct CaStmt {
    Token name;
    Token file;
};
/// <name> <number> after "smtp limit"
struct LimitPair {
    Token name;
    Token number;
};
/// smtp limit <name> <number> [<name> <number> ...]  |  smtp max-message-size <size>
/// | smtp ciphers <str> | smtp sub-addr-delim <c>
struct SmtpStmt {
    Token option; ///< "limit", "max-message-size", "ciphers" or "sub-addr-delim"
    std::vector<LimitPair> limits;
    boost::optional<Token> size; ///< the argument of every option but "limit"
};
/// mda limit <name> <number> ... | mda wrapper <name> <command>
struct MdaStmt {
    Token option; ///< "limit" or "wrapper"
    std::vector<LimitPair> limits;
    boost::optional<Token> name;
    boost::optional<Token> command;
};
/// scheduler limit <name> <number> ...
struct SchedulerStmt {
    Token option; ///< "limit"
    std::vector<LimitPair> limits;
};
/// k = v inside a table's braces
struct KeyValue {
    Token key;
    Token value;
};
/// A source (file:/path, /path), a list, or a mapping.
using TableBody = x3::variant<Token, std::vector<Token>, std::vector<KeyValue>>;
/// table <name> <body>
struct TableStmt {
    Token name;
    TableBody body;
};
/// maildir [<path>] [junk] | mbox | lmtp <destination> [rcpt-to] | mda <command> | forward-only
/// | relay: the method's keyword, its argument and its flag (junk, rcpt-to), when it has them.
struct ActionMethod {
    Token keyword;
    boost::optional<Token> arg;
    boost::optional<Token> flag;
};
/// The argument of an option: a value, or a table name written <name>.
struct OptionArg {
    Token value;
    bool is_table = false;
};
/// alias <table> | virtual <table> | userbase <table> | user <name> | wrapper <name> |
/// ttl <duration> and the
/// relay options: helo, pki, ca, ciphers, protocols, mail-from <value>; helo-src, src, host,
/// domain, auth <value>|<table>; tls [no-verify] (the flag as the argument); backup [mx <name>];
/// srs.
struct ActionOption {
    Token keyword;
    boost::optional<OptionArg> arg;
};
/// action <name> <method> <option>*
struct ActionStmt {
    Token name;
    ActionMethod method;
    std::vector<ActionOption> options;
};
/// queue ttl <duration> | queue compression | queue encryption [<key>]
struct QueueStmt {
    Token option;
    boost::optional<Token> value;
};
/// bounce warn-interval <duration> [, <duration> ...]
struct BounceStmt {
    Token option;
    std::vector<Token> delays;
};
/// One match criterion after its optional '!': the keyword (from, for, auth, helo, mail-from,
/// rcpt-to, tag, tls), the kind after from/for (any, local, socket, auth, rdns, src, mail-from,
/// domain, rcpt-to), the regex flag and the table argument, as written.
struct MatchCriterion {
    Token keyword;
    boost::optional<Token> kind;
    boost::optional<Token> regex;
    boost::optional<OptionArg> arg;
};
/// [!] <criterion>
struct MatchOption {
    bool negated = false;
    MatchCriterion criterion;
};
/// action <name> | reject
struct MatchEnd {
    Token keyword;
    boost::optional<Token> action;
};
/// match <options> (action <name> | reject)
struct MatchStmt {
    std::vector<MatchOption> options;
    MatchEnd end;
};
/// inet4 | inet6 | <key> <number>, after "mta limit"
struct MtaLimitItem {
    Token name;
    boost::optional<Token> number;
};
/// mta max-deferred <number> | mta limit [for domain <name>] <item>*
struct MtaStmt {
    Token option; ///< "max-deferred" or "limit"
    boost::optional<Token> number;
    boost::optional<Token> domain;
    std::vector<MtaLimitItem> limits;
};
/// srs key [backup] <secret> | srs ttl <duration>
struct SrsStmt {
    Token option; ///< "key" or "ttl"
    bool backup = false;
    Token value;
};
using Statement =
    x3::variant<MacroDef, ListenStmt, TableStmt, ActionStmt, MatchStmt, SmtpStmt, PkiStmt, CaStmt,
                QueueStmt, BounceStmt, MtaStmt, SrsStmt, MdaStmt, SchedulerStmt>;

/// OpenSMTPD 7.x's keywords (6.8's and "protocols"): unquoted, they are never strings (parse.y
/// lookup()).
// clang-format off
inline constexpr auto kKeywords = std::to_array<std::string_view>({
    "action", "alias", "any", "auth", "auth-optional", "backup", "bounce", "bypass", "ca", "cert",
    "chain", "chroot", "ciphers", "commit", "compression", "connect", "data", "data-line", "dhe",
    "disconnect", "domain", "ehlo", "encryption", "expand-only", "fcrdns", "filter", "for",
    "forward-only", "from", "group", "helo", "helo-src", "host", "hostname", "hostnames",
    "include", "inet4", "inet6", "junk", "key", "limit", "listen", "lmtp", "local", "mail-from",
    "maildir", "mask-src", "masquerade", "match", "max-deferred", "max-message-size", "mbox",
    "mda", "mta", "mx", "no-dsn", "no-verify", "noop", "on", "phase", "pki", "port", "proc",
    "proc-exec", "protocols", "proxy-v2", "queue", "quit", "rcpt-to", "rdns", "received-auth", "recipient",
    "regex", "reject", "relay", "report", "rewrite", "rset", "scheduler", "senders", "smtp",
    "smtp-in", "smtp-out", "smtps", "socket", "src", "srs", "sub-addr-delim", "table", "tag",
    "tagged", "tls", "tls-require", "ttl", "user", "userbase", "verify", "virtual",
    "warn-interval", "wrapper"});
// clang-format on

inline bool is_keyword(std::string_view word) {
    return std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end();
}

/// A bare keyword; with Capture, its token is the attribute.
template <bool Capture> struct KeywordParser : x3::parser<KeywordParser<Capture>> {
    using attribute_type = std::conditional_t<Capture, Token, x3::unused_type>;
    static bool const has_attribute = Capture;
    std::array<std::string_view, 3> words{};

    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const&, RCtx&, Attr& attr) const {
        if (first == last || first->kind != Token::Kind::Word ||
            std::find(words.begin(), words.end(), first->text) == words.end()) {
            return false;
        }
        if constexpr (Capture) {
            x3::traits::move_to(Token(*first), attr);
        }
        ++first;
        return true;
    }
};

/// OpenSMTPD's STRING (a quoted string, or a bare word that is not a keyword), its NUMBER, or
/// either where parse.y takes both (a port, a size).
struct ValueParser : x3::parser<ValueParser> {
    enum class Accepts : unsigned char { String, Number, Either };
    using attribute_type = Token;
    static bool const has_attribute = true;
    std::string_view what; ///< for messages: "expected <what>"
    Accepts accepts = Accepts::String;

    [[nodiscard]] bool takes(Token const& t) const {
        bool const string =
            t.kind == Token::Kind::String || (t.kind == Token::Kind::Word && !is_keyword(t.text));
        bool const number = t.kind == Token::Kind::Number;
        return accepts == Accepts::String   ? string
               : accepts == Accepts::Number ? number
                                            : string || number;
    }

    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const&, RCtx&, Attr& attr) const {
        if (first == last || !takes(*first)) {
            return false;
        }
        x3::traits::move_to(Token(*first), attr);
        ++first;
        return true;
    }
};

/// One punctuation token such as '=' or '{'; or, with c == '\n', a newline; with c == 0, the end
/// of the statement (a newline or the end of the file).
struct PunctParser : x3::parser<PunctParser> {
    using attribute_type = x3::unused_type;
    static bool const has_attribute = false;
    char c = 0;

    template <class It, class Ctx, class RCtx, class Attr>
    bool parse(It& first, It const& last, Ctx const&, RCtx&, Attr&) const {
        if (first == last) {
            return false;
        }
        bool const ok = c == 0
                            ? first->kind == Token::Kind::Newline || first->kind == Token::Kind::End
                        : c == '\n' ? first->kind == Token::Kind::Newline
                                    : first->kind == Token::Kind::Punct && first->text[0] == c;
        if (ok) {
            ++first;
        }
        return ok;
    }
};

inline constexpr char const* kEndOfLine = "end of line";

constexpr KeywordParser<false> kw(std::string_view w) {
    return {{}, {w, {}, {}}};
}
constexpr KeywordParser<true> kwt(std::string_view a, std::string_view b = {},
                                  std::string_view c = {}) {
    return {{}, {a, b, c}};
}
constexpr ValueParser value(std::string_view what) {
    return {{}, what, ValueParser::Accepts::String};
}
/// parse.y's NUMBER.
constexpr ValueParser number(std::string_view what) {
    return {{}, what, ValueParser::Accepts::Number};
}
/// parse.y's STRING or NUMBER (PORT STRING | PORT NUMBER; size: NUMBER | STRING).
constexpr ValueParser value_or_number(std::string_view what) {
    return {{}, what, ValueParser::Accepts::Either};
}
constexpr PunctParser punct(char c) {
    return {{}, c};
}
inline constexpr PunctParser nl{{}, '\n'};
inline constexpr PunctParser eol{{}, 0};

} // namespace smtpd::conf::rules

BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::MacroDef, name, value)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::ListenOption, keyword, arg)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::ListenStmt, address, options)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::PkiParam, keyword, file)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::PkiStmt, name, params)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::CaStmt, name, file)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::LimitPair, name, number)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::SmtpStmt, option, limits, size)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::MdaStmt, option, limits, name, command)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::SchedulerStmt, option, limits)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::KeyValue, key, value)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::TableStmt, name, body)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::ActionMethod, keyword, arg, flag)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::OptionArg, value, is_table)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::ActionOption, keyword, arg)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::ActionStmt, name, method, options)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::QueueStmt, option, value)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::BounceStmt, option, delays)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::MatchCriterion, keyword, kind, regex, arg)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::MatchOption, negated, criterion)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::MatchEnd, keyword, action)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::MatchStmt, options, end)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::MtaLimitItem, name, number)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::MtaStmt, option, number, domain, limits)
BOOST_FUSION_ADAPT_STRUCT(smtpd::conf::rules::SrsStmt, option, backup, value)

namespace boost::spirit::x3 {
// What each primitive wanted, as it appears in "expected <what> after ...".
template <bool Capture> struct get_info<smtpd::conf::rules::KeywordParser<Capture>> {
    using result_type = std::string;
    std::string operator()(smtpd::conf::rules::KeywordParser<Capture> const& p) const {
        std::string out;
        for (auto w : p.words) {
            if (!w.empty()) {
                out.append(out.empty() ? "\"" : " or \"").append(w).append("\"");
            }
        }
        return out;
    }
};
template <> struct get_info<smtpd::conf::rules::ValueParser> {
    using result_type = std::string;
    std::string operator()(smtpd::conf::rules::ValueParser const& p) const {
        return std::string(p.what);
    }
};
template <> struct get_info<smtpd::conf::rules::PunctParser> {
    using result_type = std::string;
    std::string operator()(smtpd::conf::rules::PunctParser const& p) const {
        if (p.c == 0) {
            return smtpd::conf::rules::kEndOfLine;
        }
        std::string out(3, '"'); // GCC 12's -Wrestrict misfires on "\"" + std::string(...)
        out[1] = p.c;
        return out;
    }
};
} // namespace boost::spirit::x3

namespace smtpd::conf::rules {

using statement_type = x3::rule<class statement_class, Statement>;
BOOST_SPIRIT_DECLARE(statement_type)

// The rule names are the "<what>" of "expected <what> after ...".
x3::rule<class varset_class, MacroDef> const varset = "a macro definition";
x3::rule<class listen_option_class, ListenOption> const listen_option = "a listen option";
x3::rule<class listen_class, ListenStmt> const listen = "a listen directive";
x3::rule<class listen_target_class, Token> const listen_target = "an address or interface";
x3::rule<class pki_param_class, PkiParam> const pki_param = "\"cert\", \"key\" or \"dhe\"";
x3::rule<class pki_params_class, std::vector<PkiParam>> const pki_params =
    "\"cert\", \"key\" or \"dhe\"";
x3::rule<class pki_class, PkiStmt> const pki = "a pki directive";
x3::rule<class ca_class, CaStmt> const ca = "a ca directive";
x3::rule<class keyval_class, KeyValue> const keyval = "key = value";
x3::rule<class keyval_next_class, KeyValue> const keyval_next = "key = value";
x3::rule<class keyval_list_class, std::vector<KeyValue>> const keyval_list = "key = value";
x3::rule<class string_list_class, std::vector<Token>> const string_list = "a value";
x3::rule<class tableval_list_class, TableBody> const tableval_list = "a value";
x3::rule<class table_body_class, TableBody> const table_body = "\"{\" or a table source";
x3::rule<class table_class, TableStmt> const table = "a table directive";
x3::rule<class tableref_class, Token> const tableref = "a table reference \"<name>\"";
x3::rule<class action_method_class, ActionMethod> const action_method =
    R"(a delivery method ("maildir", "mbox", "lmtp", "mda", "forward-only", "expand-only" or "relay"))";
x3::rule<class table_arg_class, OptionArg> const table_arg = "a table reference \"<name>\"";
x3::rule<class value_arg_class, OptionArg> const value_arg = "a value";
x3::rule<class user_arg_class, OptionArg> const user_arg = "a user name";
x3::rule<class duration_arg_class, OptionArg> const duration_arg = "a duration";
x3::rule<class value_or_table_class, OptionArg> const value_or_table =
    "a value or a table reference \"<name>\"";
x3::rule<class no_verify_class, OptionArg> const no_verify = "\"no-verify\"";
x3::rule<class backup_mx_class, OptionArg> const backup_mx = "\"mx\"";
x3::rule<class mx_name_class, OptionArg> const mx_name = "an MX name";
x3::rule<class action_option_class, ActionOption> const action_option = "an action option";
x3::rule<class action_class, ActionStmt> const action = "an action directive";
x3::rule<class queue_option_class, QueueStmt> const queue_option =
    "\"compression\", \"encryption\" or \"ttl\"";
x3::rule<class queue_class, QueueStmt> const queue = "a queue directive";
x3::rule<class delay_list_class, std::vector<Token>> const delay_list = "a duration";
x3::rule<class bounce_class, BounceStmt> const bounce = "a bounce directive";
x3::rule<class from_kind_class, Token> const from_kind =
    R"("any", "local", "socket", "auth", "rdns", "src" or "mail-from")";
x3::rule<class for_kind_class, Token> const for_kind = R"("any", "local", "domain" or "rcpt-to")";
x3::rule<class match_tables_class, OptionArg> const match_tables =
    "a value or a table reference \"<name>\"";
x3::rule<class match_criterion_class, MatchCriterion> const match_criterion = "a match option";
x3::rule<class match_option_class, MatchOption> const match_option = "a match option";
x3::rule<class match_end_class, MatchEnd> const match_end =
    "a match option, \"action\" or \"reject\"";
x3::rule<class close_brace_class> const close_brace = "\",\" or \"}\"";
x3::rule<class match_class, MatchStmt> const match = "a match directive";
x3::rule<class limit_pair_class, LimitPair> const limit_pair = "a session limit";
x3::rule<class limit_list_class, std::vector<LimitPair>> const limit_list = "a session limit";
x3::rule<class smtp_option_class, SmtpStmt> const smtp_option =
    "\"limit\", \"max-message-size\", \"ciphers\" or \"sub-addr-delim\"";
x3::rule<class named_limit_class, LimitPair> const named_limit = "a limit";
x3::rule<class named_limits_class, std::vector<LimitPair>> const named_limits = "a limit";
x3::rule<class mda_option_class, MdaStmt> const mda_option = "\"limit\" or \"wrapper\"";
x3::rule<class mda_class, MdaStmt> const mda = "an mda directive";
x3::rule<class scheduler_class, SchedulerStmt> const scheduler = "a scheduler directive";
x3::rule<class smtp_class, SmtpStmt> const smtp = "an smtp directive";
x3::rule<class mta_limit_item_class, MtaLimitItem> const mta_limit_item = "an mta limit";
x3::rule<class mta_option_class, MtaStmt> const mta_option = "\"max-deferred\" or \"limit\"";
x3::rule<class mta_class, MtaStmt> const mta = "an mta directive";
x3::rule<class srs_option_class, SrsStmt> const srs_option = "\"key\" or \"ttl\"";
x3::rule<class srs_class, SrsStmt> const srs = "an srs directive";
statement_type const statement = "a directive";

auto const optnl = *nl;
// parse.y: comma = ',' | nl | empty (we also allow newlines after the ',')
auto const comma = (punct(',') >> optnl) | +nl;

// varset: STRING '=' STRING
auto const varset_def = (value("a macro name") >> punct('=')) > value("a macro value") > eol;
// opt_if_listen: PORT STRING | PKI STRING | CA STRING | HOSTNAME STRING | TAG STRING | TLS | NO_DSN
//   | TLS_REQUIRE [VERIFY] | SMTPS [VERIFY] | AUTH [tableref] | AUTH_OPTIONAL [tableref]
//   | INET4 | INET6 | MASK_SRC | RECEIVEDAUTH | PROXY_V2 | HOSTNAMES tableref
//   | SENDERS tableref [MASQUERADE] | PROTOCOLS STRING | CIPHERS STRING | FILTER STRING
// ("masquerade" is read as an option of its own; the builder checks that it follows "senders").
auto const listen_option_def =
    (kwt("port") > value_or_number("a port number")) | (kwt("pki") > value("a pki name")) |
    (kwt("ca") > value("a ca name")) | (kwt("hostname") > value("a host name")) |
    (kwt("protocols") > value("a protocol list")) | (kwt("ciphers") > value("a cipher list")) |
    (kwt("filter") > value("a filter name")) | (kwt("hostnames", "senders") > tableref) |
    (kwt("tag") > value("a tag name")) |
    (kwt("tls", "no-dsn") >> x3::attr(boost::optional<Token>())) |
    (kwt("inet4", "inet6") >> x3::attr(boost::optional<Token>())) |
    (kwt("mask-src", "received-auth", "proxy-v2") >> x3::attr(boost::optional<Token>())) |
    (kwt("masquerade") >> x3::attr(boost::optional<Token>())) |
    (kwt("tls-require", "smtps") >> -kwt("verify")) | (kwt("auth", "auth-optional") >> -tableref);
// listen: LISTEN ON STRING opt_if_listen* | LISTEN ON SOCKET ...
auto const listen_target_def = kwt("socket") | value("an address or interface");
auto const listen_def = kw("listen") > kw("on") > listen_target > *listen_option > eol;
// pki: PKI STRING pki_params; pki_params_opt: CERT STRING | KEY STRING | DHE STRING
auto const pki_param_def = (kwt("cert", "key") > value("a file name")) |
                           (kwt("dhe") > value(R"("none", "auto" or "legacy")"));
auto const pki_params_def = +pki_param;
auto const pki_def = kw("pki") > value("a pki name") > pki_params > eol;
// ca: CA STRING CERT STRING
auto const ca_def = kw("ca") > value("a ca name") > kw("cert") > value("a file name") > eol;
// keyval: STRING '=' STRING
auto const keyval_def = (value("a key") >> punct('=')) > value("a value");
auto const keyval_next_def = value("a key") > punct('=') > value("a value");
auto const keyval_list_def = keyval >> *(-comma >> keyval_next);
auto const string_list_def = value("a value") >> *(-comma >> value("a value"));
auto const tableval_list_def = keyval_list | string_list;
auto const close_brace_def = punct('}');
auto const table_body_def =
    (punct('{') > optnl > tableval_list > optnl > close_brace) | value("a table source");
// table: TABLE STRING STRING | TABLE STRING '{' tableval_list '}'
auto const table_def = kw("table") > value("a table name") > table_body > eol;
// tableref: '<' STRING '>'
auto const tableref_def = punct('<') > value("a table name") > punct('>');
// dispatcher_local_type: MBOX | MAILDIR [STRING] [JUNK] | LMTP STRING [RCPT_TO] | MDA STRING
//   | FORWARD_ONLY | EXPAND_ONLY;  dispatcher_remote: RELAY
auto const no_token = x3::attr(boost::optional<Token>());
auto const action_method_def = (kwt("maildir") >> -value("a path") >> -kwt("junk")) |
                               (kwt("mbox", "forward-only", "relay") >> no_token >> no_token) |
                               (kwt("expand-only") >> no_token >> no_token) |
                               ((kwt("lmtp") > value("an LMTP destination")) >> -kwt("rcpt-to")) |
                               ((kwt("mda") > value("a command")) >> no_token);
// tables: tablenew | tableref, of which we take STRING (a one-value table) and '<' STRING '>'.
auto const table_arg_def = tableref >> x3::attr(true);
auto const value_arg_def = value("a value") >> x3::attr(false);
auto const user_arg_def = value("a user name") >> x3::attr(false);
auto const duration_arg_def = value("a duration") >> x3::attr(false);
auto const value_or_table_def = table_arg | value_arg;
auto const no_verify_def = kwt("no-verify") >> x3::attr(false);
auto const mx_name_def = value("an MX name") >> x3::attr(false);
auto const backup_mx_def = kw("mx") > mx_name;
auto const no_arg = x3::attr(boost::optional<OptionArg>());
// dispatcher_local_option: ALIAS tables | VIRTUAL tables | USERBASE tables | USER STRING
// dispatcher_remote_option: HELO STRING | HELO_SRC tables | PKI STRING | CA STRING
//   | CIPHERS STRING | PROTOCOLS STRING | SRC tables | MAIL_FROM STRING | BACKUP [MX STRING]
//   | HOST tables | DOMAIN tables | TLS [NO_VERIFY] | AUTH tables | SRS
// dispatcher_option: TTL STRING
auto const action_option_def =
    (kwt("alias", "virtual", "userbase") > table_arg) | (kwt("user") > user_arg) |
    (kwt("wrapper") > value_arg) | (kwt("ttl") > duration_arg) |
    (kwt("helo", "pki", "ca") > value_arg) |
    (kwt("ciphers", "protocols", "mail-from") > value_arg) |
    (kwt("helo-src", "src", "host") > value_or_table) | (kwt("domain", "auth") > value_or_table) |
    (kwt("tls") >> -no_verify) | (kwt("backup") >> -backup_mx) | (kwt("srs") >> no_arg);
// dispatcher: ACTION STRING dispatcher_local_type dispatcher_local_option*
auto const action_def = kw("action") > value("an action name") > action_method > *action_option
                        > eol;
// queue: QUEUE COMPRESSION | QUEUE ENCRYPTION [STRING] | QUEUE TTL STRING
auto const queue_option_def = (kwt("ttl") > value("a duration")) |
                              (kwt("compression") >> no_token) |
                              (kwt("encryption") >> -value("a key"));
auto const queue_def = kw("queue") > queue_option > eol;
// bounce: BOUNCE WARN_INTERVAL bouncedelays; bouncedelays: bouncedelay (',' bouncedelay)*
auto const delay_list_def = value("a duration") >> *(punct(',') > value("a duration"));
auto const bounce_def = kw("bounce") > kwt("warn-interval") > delay_list > eol;
// match_option: negation (FROM|FOR) <kind> [REGEX] [tables] | negation (AUTH|HELO|MAIL_FROM|
// RCPT_TO|TAG) [REGEX] [tables] | negation TLS. Which kinds take (or need) a table, and each
// criterion at most once, is checked in conf_match.cpp.
auto const from_kind_def =
    kwt("any", "local", "socket") | kwt("auth", "rdns", "src") | kwt("mail-from");
auto const for_kind_def = kwt("any", "local", "domain") | kwt("rcpt-to");
auto const match_tables_def = table_arg | value_arg;
auto const match_criterion_def =
    ((kwt("from") > from_kind) >> -kwt("regex") >> -match_tables) |
    ((kwt("for") > for_kind) >> -kwt("regex") >> -match_tables) |
    (kwt("auth", "helo", "mail-from") >> no_token >> -kwt("regex") >> -match_tables) |
    (kwt("rcpt-to", "tag") >> no_token >> -kwt("regex") >> -match_tables) |
    (kwt("tls") >> no_token >> no_token >> x3::attr(boost::optional<OptionArg>()));
auto const negation = (punct('!') >> x3::attr(true)) | x3::attr(false);
auto const match_option_def = negation >> match_criterion;
// action: REJECT | ACTION match_dispatcher
auto const match_end_def = (kwt("reject") >> no_token) | (kwt("action") > value("an action name"));
// match: MATCH match_options action
auto const match_def = kw("match") > *match_option > match_end > eol;
// limits_smtp: (STRING NUMBER)+
auto const limit_pair_def = value("\"max-rcpt\" or \"max-mails\"") > number("a number");
auto const limit_list_def = +limit_pair;
// smtp: SMTP LIMIT limits_smtp | SMTP MAX_MESSAGE_SIZE size
//   | SMTP CIPHERS STRING | SMTP SUB_ADDR_DELIM STRING
auto const smtp_option_def =
    ((kwt("limit") > limit_list) >> x3::attr(boost::optional<Token>())) |
    (kwt("max-message-size") >> x3::attr(std::vector<LimitPair>()) > value_or_number("a size")) |
    (kwt("ciphers") >> x3::attr(std::vector<LimitPair>()) > value("a cipher list")) |
    (kwt("sub-addr-delim") >> x3::attr(std::vector<LimitPair>()) > value("a character"));
auto const smtp_def = kw("smtp") > smtp_option > eol;
// limits_mda, limits_scheduler: (STRING NUMBER)*
auto const named_limit_def = value("a limit name") > number("a number");
auto const named_limits_def = *named_limit;
// mda: MDA LIMIT limits_mda | MDA WRAPPER STRING STRING
auto const mda_option_def = ((kwt("limit") > named_limits) >> no_token >> no_token) |
                            (kwt("wrapper") >> x3::attr(std::vector<LimitPair>()) >
                             value("a wrapper name") > value("a command"));
auto const mda_def = kw("mda") > mda_option > eol;
// scheduler: SCHEDULER LIMIT limits_scheduler
auto const scheduler_def = kw("scheduler") > kwt("limit") > named_limits > eol;
// opt_limit_mta: INET4 | INET6 | STRING NUMBER
auto const mta_limit_item_def =
    (kwt("inet4", "inet6") >> no_token) | (value("an mta limit") > number("a number"));
// mta: MTA MAX_DEFERRED NUMBER | MTA LIMIT FOR DOMAIN STRING limits_mta | MTA LIMIT limits_mta
auto const mta_option_def = ((kwt("max-deferred") > number("a number")) >> no_token >>
                             x3::attr(std::vector<MtaLimitItem>())) |
                            (kwt("limit") >> no_token >>
                             -(kw("for") > kw("domain") > value("a domain")) >> *mta_limit_item);
auto const mta_def = kw("mta") > mta_option > eol;
// srs: SRS KEY STRING | SRS KEY BACKUP STRING | SRS TTL STRING
auto const srs_option_def =
    ((kwt("key") >> ((kw("backup") >> x3::attr(true)) | x3::attr(false))) > value("a secret")) |
    ((kwt("ttl") >> x3::attr(false)) > value("a duration"));
auto const srs_def = kw("srs") > srs_option > eol;
auto const statement_def = varset | listen | pki | ca | table | action | match | smtp | queue |
                           bounce | mta | srs | mda | scheduler;

BOOST_SPIRIT_DEFINE(varset, listen_option, listen_target, listen, pki_param, pki_params, pki, ca,
                    keyval, keyval_next, keyval_list, string_list, tableval_list, close_brace,
                    table_body, table, tableref, action_method, table_arg, value_arg, user_arg,
                    duration_arg, value_or_table, no_verify, backup_mx, mx_name, action_option,
                    action, queue_option, queue, delay_list, bounce, from_kind, for_kind,
                    match_tables, match_criterion, match_option, match_end, match, limit_pair,
                    limit_list, smtp_option, smtp, named_limit, named_limits, mda_option, mda,
                    scheduler, mta_limit_item, mta_option, mta, srs_option, srs, statement)

} // namespace smtpd::conf::rules
