// The semantic checks of listen, pki and ca (see conf_build.hpp), after OpenSMTPD 6.8's parse.y:
// each listen option at most once (pki may be repeated, for SNI), one TLS mode among tls,
// tls-require and smtps, one of auth and auth-optional; tls, tls-require and smtps need a pki;
// pki, ca, auth, protocols and ciphers need one of them; a named pki must exist and have a
// certificate and a key; hostnames and senders name mapping tables; "masquerade" follows
// "senders". `listen on socket`, `filter` and `senders` are refused as not implemented yet.
// Pki and ca names are lowercased and must be host names (res_hnok) or "*".
// Depends on: conf_build.hpp, numbers.hpp, relay_url.hpp (is_host_name) and the standard library.
#include "conf_build.hpp"

#include "numbers.hpp"
#include "relay_url.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <netinet/in.h>
#include <string>
#include <string_view>

namespace smtpd::conf {

namespace {

constexpr std::size_t kTagSize = 33; // OpenSMTPD's SMTPD_TAG_SIZE (32 + 1)

/// A `listen on` word written as an IP address (only digits and dots, or a colon in it) that is
/// not one: neither an interface nor a host name can look so (RFC 1123 §2.1: a host name is
/// never of the dotted-decimal form), and OpenSMTPD refuses it ("invalid virtual ip").
bool malformed_address(std::string const& text) {
    bool const dotted = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.';
    });
    bool const colon = text.find(':') != std::string::npos;
    if (!dotted && !colon) {
        return false;
    }
    in6_addr storage{};
    return ::inet_pton(colon ? AF_INET6 : AF_INET, text.c_str(), &storage) != 1;
}

// The option groups whose members exclude each other: the TLS modes, the auth modes.
std::string_view option_group(std::string_view keyword) {
    if (keyword == "tls" || keyword == "tls-require" || keyword == "smtps") {
        return "TLS mode";
    }
    if (keyword == "auth" || keyword == "auth-optional") {
        return "authentication mode";
    }
    if (keyword == "inet4" || keyword == "inet6") {
        return "address family";
    }
    return keyword;
}

rules::ListenOption const* find_option(std::vector<rules::ListenOption const*> const& seen,
                                       std::string_view group) {
    auto const it = std::find_if(seen.begin(), seen.end(), [&](rules::ListenOption const* o) {
        return option_group(o->keyword.text) == group;
    });
    return it == seen.end() ? nullptr : *it;
}

constexpr char const* kNeedsTls = R"( requires "tls", "tls-require" or "smtps")";

} // namespace

std::optional<std::string> ConfigBuilder::tls_name(Token const& name, char const* what) {
    if (name.text != "*" && !is_host_name(name.text)) {
        error(name, std::string("invalid ") + what + " name " + quote_for_message(name.text) +
                        ": not a valid domain name");
        return std::nullopt;
    }
    return lowercase(name.text);
}

// pki: a pki may be declared by several statements; a statement with an error adds nothing.
// parse.y: "none", "auto" or "legacy", without case.
bool ConfigBuilder::pki_dhe(Pki& pki, Token const& value) {
    static constexpr std::array<std::pair<std::string_view, Pki::Dhe>, 3> kDhe{
        {{"none", Pki::Dhe::None}, {"auto", Pki::Dhe::Auto}, {"legacy", Pki::Dhe::Legacy}}};
    std::string const v = lowercase(value.text);
    for (auto const& [name, dhe] : kDhe) {
        if (v == name) {
            pki.dhe = dhe;
            return true;
        }
    }
    error(value, "invalid dhe value " + quote_for_message(value.text) +
                     R"(: expected "none", "auto" or "legacy")");
    return false;
}

void ConfigBuilder::operator()(rules::PkiStmt const& s) {
    auto const name = tls_name(s.name, "pki");
    if (!name) {
        return;
    }
    auto const existing = std::find_if(config_.pkis.begin(), config_.pkis.end(),
                                       [&](Pki const& p) { return p.name == *name; });
    Pki pki = existing != config_.pkis.end() ? *existing
                                             : Pki{*name, {}, {}, Pki::Dhe::None, where(*first_)};
    bool ok = true;
    for (auto const& param : s.params) {
        if (param.keyword.text == "dhe") {
            ok = pki_dhe(pki, param.file) && ok;
            continue;
        }
        bool const is_cert = param.keyword.text == "cert";
        auto& file = is_cert ? pki.cert_file : pki.key_file;
        if (file) {
            error(param.keyword, "\"" + param.keyword.text + "\" already specified for pki " +
                                     quote_for_message(*name));
            ok = false;
        } else if (param.file.text.empty()) {
            error(param.file, "empty file name");
            ok = false;
        } else {
            file = param.file.text;
        }
    }
    if (!ok) {
        return;
    }
    if (existing != config_.pkis.end()) {
        *existing = std::move(pki);
    } else {
        config_.pkis.push_back(std::move(pki));
    }
}

