// The semantic checks of the options of `action <name> relay` (see conf_build.hpp), after
// OpenSMTPD 7.x's parse.y (dispatcher_remote_option): host or domain, not both; backup with
// neither; auth only after host or domain; srs only after an `srs key`; helo-src, domain and auth
// need a mapping table, host a URL or a list; pki and ca declared before use. Stricter than
// parse.y where a value would only fail at delivery: the URL (relay_url.hpp), helo, src,
// mail-from, protocols, ciphers and an inline table's entries are checked here, and tls is
// refused with smtp+notls:// or lmtp://, a URL label without an auth table. Depends on:
// conf_build.hpp, relay_url.hpp, tls_protocols.hpp.
#include "conf_build.hpp"

#include "relay_url.hpp"
#include "table_file.hpp"
#include "tls_protocols.hpp"

#include <algorithm>

namespace smtpd::conf {

namespace {

// The smtpd-tables(7) service a table option looks up (parse.y's table_check_use calls).
std::string_view service_of_use(std::string_view use) {
    if (use == "alias" || use == "virtual") {
        return "alias";
    }
    if (use == "userbase") {
        return "userinfo";
    }
    if (use == "host") {
        return "relayhost";
    }
    if (use == "auth") {
        return "credentials";
    }
    if (use == "helo-src") {
        return "addrname";
    }
    if (use == "src") {
        return "source";
    }
    return "domain"; // "domain": a match rule's list, or a relay's domain <table> (relayhost)
}

bool has_blank_or_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        auto const u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

// A mail-from value (OpenSMTPD's text_to_mailaddr): user@domain, @domain (the sender's user at
// that domain) or user (that user at the sender's domain); no blanks or brackets.
bool is_mail_from(std::string_view text) {
    auto const at = text.rfind('@');
    bool const shape = at == std::string_view::npos ? !text.empty() : at + 1 < text.size();
    return shape && !has_blank_or_control(text) &&
           text.find_first_of("<>") == std::string_view::npos;
}

/// The first entry of an inline table that `option` cannot use, as a sentence, or nullopt. A
/// file table's entries are checked where they are used (the lookup role drops source entries
/// that are not addresses, the MTA keeps the mail on a bad URL and ignores a bad HELO name).
std::optional<std::string> bad_entry(Table const& table, std::string_view option) {
    auto const address = [](std::string const& t) {
        return is_ipv4_address(t) || is_ipv6_address(t);
    };
    auto const bad = [&](std::string const& entry, std::string_view expected) {
        return "table " + quote_for_message(table.name) + " holds " + quote_for_message(entry) +
               ", not " + std::string(expected) + " (for \"" + std::string(option) + "\")";
    };
    for (std::string const& v : table.list) {
        if (option == "src" && !address(v)) {
            return bad(v, "an IPv4 or IPv6 address");
        }
        if (option == "host" && !parse_relay_url(v).url) {
            return bad(v, "a relay URL: " + parse_relay_url(v).error);
        }
    }
    for (auto const& [k, v] : table.map) {
        if ((option == "src" || option == "helo-src") && !address(k)) {
            return bad(k, "an IPv4 or IPv6 address");
        }
        if (option == "helo-src" && !is_helo_name(v)) {
            return bad(v, "a host name or an address literal");
        }
        if (option == "domain" && !parse_relay_url(v).url) {
            return bad(v, "a relay URL: " + parse_relay_url(v).error);
        }
    }
    return std::nullopt;
}

} // namespace

bool ConfigBuilder::relay_entries_usable(Token const& name, std::string_view option) {
    auto const table = std::find_if(config_.tables.begin(), config_.tables.end(),
                                    [&](Table const& t) { return t.name == name.text; });
    if (table == config_.tables.end() || table->source != Table::Source::Inline) {
        return true;
    }
    if (auto const sentence = bad_entry(*table, option)) {
        error(name, *sentence);
        return false;
    }
    return true;
}

bool ConfigBuilder::table_usable(Token const& name, bool mapping, std::string_view use) {
    if (!table_exists(name)) {
        return false;
    }
    auto const table = std::find_if(config_.tables.begin(), config_.tables.end(),
                                    [&](Table const& t) { return t.name == name.text; });
    // table.c table_check_service: the backend must serve the lookup's service.
    if (std::string_view const service = service_of_use(use);
        !backend_serves(table->source, service)) {
        error(name, "table " + quote_for_message(name.text) + " may not be used for " +
                        std::string(use) + " lookups: the " +
                        std::string(backend_name(table->source)) + " backend cannot serve " +
                        std::string(service) + " lookups");
        return false;
    }
    bool const inline_list = table->source == Table::Source::Inline && table->map.empty();
    bool const inline_map = table->source == Table::Source::Inline && !table->map.empty();
    if ((mapping && inline_list) || (!mapping && inline_map)) {
        error(name, "table " + quote_for_message(name.text) + " may not be used for " +
                        std::string(use) + " lookups: it is a " +
                        (inline_list ? "list, not a mapping" : "mapping, not a list"));
        return false;
    }
    return true;
}

// The options whose argument is a plain value: helo, pki, ca, ciphers, protocols, mail-from.
bool ConfigBuilder::relay_value(Relay& relay, Token const& keyword, Token const& value) {
    std::string const& k = keyword.text;
    std::string const& v = value.text;
    if (k == "pki" || k == "ca") {
        std::string const name = lowercase(v);
        bool const pki = k == "pki";
        if (pki ? config_.find_pki(name) == nullptr : config_.find_ca(name) == nullptr) {
            error(value, "undefined " + k + " " + quote_for_message(name) + " (a " + k +
                             " must be declared before the actions that use it)");
            return false;
        }
        (pki ? relay.pki : relay.ca) = name;
        return true;
    }
    if (k == "helo") {
        if (!is_helo_name(v)) {
            error(value, "invalid helo name " + quote_for_message(v) +
                             ": expected a host name or an address literal");
            return false;
        }
        relay.helo = v;
    } else if (k == "mail-from") {
        if (!is_mail_from(v)) {
            error(value, "invalid mail-from address " + quote_for_message(v) +
                             ": expected user@domain, @domain or user");
            return false;
        }
        relay.mail_from = v;
    } else if (!tls_value_ok(keyword, value)) {
        return false;
    } else {
        (k == "protocols" ? relay.protocols : relay.ciphers) = v;
    }
    return true;
}

// protocols <list> | ciphers <list>, of a relay action or a listener.
bool ConfigBuilder::tls_value_ok(Token const& keyword, Token const& value) {
    std::string const& v = value.text;
    if (keyword.text == "ciphers") {
        if (v.empty() || has_blank_or_control(v)) {
            error(value, "invalid TLS ciphers " + quote_for_message(v));
            return false;
        }
        return true;
    }
    auto const set = parse_tls_protocols(v);
    if (!set) {
        error(value, "invalid TLS protocols " + quote_for_message(v) +
                         ": expected names such as \"tlsv1.2,tlsv1.3\", \"secure\" or "
                         "\"all\"");
        return false;
    }
    if ((*set & kTlsProtocolsAll) == 0) {
        error(value, "TLS protocols " + quote_for_message(v) +
                         " leave neither TLS 1.2 nor TLS 1.3 (the versions supported)");
        return false;
    }
    return true;
}

// host <url> | host <table>: a smarthost, or a list of them.
bool ConfigBuilder::relay_host(Relay& relay, Token const& keyword, rules::OptionArg const& arg) {
    if (relay.backup) {
        error(keyword, R"("backup" and "host" cannot be used together)");
        return false;
    }
    if (arg.is_table) {
        if (!table_usable(arg.value, false, "host") || !relay_entries_usable(arg.value, "host")) {
            return false;
        }
        relay.host_table = arg.value.text;
        return true;
    }
    auto parsed = parse_relay_url(arg.value.text);
    if (!parsed.url) {
        error(arg.value,
              "invalid relay URL " + quote_for_message(arg.value.text) + ": " + parsed.error);
        return false;
    }
    auto const tls = parsed.url->tls();
    if (relay.tls_required && tls == RelayUrl::Tls::None) {
        error(arg.value, R"("tls" cannot be used with a relay URL without TLS)");
        return false;
    }
    relay.host = std::move(parsed.url);
    return true;
}

// The options that take a table (or, for src and host, one value).
bool ConfigBuilder::relay_table(Relay& relay, Token const& keyword, rules::OptionArg const& arg) {
    std::string const& k = keyword.text;
    bool const has_host = relay.host || relay.host_table || relay.domain_table;
    if ((k == "host" || k == "domain") && has_host) {
        error(keyword, R"("host" and "domain" cannot be used together)");
        return false;
    }
    if (k == "host") {
        return relay_host(relay, keyword, arg);
    }
    if (k == "src" && !arg.is_table) {
        if (!is_ipv4_address(arg.value.text) && !is_ipv6_address(arg.value.text)) {
            error(arg.value, "invalid source address " + quote_for_message(arg.value.text) +
                                 ": expected an IPv4 or IPv6 address or \"<table>\"");
            return false;
        }
        relay.src = TableOrValue{arg.value.text, false};
        return true;
    }
    if (!arg.is_table) {
        error(arg.value, "\"" + k + R"(" needs a table, written "<name>")");
        return false;
    }
    if (k == "src") {
        if (!table_exists(arg.value) || !relay_entries_usable(arg.value, "src")) {
            return false;
        }
        relay.src = TableOrValue{arg.value.text, true};
        return true;
    }
    if (k == "auth" && !has_host) {
        error(keyword, R"("auth" may only follow "host" or "domain")");
        return false;
    }
    if (k == "domain" && relay.backup) {
        error(keyword, R"("backup" and "domain" cannot be used together)");
        return false;
    }
    if (!table_usable(arg.value, true, k) || !relay_entries_usable(arg.value, k)) {
        return false;
    }
    (k == "auth"     ? relay.auth_table
     : k == "domain" ? relay.domain_table
                     : relay.helo_src_table) = arg.value.text;
    return true;
}

bool ConfigBuilder::relay_option(Relay& relay, rules::ActionOption const& o) {
    std::string const& k = o.keyword.text;
    if (k == "tls") {
        if (relay.host && relay.host->tls() == RelayUrl::Tls::None) {
            error(o.keyword, R"("tls" cannot be used with a relay URL without TLS)");
            return false;
        }
        relay.tls_required = true;
        relay.tls_verify = !o.arg.has_value();
        return true;
    }
    if (k == "backup") {
        if (relay.host || relay.host_table || relay.domain_table) {
            error(o.keyword, std::string(R"("backup" and ")") +
                                 (relay.domain_table ? "domain" : "host") +
                                 "\" cannot be used together");
            return false;
        }
        if (o.arg && !is_domain_name(o.arg->value.text)) {
            error(o.arg->value, "invalid backup mx name " + quote_for_message(o.arg->value.text) +
                                    ": not a valid host name");
            return false;
        }
        relay.backup = true;
        if (o.arg) {
            relay.backup_mx = o.arg->value.text;
        }
        return true;
    }
    if (k == "srs") {
        if (!config_.srs.key) {
            error(o.keyword, R"("srs" needs an "srs key" declared before the action)");
            return false;
        }
        relay.srs = true;
        return true;
    }
    if (k == "helo-src" || k == "src" || k == "host" || k == "domain" || k == "auth") {
        return relay_table(relay, o.keyword, *o.arg);
    }
    return relay_value(relay, o.keyword, o.arg->value);
}

// A label in the URL names credentials: without an auth table it could never be used.
bool ConfigBuilder::relay_consistent(Action const& action, rules::ActionStmt const& s) {
    Relay const& relay = action.relay;
    if (!relay.host || relay.host->label.empty() || relay.auth_table) {
        return true;
    }
    auto const host = std::find_if(s.options.begin(), s.options.end(),
                                   [](auto const& o) { return o.keyword.text == "host"; });
    error(host->arg->value, "the relay URL names the label " +
                                quote_for_message(relay.host->label) +
                                R"( but the action has no "auth <table>")");
    return false;
}

} // namespace smtpd::conf
