// Expansion (see expansion.hpp), after OpenSMTPD 7.x's lka_expand and lka_submit. As there:
// an address is matched again against the rules as a local envelope; a user name is looked up in
// the alias (or virtual) table first, then must be a user of the userbase; its ~/.forward is read
// unless the action runs as another user; /files and |commands run as the user whose ~/.forward
// named them, else as the unprivileged user, and never from root's ~/.forward; a forward-only
// action yields only addresses (anything local is a temporary failure, as lka_session.c has it),
// an expand-only action anything an alias or ~/.forward names but the user itself (permanent).
#include "lookup/expansion.hpp"

#include "conf/format.hpp"
#include "lookup/format_values.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace smtpd::rt {

namespace {

using Kind = AliasEntry::Kind;

DeliveryMethod delivery_method(conf::Action::Method m) {
    switch (m) {
    case conf::Action::Method::Mbox:
        return DeliveryMethod::Mbox;
    case conf::Action::Method::Lmtp:
        return DeliveryMethod::Lmtp;
    case conf::Action::Method::Mda:
        return DeliveryMethod::Mda;
    case conf::Action::Method::Maildir:
    case conf::Action::Method::ForwardOnly:
    case conf::Action::Method::ExpandOnly:
        break;
    case conf::Action::Method::Relay: // expand_address() queues a relay action's address
        return DeliveryMethod::Relay;
    }
    return DeliveryMethod::Maildir;
}

} // namespace

void Expansion::fail(Failure kind, std::string reason) {
    if (!error_) {
        error_.emplace(kind, std::move(reason));
    }
}

// expand_insert: a node equal to one already inserted is dropped, which ends alias loops.
void Expansion::insert(AliasEntry entry, int parent, conf::Action const* action) {
    Node node{std::move(entry), parent};
    if (parent >= 0) {
        Node const& p = nodes_.at(static_cast<std::size_t>(parent));
        node.depth = p.depth + 1;
        node.sameuser = node.entry.kind == Kind::User && p.entry.kind == Kind::User &&
                        (p.realuser ? p.realuser->name : p.entry.value) == node.entry.value;
        // A /file or |command runs as the user above it: part of what makes it distinct.
        if (node.entry.kind == Kind::File || node.entry.kind == Kind::Command) {
            node.entry.domain = p.realuser ? p.realuser->name : std::string();
        }
    }
    node.action = action;
    std::string key = std::to_string(static_cast<int>(node.entry.kind));
    for (std::string const* part :
         {&std::as_const(node.entry.value), &std::as_const(node.entry.domain), &action->name}) {
        key.append(1, '\0').append(*part);
    }
    key.push_back('\0');
    key.push_back(node.sameuser ? 's' : '-');
    key.push_back(node.entry.verbatim ? 'v' : '-');
    if (!seen_.insert(std::move(key)).second) {
        return;
    }
    if (nodes_.size() >= kMaxExpansionNodes) {
        fail(Failure::Permanent, "expansion too large");
        return;
    }
    nodes_.push_back(std::move(node));
}

bool Expansion::insert_entries(std::vector<AliasEntry> const& entries, std::size_t parent) {
    conf::Action const* action = nodes_.at(parent).action;
    for (AliasEntry const& e : entries) {
        if (e.kind == Kind::Error) {
            fail(e.value.starts_with('4') ? Failure::Temporary : Failure::Permanent,
                 "alias error: " + e.value);
            return false;
        }
        if (e.kind != Kind::Include) {
            AliasEntry copy = e;
            if (copy.kind == Kind::User) {
                copy.value = lowercase_ascii(copy.value);
            }
            insert(std::move(copy), static_cast<int>(parent), action);
            continue;
        }
        // aliases_expand_include: an unreadable file adds nothing; nested includes are ignored.
        auto const text = io_.include_reader ? io_.include_reader(e.value) : std::nullopt;
        auto const included = text ? parse_alias_lines(*text) : std::vector<AliasEntry>{};
        if (!included) {
            fail(Failure::Temporary, "invalid entry in include file " + e.value);
            return false;
        }
        std::vector<AliasEntry> flat;
        std::copy_if(included->begin(), included->end(), std::back_inserter(flat),
                     [](AliasEntry const& x) { return x.kind != Kind::Include; });
        if (!insert_entries(flat, parent)) {
            return false;
        }
    }
    return true;
}

