// Recipient resolution over the match rules, in file order, first match wins (smtpd.conf(5)).
// Virtual tables are searched for "user@domain", "user", "@domain" then "@", as OpenSMTPD does;
// without one, the user part (lowercased, without a "+tag") must be a system account.
// RFC 5321 §4.5.1: "Postmaster" must be accepted: without a mapping it goes to root.
#include "lookup/resolver.hpp"

#include "common/fs.hpp"
#include "conf/format.hpp"

#include <algorithm>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace smtpd::rt {

namespace {

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return lowercase(a) == lowercase(b);
}

std::string without_tag(std::string_view user) {
    return std::string(user.substr(0, user.find('+')));
}

std::optional<std::string> table_get(conf::TableData const& table, std::string_view key) {
    for (auto const& [k, v] : table.map) {
        if (iequals(k, key)) {
            return v;
        }
    }
    return std::nullopt;
}

bool table_contains(conf::TableData const& table, std::string_view key) {
    return std::any_of(table.list.begin(), table.list.end(),
                       [&](std::string const& v) { return iequals(v, key); }) ||
           table_get(table, key).has_value();
}

} // namespace

std::optional<UserInfo> find_user(std::string const& name) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* result = nullptr;
    if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr) {
        return std::nullopt;
    }
    return UserInfo{pw.pw_name, pw.pw_dir};
}

std::optional<Resolver> Resolver::create(conf::Config config, std::string hostname,
                                         std::string& error) {
    Resolver r(std::move(config), std::move(hostname));
    for (auto const& t : r.config_.tables) {
        if (t.source == conf::Table::Source::Inline) {
            r.tables_.emplace(t.name, conf::TableData{t.list, t.map});
            continue;
        }
        auto text = read_file(t.path);
        if (!text) {
            error = t.where.file + ":" + std::to_string(t.where.line) + ":" +
                    std::to_string(t.where.column) + ": cannot read table file " + t.path + ": " +
                    text.error().message();
            return std::nullopt;
        }
        auto parsed = conf::parse_table_file(text.value(), t.path);
        if (!parsed.table) {
            error = parsed.error ? parsed.error->to_string() : t.path + ": invalid table";
            return std::nullopt;
        }
        r.tables_.emplace(t.name, std::move(*parsed.table));
    }
    return r;
}

bool Resolver::is_local_domain(std::string_view domain) const {
    return iequals(domain, "localhost") || iequals(domain, hostname_) ||
           iequals(domain, "[127.0.0.1]") || iequals(domain, "[IPv6:::1]");
}

conf::Match const* Resolver::find_match(std::string_view domain, bool client_local) const {
    for (auto const& m : config_.matches) {
        if (m.from.kind == conf::MatchFrom::Kind::Local && !client_local) {
            continue;
        }
        bool matched = false;
        switch (m.for_.kind) {
        case conf::MatchFor::Kind::Any:
            matched = true;
            break;
        case conf::MatchFor::Kind::Local:
            matched = is_local_domain(domain);
            break;
        case conf::MatchFor::Kind::Domain:
            if (m.for_.domain_table) {
                auto const t = tables_.find(*m.for_.domain_table);
                matched = t != tables_.end() && table_contains(t->second, domain);
            } else {
                matched = iequals(m.for_.domain, domain);
            }
            break;
        }
        if (matched) {
            return &m;
        }
    }
    return nullptr;
}

std::optional<std::string> Resolver::virtual_user(std::string const& table,
                                                  std::string_view local_part,
                                                  std::string_view domain) const {
    auto const t = tables_.find(table);
    if (t == tables_.end()) {
        return std::nullopt;
    }
    std::string const user = lowercase(without_tag(local_part));
    std::string const dom = lowercase(domain);
    for (std::string const& key : {user + "@" + dom, user, "@" + dom, std::string("@")}) {
        if (auto v = table_get(t->second, key)) {
            return v;
        }
    }
    return std::nullopt;
}

Resolution Resolver::resolve(std::string_view local_part, std::string_view domain,
                             bool client_local) const {
    using Kind = sm::RcptVerdict::Kind;
    conf::Match const* match = find_match(domain, client_local);
    if (match == nullptr) {
        return {Kind::RelayDenied, std::nullopt, "no match rule"};
    }
    auto const action =
        std::find_if(config_.actions.begin(), config_.actions.end(),
                     [&](conf::Action const& a) { return a.name == match->action; });
    if (action == config_.actions.end()) {
        return {Kind::TempFail, std::nullopt, "action not found"};
    }
    std::string username;
    if (std::optional<std::string> const& table = action->virtual_table; table.has_value()) {
        auto v = virtual_user(*table, local_part, domain);
        if (!v) {
            return {Kind::UnknownUser, std::nullopt, "no virtual mapping"};
        }
        username = *v;
    } else {
        username = lowercase(without_tag(local_part));
    }
    auto user = find_user(username);
    if (!user && iequals(username, "postmaster")) {
        user = find_user("root");
    }
    if (!user) {
        return {Kind::UnknownUser, std::nullopt, "no such user: " + username};
    }
    std::string const address = std::string(local_part) + "@" + std::string(domain);
    auto lookup = [&](std::string_view name) -> std::optional<std::string> {
        if (name == "user.username") {
            return user->name;
        }
        if (name == "user.directory") {
            return user->home;
        }
        if (name == "rcpt" || name == "dest") {
            return address;
        }
        if (name == "rcpt.user" || name == "dest.user") {
            return std::string(local_part);
        }
        if (name == "rcpt.domain" || name == "dest.domain") {
            return std::string(domain);
        }
        return std::nullopt;
    };
    auto path = conf::expand_format(action->path.value_or("~/Maildir"), lookup);
    if (auto const* err = std::get_if<conf::FormatError>(&path)) {
        return {Kind::TempFail, std::nullopt, "cannot expand maildir path: " + err->message};
    }
    return {Kind::Accepted, Destination{action->name, user->name, std::get<std::string>(path)},
            "accepted"};
}

} // namespace smtpd::rt
