// The expansion of one recipient into its deliveries, after OpenSMTPD's lka_session.c: a
// breadth-first walk over nodes (addresses, user names, /files, |commands), each expanded through
// the action of its match rule: virtual tables for addresses, alias tables then the userbase and
// ~/.forward for user names. Invariants: a node already seen is not expanded again (loops end),
// no node is deeper than kMaxExpansionDepth, and an error anywhere fails the whole recipient.
// Depends on: recipients.hpp, aliases.hpp, grammar/conf/format.hpp.
#pragma once

#include "lookup/recipients.hpp"

#include <cstddef>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// lka_session.c's EXPAND_DEPTH.
inline constexpr unsigned kMaxExpansionDepth = 10;
/// The most nodes one recipient may expand to.
inline constexpr std::size_t kMaxExpansionNodes = 1000;
/// Where mbox deliveries go: <dir>/<user>.
inline constexpr std::string_view kMailSpoolDir = "/var/mail";

/// One recipient's expansion; use once.
class Expansion {
  public:
    Expansion(Recipients const& recipients, RecipientsIo const& io)
        : recipients_(recipients), io_(io) {}

    /// Expands local@domain, which matched `action`.
    [[nodiscard]] Resolution run(std::string_view local, std::string_view domain,
                                 conf::Action const& action);

  private:
    enum class Failure : unsigned char { Permanent, Temporary };
    struct Node {
        AliasEntry entry;
        int parent = -1;
        unsigned depth = 0;
        conf::Action const* action = nullptr;
        bool sameuser = false;              ///< a user name under the same user name
        std::optional<UserInfo> realuser{}; ///< a user name found in the userbase
        bool forwarded = false;             ///< its ~/.forward was read
    };

    void insert(AliasEntry entry, int parent, conf::Action const* action);
    bool insert_entries(std::vector<AliasEntry> const& entries, std::size_t parent);
    void expand(std::size_t i);
    void expand_address(std::size_t i);
    void expand_user(std::size_t i);
    void expand_file_or_command(std::size_t i);
    bool expand_aliases(std::size_t i);
    void read_forward(std::size_t i, UserInfo const& user);
    void submit_user(std::size_t i, UserInfo const& user);
    /// The user by the action's userbase; a miss fails as `missing` says.
    [[nodiscard]] std::optional<UserInfo> lookup_user(conf::Action const& action,
                                                      std::string const& name,
                                                      Failure missing = Failure::Permanent);
    [[nodiscard]] std::optional<std::string> maildir_path(std::size_t i, UserInfo const& user);
    [[nodiscard]] std::string dest_address(std::size_t i) const;
    void fail(Failure kind, std::string reason);

    Recipients const& recipients_;

    RecipientsIo const& io_;
    std::string recipient_;
    std::deque<Node> nodes_; ///< a deque: references stay valid as nodes are added
    std::set<std::string> seen_;
    std::vector<Destination> out_;
    std::optional<std::pair<Failure, std::string>> error_;
};

} // namespace smtpd::rt
