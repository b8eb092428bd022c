// first_match (rules.hpp), after OpenSMTPD's ruleset.c ruleset_match_*: each
// criterion a rule does not write holds; one it writes is looked up in its table (or compared
// with its literal) by the service ruleset.c uses, then inverted when negated, except that
// `from rdns <t>` never holds for a client without a reverse name, negated or not. Unlike
// OpenSMTPD, whose `tls` criterion is a temporary failure ("not until TLS flag is added to
// envelope"), `tls` holds when the session is under TLS.
// Depends on: rules.hpp, table/.
#include "lookup/rules.hpp"

#include <algorithm>

namespace smtpd::rt {

namespace {

using table::Service;

// A criterion's argument: a declared table, or one literal (parse.y's one-value table).
bool arg_matches(conf::MatchTable const& t, Service service, std::string_view key,
                 RuleContext const& ctx) {
    Service const s = t.regex ? Service::Regex : service;
    if (!t.is_table) {
        return table::service_match(s, t.value, key, ctx.subaddress_delim);
    }
    table::Table* found = ctx.table ? ctx.table(t.value) : nullptr;
    if (found == nullptr) {
        return false;
    }
    Result<bool> const hit = found->match(s, key); // a failing table (proc:) matches nothing
    return hit.has_value() && hit.value();
}

bool criterion(std::optional<conf::MatchCriterion> const& c, Service service, std::string_view key,
               RuleContext const& ctx) {
    if (!c) {
        return true;
    }
    bool const hit = c->table && arg_matches(*c->table, service, key, ctx);
    return hit != c->negated;
}

bool from_holds(conf::MatchFrom const& from, SessionFacts const& s, RuleContext const& ctx) {
    bool hit = false;
    switch (from.kind) {
    case conf::MatchFrom::Kind::Any:
        hit = true;
        break;
    case conf::MatchFrom::Kind::Local:
        hit = s.client_local;
        break;
    case conf::MatchFrom::Kind::Socket: // refused by the parser until local submission exists
        hit = false;
        break;
    case conf::MatchFrom::Kind::Src:
        hit = from.table && arg_matches(*from.table, Service::Netaddr, s.client_address, ctx);
        break;
    case conf::MatchFrom::Kind::Rdns:
        if (!from.table) {
            hit = s.rdns.has_value();
            break;
        }
        if (!s.rdns) {
            return false; // ruleset.c: no name, no match, whatever the negation
        }
        hit = arg_matches(*from.table, Service::Domain, *s.rdns, ctx);
        break;
    }
    return hit != from.negated;
}

} // namespace

bool for_matches(conf::MatchFor const& f, std::string_view domain, RuleContext const& ctx) {
    bool hit = false;
    switch (f.kind) {
    case conf::MatchFor::Kind::Any:
        hit = true;
        break;
    case conf::MatchFor::Kind::Local:
        hit = ctx.is_local_domain && ctx.is_local_domain(domain);
        break;
    case conf::MatchFor::Kind::Domain:
        hit = arg_matches(conf::MatchTable{f.domain_table.value_or(f.domain),
                                           f.domain_table.has_value(), f.regex},
                          Service::Domain, domain, ctx);
        break;
    }
    return hit != f.negated;
}

namespace {

// ruleset.c ruleset_match_smtp_auth: not authenticated never matches a table; the user name
// is a mail address when it has an '@'.
bool auth_holds(std::optional<conf::MatchCriterion> const& c, SessionFacts const& s,
                RuleContext const& ctx) {
    if (!c) {
        return true;
    }
    bool hit = s.auth_user.has_value();
    if (hit && c->table) {
        Service const service =
            s.auth_user->find('@') != std::string::npos ? Service::Mailaddr : Service::String;
        hit = arg_matches(*c->table, service, *s.auth_user, ctx);
    }
    return hit != c->negated;
}

bool tls_holds(std::optional<conf::MatchCriterion> const& c, SessionFacts const& s) {
    return !c || s.tls != c->negated;
}

} // namespace

conf::Match const* first_match(std::vector<conf::Match> const& rules, std::string_view local,
                               std::string_view domain, SessionFacts const& session,
                               RuleContext const& ctx) {
    // mailaddr_to_text: "user@domain", "@" for the null reverse-path.
    std::string const sender = session.mail_from.empty() ? "@" : session.mail_from;
    std::string rcpt(local);
    rcpt.append("@").append(domain);
    auto const holds = [&](conf::Match const& m) {
        return criterion(m.tag, Service::String, session.tag, ctx) &&
               from_holds(m.from, session, ctx) && for_matches(m.for_, domain, ctx) &&
               criterion(m.helo, Service::Domain, session.helo, ctx) &&
               auth_holds(m.auth, session, ctx) && tls_holds(m.tls, session) &&
               criterion(m.mail_from, Service::Mailaddr, sender, ctx) &&
               criterion(m.rcpt_to, Service::Mailaddr, rcpt, ctx);
    };
    auto const it = std::find_if(rules.begin(), rules.end(), holds);
    return it == rules.end() ? nullptr : &*it;
}

} // namespace smtpd::rt