Resolution Expansion::run(std::string_view local, std::string_view domain,
                          conf::Action const& action) {
    using Verdict = sm::RcptVerdict::Kind;
    recipient_ = std::string(local) + "@" + std::string(domain);
    insert(AliasEntry{Kind::Address, std::string(local), std::string(domain)}, -1, &action);
    for (std::size_t i = 0; i < nodes_.size() && !error_; ++i) {
        expand(i);
    }
    if (!error_ && out_.empty()) {
        fail(Failure::Permanent, "expanded to no delivery");
    }
    if (error_) {
        bool const temporary = error_->first == Failure::Temporary;
        return {temporary ? Verdict::TempFail : Verdict::UnknownUser, {}, error_->second};
    }
    return {Verdict::Accepted, std::move(out_), "accepted"};
}

void Expansion::expand(std::size_t i) {
    if (nodes_.at(i).depth >= kMaxExpansionDepth) {
        fail(Failure::Permanent, "expansion too deep");
        return;
    }
    switch (nodes_.at(i).entry.kind) {
    case Kind::Address:
        expand_address(i);
        break;
    case Kind::User:
        expand_user(i);
        break;
    case Kind::File:
    case Kind::Command:
        expand_file_or_command(i);
        break;
    case Kind::Include: // never inserted
    case Kind::Error:
        break;
    }
}

// An address named by an alias is matched again, as mail from this host (EF_INTERNAL).
void Expansion::expand_address(std::size_t i) {
    Node& node = nodes_.at(i);
    if (node.parent >= 0) {
        node.action = recipients_.find_action(node.entry.domain, true);
        if (node.action == nullptr) {
            fail(Failure::Permanent, "no match rule for " + dest_address(i));
            return;
        }
    }
    conf::Action const& action = *node.action;
    if (action.method == conf::Action::Method::Relay) {
        // lka_submit: the address goes to the MTA as it stands; no user delivers it.
        Destination d{action.name, DeliveryMethod::Relay, recipient_, UserInfo{}, {}, false, false};
        if (std::string dest = dest_address(i); dest != recipient_) {
            d.dest = std::move(dest);
        }
        out_.push_back(std::move(d));
        return;
    }
    if (!action.virtual_table) {
        insert(AliasEntry{Kind::User, lowercase_ascii(node.entry.value)}, static_cast<int>(i),
               node.action);
        return;
    }
    table::Table* table = recipients_.table(*action.virtual_table);
    if (table == nullptr) {
        fail(Failure::Temporary, "virtual table not loaded: " + *action.virtual_table);
        return;
    }
    for (auto const& key : virtual_keys(node.entry.value, node.entry.domain)) {
        auto const found = table->lookup(table::Service::Alias, key);
        if (!found) {
            fail(Failure::Temporary,
                 "virtual table " + *action.virtual_table + ": " + found.error().what());
            return;
        }
        if (auto const& value = found.value()) {
            auto const entries = parse_alias_values(*value);
            if (!entries) {
                fail(Failure::Temporary, "invalid virtual entry for " + key);
                return;
            }
            insert_entries(*entries, i);
            return;
        }
    }
    fail(Failure::Permanent, "no virtual mapping for " + dest_address(i));
}

