// The process topology of the privilege-separated daemon: which role processes talk to which,
// as one table (kPeers). The parent makes one socketpair per row and hands each end to its
// role; a child finds its ends at fixed descriptor numbers: 3 + the position of the row among
// the rows that name it, in table order. Everything else (names, users, chroots) is derived from
// the same data, so adding a role or a link is a one-line change here.
// Depends on: ipc/messages.hpp (Role).
#pragma once

#include "ipc/messages.hpp"

#include <array>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace smtpd::rt {

using ipc::Role;

/// One socketpair between two roles.
struct PeerLink {
    Role a;
    Role b;
};

/// Every channel of the daemon. The parent is linked to each child (lifecycle, and its
/// privileged services); control reaches every role that answers a control verb
/// (control/verbs.hpp): the parent, the queue, the scheduler and the dispatcher (the MTA's
/// tables).
inline constexpr std::array kPeers{
    PeerLink{Role::Parent, Role::Lookup},     PeerLink{Role::Parent, Role::Queue},
    PeerLink{Role::Parent, Role::Scheduler},  PeerLink{Role::Parent, Role::Control},
    PeerLink{Role::Parent, Role::Dispatcher}, PeerLink{Role::Dispatcher, Role::Lookup},
    PeerLink{Role::Dispatcher, Role::Queue},  PeerLink{Role::Queue, Role::Scheduler},
    PeerLink{Role::Queue, Role::Lookup},      PeerLink{Role::Control, Role::Queue},
    PeerLink{Role::Control, Role::Scheduler}, PeerLink{Role::Control, Role::Dispatcher},
};

/// How a role runs once started: under which account and in which root directory.
enum class Account : unsigned char { Root, Smtpd, Smtpq };
enum class Jail : unsigned char { None, Empty, Spool };

struct RoleInfo {
    Role role;
    std::string_view name; ///< for -x and the process title
    Account account;
    Jail jail;
};

/// The roles a parent starts, in start order. lookup needs the passwd database, so it is not
/// chrooted (STYLE: "chroots where it can").
inline constexpr std::array kChildRoles{
    RoleInfo{Role::Lookup, "lookup", Account::Smtpd, Jail::None},
    RoleInfo{Role::Queue, "queue", Account::Smtpq, Jail::Spool},
    RoleInfo{Role::Scheduler, "scheduler", Account::Smtpq, Jail::Empty},
    RoleInfo{Role::Control, "control", Account::Smtpd, Jail::Empty},
    RoleInfo{Role::Dispatcher, "dispatcher", Account::Smtpd, Jail::Empty},
};

[[nodiscard]] std::string_view role_name(Role role);
[[nodiscard]] std::optional<Role> role_from_name(std::string_view name);
[[nodiscard]] RoleInfo const* role_info(Role role);

/// A link as one role sees it: the peer, and the descriptor number it inherits in the child.
struct PeerEnd {
    std::size_t link; ///< index into kPeers
    Role peer;
    int child_fd;
};

/// The links of `role`, in kPeers order, with the descriptor each has in that role's process.
[[nodiscard]] std::vector<PeerEnd> peers_of(Role role);

/// The first descriptor number of a child's channels.
inline constexpr int kFirstChannelFd = 3;

} // namespace smtpd::rt