void ConfigBuilder::operator()(rules::CaStmt const& s) {
    auto const name = tls_name(s.name, "ca");
    if (!name) {
        return;
    }
    if (Ca const* previous = config_.find_ca(*name)) {
        error(s.name, "ca " + quote_for_message(*name) + " is already defined at line " +
                          std::to_string(previous->where.line));
        return;
    }
    if (s.file.text.empty()) {
        error(s.file, "empty file name");
        return;
    }
    config_.cas.push_back(Ca{*name, s.file.text, where(*first_)});
}

bool ConfigBuilder::listen_pki(Listen& listen, Token const& name) {
    std::string const lower = lowercase(name.text);
    if (std::find(listen.pkis.begin(), listen.pkis.end(), lower) != listen.pkis.end()) {
        error(name, "pki " + quote_for_message(lower) + " already specified for this listener");
        return false;
    }
    Pki const* pki = config_.find_pki(lower);
    if (pki == nullptr) {
        error(name, "undefined pki " + quote_for_message(lower) +
                        " (a pki must be declared before the listeners that use it)");
        return false;
    }
    // Its certificate and key may still come on later lines (OpenSMTPD loads the pki tree after
    // the whole file): check_pkis_complete reports a missing one at the pki's declaration.
    listen.pkis.push_back(lower);
    return true;
}

bool ConfigBuilder::listen_option(Listen& listen, rules::ListenOption const& option,
                                  std::vector<rules::ListenOption const*>& seen) {
    std::string const& keyword = option.keyword.text;
    if (keyword != "pki") {
        std::string_view const group = option_group(keyword);
        if (auto const* previous = find_option(seen, group)) {
            if (previous->keyword.text == keyword) {
                error(option.keyword, "\"" + keyword + "\" already specified for this listener");
            } else {
                error(option.keyword, "\"" + keyword + "\" conflicts with \"" +
                                          previous->keyword.text + "\": a listener has one " +
                                          std::string(group));
            }
            return false;
        }
    }
    rules::ListenOption const* previous = seen.empty() ? nullptr : seen.back();
    seen.push_back(&option);
    if (option.arg && keyword != "auth" && keyword != "auth-optional" && keyword != "tls-require" &&
        keyword != "smtps") {
        return listen_value(listen, option.keyword, *option.arg);
    }
    if (keyword == "masquerade") { // senders <table> masquerade
        if (previous == nullptr || previous->keyword.text != "senders") {
            error(option.keyword, R"("masquerade" must follow "senders <table>")");
            return false;
        }
        listen.masquerade = true;
    } else if (keyword == "inet4" || keyword == "inet6") {
        listen.family = keyword == "inet4" ? Listen::Family::Inet4 : Listen::Family::Inet6;
    } else if (keyword == "mask-src") {
        listen.mask_src = true;
    } else if (keyword == "received-auth") {
        listen.received_auth = true;
    } else if (keyword == "proxy-v2") {
        listen.proxy_v2 = true;
    } else if (keyword == "tls") {
        listen.tls = Listen::TlsMode::Starttls;
    } else if (keyword == "tls-require" || keyword == "smtps") {
        listen.tls = keyword == "smtps" ? Listen::TlsMode::Smtps : Listen::TlsMode::Required;
        listen.verify = option.arg.has_value(); // the "verify" keyword
    } else if (keyword == "auth" || keyword == "auth-optional") {
        listen.auth = keyword == "auth" ? Listen::AuthMode::Required : Listen::AuthMode::Optional;
        if (option.arg) {
            listen.auth_table = option.arg->text;
            return table_exists(*option.arg);
        }
    } else if (keyword == "no-dsn") {
        listen.no_dsn = true;
    }
    return true;
}

