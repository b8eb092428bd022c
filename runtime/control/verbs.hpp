// The control verbs as data, one row per ipc::ControlVerb (Postfix's command-table rows): the
// role that answers it, who may send it, and who replies to the client. As in OpenSMTPD's
// control.c, which refuses every administrative request from a uid other than 0, each verb here
// needs an administrator: root, or the user the daemon itself runs as when it was not started as
// root (development and tests). `show queue` is one too: it lists other users' addresses, and
// so are the MTA's tables (`show hosts|relays|routes|hoststats`: the hosts mail went to), as in
// OpenSMTPD, where they are privileged commands.
// Pure: no I/O. Depends on: ipc/messages.hpp.
#pragma once

#include "ipc/messages.hpp"

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace smtpd::rt {

/// Who may send a verb.
enum class Access : std::uint8_t {
    Anyone, ///< any local user (no verb yet; OpenSMTPD's enqueue session is one)
    Admin,  ///< root, or the daemon's own user
};

/// Who replies to the client.
enum class Answer : std::uint8_t {
    Role, ///< the answering role's ControlReply goes back to the client
    /// control replies "ok" to the client before it forwards the request: on `stop` the
    /// daemon's exit would race the parent's reply (OpenSMTPD's control answered its shutdown
    /// request the same way)
    Control,
};

struct VerbRule {
    ipc::ControlVerb verb;
    std::string_view name; ///< for the log
    ipc::Role answers;
    Access access;
    Answer answer;
};

/// Indexed by the verb's wire value.
inline constexpr std::array kVerbRules{
    VerbRule{ipc::ControlVerb::ShowQueue, "show queue", ipc::Role::Queue, Access::Admin,
             Answer::Role},
    VerbRule{ipc::ControlVerb::Schedule, "schedule", ipc::Role::Scheduler, Access::Admin,
             Answer::Role},
    VerbRule{ipc::ControlVerb::Pause, "pause", ipc::Role::Scheduler, Access::Admin, Answer::Role},
    VerbRule{ipc::ControlVerb::Resume, "resume", ipc::Role::Scheduler, Access::Admin, Answer::Role},
    VerbRule{ipc::ControlVerb::Stop, "stop", ipc::Role::Parent, Access::Admin, Answer::Control},
    VerbRule{ipc::ControlVerb::Remove, "remove", ipc::Role::Queue, Access::Admin, Answer::Role},
    VerbRule{ipc::ControlVerb::ShowHosts, "show hosts", ipc::Role::Dispatcher, Access::Admin,
             Answer::Role},
    VerbRule{ipc::ControlVerb::ShowRelays, "show relays", ipc::Role::Dispatcher, Access::Admin,
             Answer::Role},
    VerbRule{ipc::ControlVerb::ShowRoutes, "show routes", ipc::Role::Dispatcher, Access::Admin,
             Answer::Role},
    VerbRule{ipc::ControlVerb::ShowHostStats, "show hoststats", ipc::Role::Dispatcher,
             Access::Admin, Answer::Role},
};

static_assert(kVerbRules.size() == static_cast<std::size_t>(last_value(ipc::ControlVerb{})) + 1,
              "one row per ControlVerb");
static_assert(
    [] {
        for (std::size_t i = 0; i < kVerbRules.size(); ++i) {
            if (static_cast<std::size_t>(kVerbRules.at(i).verb) != i) {
                return false;
            }
        }
        return true;
    }(),
    "kVerbRules is indexed by the verb's value");

/// The row of `verb` (every value the decoder accepts has one).
[[nodiscard]] constexpr VerbRule const& verb_rule(ipc::ControlVerb verb) {
    return kVerbRules.at(static_cast<std::size_t>(verb));
}

/// May a client whose effective uid is `peer` (none when SO_PEERCRED failed) send `rule`'s verb
/// to a daemon that started as `daemon_uid`?
[[nodiscard]] constexpr bool may_send(VerbRule const& rule, std::optional<uid_t> peer,
                                      uid_t daemon_uid) {
    if (rule.access == Access::Anyone) {
        return true;
    }
    return peer.has_value() && (*peer == 0 || *peer == daemon_uid);
}

} // namespace smtpd::rt
