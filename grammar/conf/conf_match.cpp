// ConfigBuilder's match rules (conf_build.hpp): every criterion of smtpd.conf(5) 7.x, after
// parse.y's match_option: each at most once ("from already specified"), negatable with '!',
// `regex` where parse.y allows it, the table's kind checked as table_check_use() does for inline
// tables; `from auth` / `from mail-from` are `from any` plus the auth / mail-from criterion and
// `for rcpt-to` is `for any` plus rcpt-to, as in parse.y. `match ... reject` or `action NAME`.
// Depends on: conf_build.hpp, ast.hpp, conf_def.hpp.
#include "conf_build.hpp"

#include <algorithm>

namespace smtpd::conf {

namespace {

std::string quoted(Token const& t) {
    return "\"" + t.text + "\"";
}

} // namespace

// The table argument of a criterion, required or not; `use` names the lookup in messages, and
// `mapping_ok` says whether a key = value table is allowed (parse.y's T_HASH: auth, mail-from,
// rcpt-to, but never with regex).
std::optional<MatchTable> ConfigBuilder::match_table(rules::MatchCriterion const& c, bool required,
                                                     bool mapping_ok, std::string_view use,
                                                     bool& ok) {
    Token const& at = c.kind ? *c.kind : c.keyword;
    if (!c.arg) {
        if (required || c.regex) {
            error(c.regex ? *c.regex : at,
                  "expected a value or a table reference \"<name>\" after " +
                      quoted(c.regex ? *c.regex : at));
            ok = false;
        }
        return std::nullopt;
    }
    MatchTable table{c.arg->value.text, c.arg->is_table, c.regex.has_value()};
    if (table.is_table) {
        bool const usable = mapping_ok && !table.regex ? table_exists(c.arg->value)
                                                       : table_usable(c.arg->value, false, use);
        ok = usable && ok;
    }
    return table;
}

void ConfigBuilder::match_from(Match& match, rules::MatchCriterion const& c, bool negated,
                               bool& ok) {
    std::string const& kind = c.kind->text;
    if (kind == "any" || kind == "local" || kind == "socket") {
        if (c.regex || c.arg) {
            Token const& extra = c.regex ? *c.regex : c.arg->value;
            error(extra, "unexpected " + quoted(extra) + " after " + quoted(*c.kind));
            ok = false;
        }
        if (kind == "socket") {
            // XXX(#16): local submission through the unix socket is another issue.
            error(*c.kind, "\"from socket\" is not implemented yet");
            ok = false;
        }
        match.from.kind = kind == "any"     ? MatchFrom::Kind::Any
                          : kind == "local" ? MatchFrom::Kind::Local
                                            : MatchFrom::Kind::Socket;
        match.from.negated = negated;
        return;
    }
    if (kind == "src" || kind == "rdns") {
        match.from.kind = kind == "src" ? MatchFrom::Kind::Src : MatchFrom::Kind::Rdns;
        match.from.negated = negated;
        match.from.table = match_table(c, kind == "src", false, "from", ok);
        return;
    }
    // from auth [<t>] | from mail-from <t>: parse.y's flag_from = 1 on <anyhost>, the negation
    // going to the session criterion.
    match.from.kind = MatchFrom::Kind::Any;
    match.from.negated = false;
    bool const auth = kind == "auth";
    auto& criterion = auth ? match.auth : match.mail_from;
    criterion = MatchCriterion{negated, match_table(c, !auth, !auth, "from", ok)};
}

void ConfigBuilder::match_for(Match& match, rules::MatchCriterion const& c, bool negated,
                              bool& ok) {
    std::string const& kind = c.kind->text;
    if (kind == "any" || kind == "local") {
        if (c.regex || c.arg) {
            Token const& extra = c.regex ? *c.regex : c.arg->value;
            error(extra, "unexpected " + quoted(extra) + " after " + quoted(*c.kind));
            ok = false;
        }
        match.for_.kind = kind == "any" ? MatchFor::Kind::Any : MatchFor::Kind::Local;
        match.for_.negated = negated;
        return;
    }
    if (kind == "domain") {
        match.for_.kind = MatchFor::Kind::Domain;
        match.for_.negated = negated;
        auto const table = match_table(c, true, false, "domain", ok);
        if (table && table->is_table) {
            match.for_.domain_table = table->value;
        } else if (table && table->value.empty()) {
            error(c.arg->value, "empty domain");
            ok = false;
        } else if (table) {
            match.for_.domain = table->value;
        }
        match.for_.regex = c.regex.has_value();
        return;
    }
    match.for_.kind = MatchFor::Kind::Any; // for rcpt-to <t>: <anydestination> plus rcpt-to
    match.for_.negated = false;
    match.rcpt_to = MatchCriterion{negated, match_table(c, true, true, "for", ok)};
}

void ConfigBuilder::operator()(rules::MatchStmt const& s) {
    // parse.y: without "from", "from local"; without "for", "for local".
    Match match;
    match.where = where(*first_);
    bool ok = true;
    std::vector<std::string> seen;
    for (auto const& option : s.options) {
        auto const& c = option.criterion;
        std::string const& keyword = c.keyword.text;
        if (std::find(seen.begin(), seen.end(), keyword) != seen.end()) {
            error(c.keyword, quoted(c.keyword) + " already specified for this match rule");
            ok = false;
            continue;
        }
        seen.push_back(keyword);
        if (keyword == "from") {
            match_from(match, c, option.negated, ok);
            if (c.kind->text == "auth" || c.kind->text == "mail-from") {
                seen.push_back(c.kind->text); // a later "auth" / "mail-from" is a repetition
            }
        } else if (keyword == "for") {
            match_for(match, c, option.negated, ok);
            if (c.kind->text == "rcpt-to") {
                seen.emplace_back("rcpt-to");
            }
        } else if (keyword == "tls") {
            match.tls = MatchCriterion{option.negated, std::nullopt};
        } else if (keyword == "auth") {
            match.auth = MatchCriterion{option.negated, match_table(c, false, true, "auth", ok)};
        } else {
            // helo (domain), mail-from and rcpt-to (mailaddr, mappings too), tag (string)
            bool const mapping_ok = keyword == "mail-from" || keyword == "rcpt-to";
            auto& criterion = keyword == "helo"        ? match.helo
                              : keyword == "mail-from" ? match.mail_from
                              : keyword == "rcpt-to"   ? match.rcpt_to
                                                       : match.tag;
            criterion =
                MatchCriterion{option.negated, match_table(c, true, mapping_ok, keyword, ok)};
        }
    }
    if (s.end.keyword.text == "reject") {
        match.reject = true;
    } else {
        Token const& name = *s.end.action;
        auto const action = std::find_if(config_.actions.begin(), config_.actions.end(),
                                         [&](Action const& a) { return a.name == name.text; });
        if (action == config_.actions.end()) {
            error(name, "undefined action " + quote_for_message(name.text) +
                            " (an action must be declared before the match rules that use it)");
            ok = false;
        }
        match.action = name.text;
    }
    if (ok) {
        config_.matches.push_back(std::move(match));
    }
}

} // namespace smtpd::conf