// A user name under an alias or virtual action is looked up there first (without a domain).
bool Expansion::expand_aliases(std::size_t i) {
    Node const& node = nodes_.at(i);
    conf::Action const& action = *node.action;
    auto const& name = action.alias_table ? action.alias_table : action.virtual_table;
    if (node.sameuser || node.entry.verbatim || !name) {
        return false;
    }
    table::Table* table = recipients_.table(*name);
    if (table == nullptr) {
        fail(Failure::Temporary, "alias table not loaded: " + *name);
        return true;
    }
    auto const keys =
        action.alias_table ? alias_keys(node.entry.value) : virtual_keys(node.entry.value, "");
    for (auto const& key : keys) {
        auto const found = table->lookup(table::Service::Alias, key);
        if (!found) {
            fail(Failure::Temporary, "alias table " + *name + ": " + found.error().what());
            return true;
        }
        if (auto const& value = found.value()) {
            auto const entries = parse_alias_values(*value);
            if (!entries) {
                fail(Failure::Temporary, "invalid alias entry for " + key);
                return true;
            }
            insert_entries(*entries, i);
            return true;
        }
    }
    return false;
}

void Expansion::expand_user(std::size_t i) {
    if (expand_aliases(i) || error_) {
        return;
    }
    Node& node = nodes_.at(i);
    // smtpd.conf(5) smtp sub-addr-delim: the user is the local part before the delimiter.
    std::string const name =
        node.entry.value.substr(0, node.entry.value.find(recipients_.sub_addr_delim()));
    auto const user = lookup_user(*node.action, name);
    if (!user) {
        return;
    }
    node.realuser = user;
    Node const* parent =
        node.parent >= 0 ? &nodes_.at(static_cast<std::size_t>(node.parent)) : nullptr;
    bool const same_as_forwarder = node.sameuser && parent != nullptr && parent->forwarded;
    bool const other_user = node.action->user && *node.action->user != user->name;
    if (node.entry.verbatim || same_as_forwarder || other_user) {
        submit_user(i, *user);
        return;
    }
    read_forward(i, *user);
}

void Expansion::read_forward(std::size_t i, UserInfo const& user) {
    Node& node = nodes_.at(i);
    node.forwarded = true;
    auto const& reader = io_.forward_reader;
    auto const text = reader ? reader(user) : std::nullopt;
    auto const entries = text ? parse_alias_lines(*text) : std::vector<AliasEntry>{};
    if (!entries) {
        fail(Failure::Temporary, "invalid ~/.forward of user " + user.name);
        return;
    }
    std::vector<AliasEntry> flat;
    std::copy_if(entries->begin(), entries->end(), std::back_inserter(flat),
                 [](AliasEntry const& x) { return x.kind != Kind::Include; });
    if (!flat.empty()) {
        insert_entries(flat, i);
    } else if (node.action->method == conf::Action::Method::ForwardOnly) {
        fail(Failure::Temporary,
             "no ~/.forward for user " + user.name + " on a forward-only action");
    } else if (node.action->method == conf::Action::Method::ExpandOnly) {
        fail(Failure::Permanent, "no ~/.forward for user " + user.name +
                                     " and no delivery method on an expand-only action");
    } else {
        submit_user(i, user);
    }
}

void Expansion::submit_user(std::size_t i, UserInfo const& user) {
    Node const& node = nodes_.at(i);
    conf::Action const& action = *node.action;
    if (action.method == conf::Action::Method::ForwardOnly) {
        fail(Failure::Temporary, "local delivery to " + user.name + " on a forward-only action");
        return;
    }
    if (action.method == conf::Action::Method::ExpandOnly) {
        fail(Failure::Permanent, "local delivery to " + user.name + " on an expand-only action");
        return;
    }
    auto run_as =
        action.user ? lookup_user(action, *action.user, Failure::Temporary) : std::optional{user};
    if (!run_as) {
        return;
    }
    Destination d{
        action.name,   delivery_method(action.method), recipient_, *run_as, {}, action.junk,
        action.rcpt_to};
    if (std::string dest = dest_address(i); dest != recipient_) {
        d.dest = std::move(dest);
    }
    switch (action.method) {
    case conf::Action::Method::Maildir: {
        auto path = maildir_path(i, *run_as);
        if (!path) {
            return;
        }
        d.target = std::move(*path);
        break;
    }
    case conf::Action::Method::Mbox:
        d.target = std::string(kMailSpoolDir) + "/" + user.name;
        break;
    case conf::Action::Method::Lmtp:
        d.target = action.destination;
        break;
    case conf::Action::Method::Mda:
    case conf::Action::Method::ForwardOnly:
    case conf::Action::Method::ExpandOnly:
    case conf::Action::Method::Relay:
        d.target = action.command;
        break;
    }
    out_.push_back(std::move(d));
}

