// Recipient resolution: which match rule of smtpd.conf applies to a recipient, which action it
// names, which system user the mail is for, and where that user's Maildir is. This is the
// lookup role's logic (OpenSMTPD's lka); for now it runs in the same process as the sessions.
// Depends on: grammar/ (conf AST, table files, formats), statemachine/ (RcptVerdict).
#pragma once

#include "common/result.hpp"
#include "conf/ast.hpp"
#include "conf/table_file.hpp"
#include "smtpd/sm/event.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace smtpd::rt {

/// Where an accepted recipient's mail goes.
struct Destination {
    std::string action;
    std::string user;
    std::string maildir;
};

struct Resolution {
    sm::RcptVerdict::Kind verdict = sm::RcptVerdict::Kind::TempFail;
    std::optional<Destination> destination;
    std::string reason; ///< for the log
};

/// A system account, as getpwnam(3) gives it.
struct UserInfo {
    std::string name;
    std::string home;
};

class Resolver {
  public:
    /// Loads the file tables the configuration names. Errors read "file:line:col: message".
    [[nodiscard]] static std::optional<Resolver> create(conf::Config config, std::string hostname,
                                                        std::string& error);

    /// Resolves local_part@domain for a client that is (or is not) local.
    [[nodiscard]] Resolution resolve(std::string_view local_part, std::string_view domain,
                                     bool client_local) const;

    /// True when `domain` is one of this host's names (`for local` in smtpd.conf).
    [[nodiscard]] bool is_local_domain(std::string_view domain) const;

  private:
    Resolver(conf::Config config, std::string hostname)
        : config_(std::move(config)), hostname_(std::move(hostname)) {}

    [[nodiscard]] conf::Match const* find_match(std::string_view domain, bool client_local) const;
    [[nodiscard]] std::optional<std::string> virtual_user(std::string const& table,
                                                          std::string_view local_part,
                                                          std::string_view domain) const;

    conf::Config config_;
    std::string hostname_;
    std::map<std::string, conf::TableData, std::less<>> tables_;
};

/// getpwnam_r(3).
[[nodiscard]] std::optional<UserInfo> find_user(std::string const& name);

} // namespace smtpd::rt
