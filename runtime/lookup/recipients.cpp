// Recipient resolution: the match rules (rules.hpp, first match wins), Postmaster whatever they
// say (RFC 5321 §4.5.1), and the loading of the tables (table/); what a recipient expands to is
// expansion.cpp's work, what an SRS recipient stands for srs_reverse.cpp's. Depends on:
// recipients.hpp, expansion.hpp, srs_reverse.hpp, rules.hpp, table/.
#include "lookup/recipients.hpp"

#include "common/log.hpp"
#include "lookup/expansion.hpp"
#include "lookup/srs_reverse.hpp"

#include <fmt/format.h>

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

} // namespace

std::optional<UserInfo> find_user(std::string const& name) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* result = nullptr;
    if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr) {
        return std::nullopt;
    }
    return UserInfo{pw.pw_name, pw.pw_dir, pw.pw_uid, pw.pw_gid};
}

Result<Recipients> Recipients::create(conf::Config config, std::string hostname, RecipientsIo io) {
    Recipients r(std::move(config), std::move(hostname), std::move(io));
    for (auto const& t : r.config_.tables) {
        auto opened = table::open_table(t);
        if (!opened) {
            return failure(opened.error().code,
                           fmt::format("{}:{}:{}: table <{}>: {}", t.where.file, t.where.line,
                                       t.where.column, t.name, opened.error().what()));
        }
        r.tables_.emplace(t.name, std::move(opened).value());
    }
    return r;
}

bool Recipients::is_local_domain(std::string_view domain) const {
    return iequals(domain, "localhost") || iequals(domain, hostname_) ||
           iequals(domain, "[127.0.0.1]") || iequals(domain, "[IPv6:::1]");
}

RuleContext Recipients::rule_context() const {
    return RuleContext{[this](std::string_view name) { return table(name); },
                       [this](std::string_view domain) { return is_local_domain(domain); }};
}

conf::Match const* Recipients::find_match(std::string_view local, std::string_view domain,
                                          SessionFacts const& session) const {
    conf::Match const* m = first_match(config_.matches, local, domain, session, rule_context());
    if (m != nullptr) {
        log_trace(Trace::Rules, "rules: domain {} (client {}) matched {}:{} {} for <{}@{}>", domain,
                  session.client_local ? "local" : "remote", m->where.file, m->where.line,
                  m->reject ? std::string("reject") : "action \"" + m->action + "\"", local,
                  domain);
        return m;
    }
    log_trace(Trace::Rules, "rules: domain {} (client {}) matched no rule for <{}@{}>", domain,
              session.client_local ? "local" : "remote", local, domain);
    return nullptr;
}

conf::Action const* Recipients::action_named(std::string const& name) const {
    auto const action = std::find_if(config_.actions.begin(), config_.actions.end(),
                                     [&](conf::Action const& a) { return a.name == name; });
    return action == config_.actions.end() ? nullptr : &*action;
}

conf::Action const* Recipients::find_action(std::string_view domain, bool client_local) const {
    SessionFacts session;
    session.client_local = client_local;
    conf::Match const* match = find_match("", domain, session);
    return match == nullptr || match->reject ? nullptr : action_named(match->action);
}

// RFC 5321 §4.5.1 and §2.4: postmaster, in any case, at a domain this host delivers for: the
// host's own names, and every domain of a `for domain` rule whose action delivers locally. It
// goes through the first local action of a rule for that domain, else of a `for local` rule.
conf::Action const* Recipients::postmaster_action(std::string_view domain) const {
    RuleContext const ctx = rule_context();
    bool const own = is_local_domain(domain);
    for (int pass = 0; pass < 2; ++pass) {
        for (auto const& m : config_.matches) {
            conf::Action const* a = m.reject ? nullptr : action_named(m.action);
            if (a == nullptr || a->method == conf::Action::Method::Relay || m.for_.negated) {
                continue;
            }
            bool const fits = pass == 0 ? m.for_.kind == conf::MatchFor::Kind::Domain &&
                                              for_matches(m.for_, domain, ctx)
                                        : own && m.for_.kind != conf::MatchFor::Kind::Domain;
            if (fits) {
                return a;
            }
        }
    }
    return nullptr;
}

table::Table* Recipients::table(std::string_view name) const {
    auto const t = tables_.find(name);
    return t == tables_.end() ? nullptr : t->second.get();
}

Resolution Recipients::resolve(std::string_view local_part, std::string_view domain,
                               bool client_local) const {
    return resolve(local_part, domain, client_local, io_);
}

Resolution Recipients::resolve(std::string_view local_part, std::string_view domain,
                               bool client_local, RecipientsIo const& io) const {
    SessionFacts session;
    session.client_local = client_local;
    return resolve(local_part, domain, session, io);
}

Resolution Recipients::resolve(std::string_view local_part, std::string_view domain,
                               SessionFacts const& session, RecipientsIo const& io) const {
    if (auto srs = resolve_srs(*this, srs_keys(config_.srs), local_part, domain,
                               session.client_local, io)) {
        return std::move(*srs);
    }
    conf::Match const* match = find_match(local_part, domain, session);
    conf::Action const* action =
        match == nullptr || match->reject ? nullptr : action_named(match->action);
    if (action == nullptr && iequals(local_part, "postmaster")) {
        action = postmaster_action(domain);
    }
    if (action == nullptr) {
        // lka_session.c: a reject rule is answered as no rule is, "550 Invalid recipient".
        if (match != nullptr && match->reject) {
            return {sm::RcptVerdict::Kind::UnknownUser, {}, "rejected by a match rule"};
        }
        return {sm::RcptVerdict::Kind::RelayDenied, {}, "no match rule"};
    }
    return Expansion(*this, io).run(local_part, domain, *action);
}

} // namespace smtpd::rt