void Expansion::expand_file_or_command(std::size_t i) {
    Node const& node = nodes_.at(i);
    Node const& parent = nodes_.at(static_cast<std::size_t>(node.parent));
    bool const is_file = node.entry.kind == Kind::File;
    if (parent.realuser && parent.realuser->uid == 0) {
        fail(Failure::Temporary, std::string(is_file ? "a file" : "a command") +
                                     " is not allowed in root's ~/.forward");
        return;
    }
    conf::Action const& action = *node.action;
    if (action.method == conf::Action::Method::ForwardOnly) {
        fail(Failure::Temporary, "a file or command on a forward-only action");
        return;
    }
    std::optional<UserInfo> run_as = parent.realuser;
    if (action.user) {
        run_as = lookup_user(action, *action.user, Failure::Temporary);
    } else if (!run_as) {
        run_as = io_.find_user(io_.unprivileged_user);
        if (!run_as) {
            fail(Failure::Temporary, "no user " + io_.unprivileged_user);
        }
    }
    if (!run_as) {
        return;
    }
    out_.push_back(Destination{action.name, is_file ? DeliveryMethod::Mbox : DeliveryMethod::Mda,
                               recipient_, *run_as, node.entry.value, false, false});
}

// The userbase table when the action has one, else the system's; RFC 5321 §4.5.1: "Postmaster"
// must be accepted, so without an account of that name it goes to root.
std::optional<UserInfo> Expansion::lookup_user(conf::Action const& action, std::string const& name,
                                               Failure missing) {
    if (action.userbase_table) {
        table::Table* table = recipients_.table(*action.userbase_table);
        auto const found = table != nullptr ? table->lookup(table::Service::Userinfo, name)
                                            : Result<std::optional<std::string>>(std::nullopt);
        auto const& value = found.has_value() ? found.value() : std::nullopt;
        if (!value) {
            bool const answered = table != nullptr && found.has_value();
            fail(answered ? missing : Failure::Temporary, "no such user: " + name);
            return std::nullopt;
        }
        auto user = parse_userbase_entry(name, *value);
        if (!user) {
            fail(Failure::Temporary, "invalid userbase entry for " + name);
        }
        return user;
    }
    auto user = io_.find_user(name);
    if (!user && name == "postmaster") {
        user = io_.find_user("root");
    }
    if (!user) {
        fail(missing, "no such user: " + name);
    }
    return user;
}

std::string Expansion::dest_address(std::size_t i) const {
    for (int at = static_cast<int>(i); at >= 0;) {
        Node const& n = nodes_.at(static_cast<std::size_t>(at));
        if (n.entry.kind == Kind::Address) {
            return n.entry.value + "@" + n.entry.domain;
        }
        at = n.parent;
    }
    return recipient_;
}

std::optional<std::string> Expansion::maildir_path(std::size_t i, UserInfo const& user) {
    FormatValues const values{std::nullopt, recipient_, dest_address(i), user.name, user.home};
    auto const lookup = format_lookup(values);
    auto const& format = nodes_.at(i).action->path;
    auto path = conf::expand_format(format.value_or("~/Maildir"), lookup);
    if (auto const* err = std::get_if<conf::FormatError>(&path)) {
        fail(Failure::Temporary, "cannot expand maildir path: " + err->message);
        return std::nullopt;
    }
    return std::get<std::string>(std::move(path));
}

} // namespace smtpd::rt
