// Recipient resolution: which match rule of smtpd.conf applies to a recipient, which action it
// names, and what the recipient expands to through that action's alias, virtual and userbase
// tables and the users' ~/.forward files: one Destination per delivery. This is the lookup role's
// logic (OpenSMTPD's lka); for now it runs in the same process as the sessions. Files outside the
// tables are read only through RecipientsIo, so the privileged parent can open ~/.forward.
// Depends on: grammar/ (conf AST, formats), statemachine/ (RcptVerdict), table/, aliases.hpp.
#pragma once

#include "common/clock.hpp"
#include "common/result.hpp"
#include "conf/ast.hpp"
#include "lookup/aliases.hpp"
#include "lookup/rules.hpp"
#include "smtpd/sm/event.hpp"
#include "table/table.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// How a Destination is delivered. An alias's /file is Mbox, its |command Mda; Relay goes to the
/// MTA (no user: the relay action's options say how).
enum class DeliveryMethod : unsigned char { Maildir, Mbox, Lmtp, Mda, Relay };

/// One delivery an accepted recipient resolved to.
struct Destination {
    std::string action; ///< the smtpd.conf action
    DeliveryMethod method = DeliveryMethod::Maildir;
    std::string recipient; ///< the original recipient, local-part@domain as accepted
    UserInfo user;         ///< the delivery runs as this user (the action's `user` when given)
    /// Maildir: the expanded path; Mbox: the file (/var/mail/<user>); Lmtp: the destination as
    /// configured; Mda: the command as configured, expanded only at delivery (shell-safe rules).
    std::string target;
    bool junk = false;         ///< Maildir: file into the Junk folder
    bool lmtp_rcpt_to = false; ///< Lmtp: RCPT TO is `recipient`; else user.name
    std::string dest{};        ///< the address the expansion reached (%{dest}); "" if `recipient`
    friend bool operator==(Destination const&, Destination const&) = default;
};

struct Resolution {
    sm::RcptVerdict::Kind verdict = sm::RcptVerdict::Kind::TempFail;
    std::vector<Destination> destinations; ///< at least one when Accepted, else none
    std::string reason;                    ///< for the log
};

/// What resolution reads beyond the configuration and its tables. Each member may be replaced:
/// by tests, and by the privilege-separated daemon, whose root parent opens ~/.forward.
struct RecipientsIo {
    /// getpwnam(3).
    std::function<std::optional<UserInfo>(std::string const& name)> find_user;
    /// The user's ~/.forward; nullopt when there is none, or it is not safe to read.
    std::function<std::optional<std::string>(UserInfo const& user)> forward_reader;
    /// An alias :include: file; nullopt when it cannot be read (its values are then skipped).
    std::function<std::optional<std::string>(std::string const& path)> include_reader;
    /// Runs the /files and |commands of alias tables (OpenSMTPD's SMTPD_USER).
    std::string unprivileged_user = "_smtpd";
    /// The time SRS addresses are checked against (srs_reverse.hpp).
    std::function<SysSeconds()> clock = now_seconds;
};

/// The system's: getpwnam_r, read_forward_file and read_include_file (forward.hpp).
[[nodiscard]] RecipientsIo default_recipients_io();

class Recipients {
  public:
    /// Opens the tables the configuration names (runtime/table). Errors read "file:line:col:
    /// message".
    [[nodiscard]] static Result<Recipients> create(conf::Config config, std::string hostname,
                                                   RecipientsIo io = default_recipients_io());

    /// Resolves local_part@domain for a client that is (or is not) local.
    [[nodiscard]] Resolution resolve(std::string_view local_part, std::string_view domain,
                                     bool client_local) const;
    /// The same with other file access for this call (the lookup role's ~/.forward reads).
    [[nodiscard]] Resolution resolve(std::string_view local_part, std::string_view domain,
                                     bool client_local, RecipientsIo const& io) const;
    /// Resolves local_part@domain for a session with these facts (every match criterion).
    /// Postmaster (RFC 5321 §4.5.1) at any local domain is accepted whatever the rules say.
    [[nodiscard]] Resolution resolve(std::string_view local_part, std::string_view domain,
                                     SessionFacts const& session, RecipientsIo const& io) const;

    /// True when `domain` is one of this host's names (`for local` in smtpd.conf).
    [[nodiscard]] bool is_local_domain(std::string_view domain) const;

    /// The action of the first match rule for `domain`, or nullptr.
    [[nodiscard]] conf::Action const* find_action(std::string_view domain, bool client_local) const;
    /// A table by name, or nullptr. Lookups may change a table's state (a db file opened
    /// again, a fetch turn), hence not const.
    [[nodiscard]] table::Table* table(std::string_view name) const;
    [[nodiscard]] RecipientsIo const& io() const { return io_; }
    /// smtp sub-addr-delim: where a local part's sub-address starts.
    [[nodiscard]] char sub_addr_delim() const { return config_.sub_addr_delim; }

  private:
    Recipients(conf::Config config, std::string hostname, RecipientsIo io)
        : config_(std::move(config)), hostname_(std::move(hostname)), io_(std::move(io)) {}

    [[nodiscard]] conf::Match const* find_match(std::string_view local, std::string_view domain,
                                                SessionFacts const& session) const;
    [[nodiscard]] conf::Action const* action_named(std::string const& name) const;
    [[nodiscard]] RuleContext rule_context() const;
    /// RFC 5321 §4.5.1: the action that takes postmaster@domain when the rules do not.
    [[nodiscard]] conf::Action const* postmaster_action(std::string_view domain) const;

    conf::Config config_;
    std::string hostname_;
    RecipientsIo io_;
    std::map<std::string, std::unique_ptr<table::Table>, std::less<>> tables_;
};

/// getpwnam_r(3).
[[nodiscard]] std::optional<UserInfo> find_user(std::string const& name);

} // namespace smtpd::rt