// The options with a value: port, pki, ca, hostname, hostnames, senders, protocols, ciphers,
// filter.
bool ConfigBuilder::listen_value(Listen& listen, Token const& option, Token const& value) {
    std::string const& keyword = option.text;
    if (keyword == "pki") {
        return listen_pki(listen, value);
    }
    if (keyword == "filter") { // the filter issue implements them
        error(option, "filters are not implemented yet");
        return false;
    }
    if (keyword == "senders") { // needs the MAIL FROM verdict of the session
        error(option, "\"senders\" is not implemented yet");
        return false;
    }
    if (keyword == "hostnames") {
        if (!table_usable(value, true, keyword)) {
            return false;
        }
        listen.hostnames_table = value.text;
        return true;
    }
    if (keyword == "protocols" || keyword == "ciphers") {
        if (!tls_value_ok(option, value)) {
            return false;
        }
        (keyword == "ciphers" ? listen.tls_ciphers : listen.tls_protocols) = value.text;
        return true;
    }
    if (keyword == "port") {
        listen.port = parse_port(value.text);
        if (!listen.port) {
            error(value, "invalid port " + quote_for_message(value.text) +
                             ": expected a number between 1 and 65535");
            return false;
        }
    } else if (keyword == "ca") {
        listen.ca = lowercase(value.text);
        if (config_.find_ca(*listen.ca) == nullptr) {
            error(value, "undefined ca " + quote_for_message(*listen.ca) +
                             " (a ca must be declared before the listeners that use it)");
            return false;
        }
    } else if (keyword == "tag") {
        // parse.y: a tag is shorter than SMTPD_TAG_SIZE (at most 32 characters).
        if (value.text.size() >= kTagSize) {
            error(value, "tag name too long");
            return false;
        }
        listen.tag = value.text;
    } else if (keyword == "hostname") {
        if (value.text.empty()) {
            error(value, "empty host name");
            return false;
        }
        listen.hostname = value.text;
    }
    return true;
}

// parse.y's create_if_listener: TLS needs a certificate; pki, ca and auth need TLS (OpenSMTPD
// never lets a password cross the network in the clear).
bool ConfigBuilder::listen_consistent(Listen const& listen,
                                      std::vector<rules::ListenOption const*> const& seen) {
    if (auto const* tls = find_option(seen, "TLS mode")) {
        if (listen.pkis.empty()) {
            error(tls->keyword, "\"" + tls->keyword.text +
                                    "\" requires a certificate: add \"pki <name>\" to this "
                                    "listener");
            return false;
        }
        return true;
    }
    for (std::string_view const needs :
         {"pki", "ca", "authentication mode", "protocols", "ciphers"}) {
        if (auto const* option = find_option(seen, needs)) {
            error(option->keyword, "\"" + option->keyword.text + "\"" + kNeedsTls);
            return false;
        }
    }
    return true;
}

void ConfigBuilder::operator()(rules::ListenStmt const& s) {
    Listen listen;
    listen.address = s.address.text;
    listen.where = where(*first_);
    bool ok = true;
    if (s.address.kind == Token::Kind::Word && s.address.text == "socket") {
        // The local socket (smtpd.conf(5): mail from sendmail(8)) belongs to the submission
        // issue; until then it is refused rather than ignored.
        error(s.address, "\"listen on socket\" is not implemented yet");
        ok = false;
    } else if (s.address.text.empty()) {
        error(s.address, "empty address or interface");
        ok = false;
    } else if (malformed_address(s.address.text)) {
        error(s.address, "invalid address " + quote_for_message(s.address.text) +
                             ": neither an IPv4 nor an IPv6 address");
        ok = false;
    }
    std::vector<rules::ListenOption const*> seen;
    for (auto const& option : s.options) {
        ok = listen_option(listen, option, seen) && ok;
    }
    if (ok && listen_consistent(listen, seen)) {
        config_.listeners.push_back(std::move(listen));
    }
}

// OpenSMTPD refuses to start with a pki that lacks its certificate or key, used or not.
void ConfigBuilder::check_pkis_complete() {
    for (auto const& pki : config_.pkis) {
        if (!pki.cert_file || !pki.key_file) {
            errors_.push_back(
                ConfError{pki.where, "pki " + quote_for_message(pki.name) + " has no " +
                                         (pki.cert_file ? "key" : "certificate") + " file"});
        }
    }
}

} // namespace smtpd::conf
