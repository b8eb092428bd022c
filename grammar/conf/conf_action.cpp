// The semantic checks of action and bounce (see conf_build.hpp), after OpenSMTPD 7.x's
// parse.y: a maildir path and an mda command must be valid formats, an lmtp destination a socket
// path or host:port; each option at most once, the local options (alias and virtual exclusive,
// no user for mbox) only on local methods, the relay options (conf_relay.cpp) only on relay,
// every table declared before use. Durations are delaytonum()'s (numbers.hpp).
// Depends on: conf_build.hpp, format.hpp, lmtp_destination.hpp, numbers.hpp.
#include "conf_build.hpp"

#include "format.hpp"
#include "lmtp_destination.hpp"
#include "numbers.hpp"

#include <algorithm>

namespace smtpd::conf {

namespace {

constexpr char const* kDurationHelp = ": expected a number followed by s, m, h or d";

Action::Method method_of(std::string const& keyword) {
    if (keyword == "mbox") {
        return Action::Method::Mbox;
    }
    if (keyword == "lmtp") {
        return Action::Method::Lmtp;
    }
    if (keyword == "mda") {
        return Action::Method::Mda;
    }
    if (keyword == "forward-only") {
        return Action::Method::ForwardOnly;
    }
    if (keyword == "expand-only") {
        return Action::Method::ExpandOnly;
    }
    if (keyword == "relay") {
        return Action::Method::Relay;
    }
    return Action::Method::Maildir;
}

std::optional<std::string>* option_slot(Action& action, std::string const& keyword) {
    if (keyword == "alias") {
        return &action.alias_table;
    }
    if (keyword == "virtual") {
        return &action.virtual_table;
    }
    if (keyword == "userbase") {
        return &action.userbase_table;
    }
    return &action.user;
}

} // namespace

bool ConfigBuilder::action_method(Action& action, rules::ActionMethod const& m) {
    action.method = method_of(m.keyword.text);
    bool const has_flag = m.flag.has_value();
    switch (action.method) {
    case Action::Method::Maildir:
        action.junk = has_flag;
        if (m.arg) {
            action.path = m.arg->text;
            if (auto const bad = check_format(m.arg->text)) {
                error(*m.arg, "invalid maildir path " + quote_for_message(m.arg->text) + ": " +
                                  bad->message);
                return false;
            }
        }
        return true;
    case Action::Method::Lmtp:
        action.rcpt_to = has_flag;
        action.destination = m.arg->text;
        if (auto const parsed = parse_lmtp_destination(m.arg->text); !parsed.destination) {
            error(*m.arg, "invalid LMTP destination " + quote_for_message(m.arg->text) + ": " +
                              parsed.error);
            return false;
        }
        return true;
    case Action::Method::Mda:
        action.command = m.arg->text;
        if (m.arg->text.empty()) {
            error(*m.arg, "empty mda command");
            return false;
        }
        if (auto const bad = check_format(m.arg->text)) {
            error(*m.arg,
                  "invalid mda command " + quote_for_message(m.arg->text) + ": " + bad->message);
            return false;
        }
        return true;
    case Action::Method::Mbox:
    case Action::Method::ForwardOnly:
    case Action::Method::ExpandOnly:
    case Action::Method::Relay:
        break;
    }
    return true;
}

bool ConfigBuilder::local_option(Action& action, rules::ActionOption const& o) {
    std::string const& keyword = o.keyword.text;
    Token const& arg = o.arg->value;
    std::optional<std::string>* slot = option_slot(action, keyword);
    // parse.y: "alias mapping already specified" / "virtual mapping already specified".
    if ((keyword == "alias" && action.virtual_table) ||
        (keyword == "virtual" && action.alias_table)) {
        error(o.keyword, R"("alias" and "virtual" cannot be used together)");
        return false;
    }
    if (keyword == "user") {
        // parse.y: "user may not be specified for this dispatcher / forward-only / expand-only".
        if (action.method == Action::Method::Mbox || action.method == Action::Method::ForwardOnly ||
            action.method == Action::Method::ExpandOnly) {
            error(o.keyword,
                  "\"user\" may not be specified for an " +
                      std::string(action.method == Action::Method::Mbox          ? "mbox"
                                  : action.method == Action::Method::ForwardOnly ? "forward-only"
                                                                                 : "expand-only") +
                      " action");
            return false;
        }
        if (arg.text.empty()) {
            error(arg, "empty user name");
            return false;
        }
    } else if (!table_usable(arg, true, keyword)) { // parse.y: T_DYNAMIC|T_HASH for each
        *slot = arg.text; // still counts as given, for "alias" and "virtual"
        return false;
    }
    *slot = arg.text;
    return true;
}

bool ConfigBuilder::action_option(Action& action, rules::ActionOption const& o,
                                  std::vector<std::string>& seen) {
    std::string const& keyword = o.keyword.text;
    if (std::find(seen.begin(), seen.end(), keyword) != seen.end()) {
        error(o.keyword, "\"" + keyword + "\" already specified for this action");
        return false;
    }
    seen.push_back(keyword);
    bool const relay = action.method == Action::Method::Relay;
    if (keyword == "wrapper") {
        return action_wrapper(action, o.arg->value);
    }
    if (keyword == "ttl") {
        action.ttl = parse_duration(o.arg->value.text);
        if (!action.ttl) {
            error(o.arg->value,
                  "invalid ttl delay " + quote_for_message(o.arg->value.text) + kDurationHelp);
            return false;
        }
        return true;
    }
    bool const local =
        keyword == "alias" || keyword == "virtual" || keyword == "userbase" || keyword == "user";
    if (local && relay) {
        error(o.keyword, "\"" + keyword + "\" is not an option of a relay action");
        return false;
    }
    if (!local && !relay) {
        error(o.keyword, "\"" + keyword + "\" is an option of relay actions only");
        return false;
    }
    return local ? local_option(action, o) : relay_option(action.relay, o);
}
void ConfigBuilder::operator()(rules::ActionStmt const& s) {
    auto const previous = std::find_if(config_.actions.begin(), config_.actions.end(),
                                       [&](Action const& a) { return a.name == s.name.text; });
    if (previous != config_.actions.end()) {
        error(s.name, "action " + quote_for_message(s.name.text) + " is already defined at line " +
                          std::to_string(previous->where.line));
        return;
    }
    if (s.name.text.empty()) {
        error(s.name, "empty action name");
        return;
    }
    Action action;
    action.name = s.name.text;
    action.where = where(*first_);
    bool ok = action_method(action, s.method);
    std::vector<std::string> seen;
    for (auto const& option : s.options) {
        ok = action_option(action, option, seen) && ok;
    }
    if (ok && action.method == Action::Method::Relay) {
        ok = relay_consistent(action, s);
    }
    if (ok) {
        config_.actions.push_back(std::move(action));
    }
}

// parse.y: BOUNCE WARN_INTERVAL bouncedelays. The first bounce directive replaces the default;
// later ones add intervals. As in OpenSMTPD (its bouncedelay rule fills the MAX_BOUNCE_WARN
// slots and skips a delay when none is free), delays beyond the first four are accepted and
// not used.
void ConfigBuilder::operator()(rules::BounceStmt const& s) {
    std::vector<std::chrono::seconds> delays;
    for (auto const& token : s.delays) {
        auto const d = parse_duration(token.text);
        if (!d) {
            error(token, "invalid bounce delay " + quote_for_message(token.text) + kDurationHelp);
            return;
        }
        delays.push_back(*d);
    }
    if (!bounce_set_) {
        config_.bounce_warn_intervals.clear();
        bounce_set_ = true;
    }
    for (auto const& d : delays) {
        if (config_.bounce_warn_intervals.size() < kMaxBounceWarnIntervals) {
            config_.bounce_warn_intervals.push_back(d);
        }
    }
}

} // namespace smtpd::conf
