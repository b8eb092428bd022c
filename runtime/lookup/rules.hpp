// The match rules of smtpd.conf evaluated against one recipient of one session, after OpenSMTPD's
// ruleset.c: rules in file order, the first whose every criterion holds wins (tag, from, for,
// helo, auth, tls, mail-from, rcpt-to); a `!` inverts one criterion. Pure: tables come through a
// finder, the host's names through a predicate; no I/O.
// Depends on: grammar/ (conf AST), table/ (Table, services).
#pragma once

#include "conf/ast.hpp"
#include "table/service.hpp"
#include "table/table.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// What the rules are checked against: the session's facts and the recipient.
struct SessionFacts {
    std::string client_address;           ///< "192.0.2.1", "::1" (netaddr)
    bool client_local = false;            ///< loopback (`from local`)
    std::optional<std::string> rdns;      ///< the client's reverse DNS name, when it has one
    std::optional<std::string> auth_user; ///< the user it authenticated as
    std::string helo;                     ///< the HELO/EHLO argument
    std::string mail_from;                ///< user@domain; "" for the null reverse-path
    std::string tag;                      ///< the listener's tag; "" when none
    bool tls = false;                     ///< the session is under TLS
};

/// What the rules need besides the session: the tables by name and the host's own domains.
struct RuleContext {
    std::function<table::Table*(std::string_view name)> table;
    std::function<bool(std::string_view domain)> is_local_domain;
    char subaddress_delim = '+';
};

/// True when the rule's `for` criterion holds for `domain`.
[[nodiscard]] bool for_matches(conf::MatchFor const& f, std::string_view domain,
                               RuleContext const& ctx);

/// The first rule whose criteria all hold for recipient local@domain, or nullptr.
[[nodiscard]] conf::Match const* first_match(std::vector<conf::Match> const& rules,
                                             std::string_view local, std::string_view domain,
                                             SessionFacts const& session, RuleContext const& ctx);

} // namespace smtpd::rt
