// smtpctl(8)'s pure part: its commands as one table (the words of OpenSMTPD's smtpctl(8) that
// this daemon implements), the parse of the command words into the ControlRequest that is sent,
// and what is printed for the reply. As in smtpctl(8), each word may be abbreviated to a prefix
// that names one command ("sh q" is "show queue"); the word kIdWord stands for a msgid or an
// evpid (common/queue_id.hpp), given in full. No I/O: runtime/main/smtpctl_main.cpp talks to the
// socket. Depends on: ipc/messages.hpp, common/result.hpp, common/queue_id.hpp.
#pragma once

#include "common/result.hpp"
#include "ipc/messages.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// What an ok reply prints when it has no lines of its own.
enum class CtlOutput : std::uint8_t {
    Lines,        ///< the reply's lines only (show queue, hosts, ...: nothing when empty)
    Confirmation, ///< "command succeeded", as OpenSMTPD's smtpctl prints
};

/// The most words a command has.
inline constexpr std::size_t kMaxCtlWords = 2;

/// The command word that stands for a msgid or an evpid; never abbreviated.
inline constexpr std::string_view kIdWord = "<id>";

/// One command: its words ("pause", "mda"; unused words empty), the request it sends (`arg`,
/// when not empty, is its first argument; the id given for kIdWord follows) and what is printed.
struct CtlCommand {
    std::array<std::string_view, kMaxCtlWords> words;
    ipc::ControlVerb verb;
    std::string_view arg;
    CtlOutput output;
    std::string_view help;
};

/// Every command, in the order usage lists them.
inline constexpr std::array kCtlCommands{
    CtlCommand{{"pause", "mda"},
               ipc::ControlVerb::Pause,
               "mda",
               CtlOutput::Confirmation,
               "stop deliveries to local users for now"},
    CtlCommand{{"resume", "mda"},
               ipc::ControlVerb::Resume,
               "mda",
               CtlOutput::Confirmation,
               "resume deliveries to local users"},
    CtlCommand{{"pause", "mta"},
               ipc::ControlVerb::Pause,
               "mta",
               CtlOutput::Confirmation,
               "stop relaying to other hosts for now"},
    CtlCommand{{"resume", "mta"},
               ipc::ControlVerb::Resume,
               "mta",
               CtlOutput::Confirmation,
               "resume relaying"},
    CtlCommand{{"remove", "all"},
               ipc::ControlVerb::Remove,
               "all",
               CtlOutput::Lines,
               "remove every queued recipient"},
    CtlCommand{{"remove", kIdWord},
               ipc::ControlVerb::Remove,
               "",
               CtlOutput::Lines,
               "remove a message (msgid) or one recipient (evpid)"},
    CtlCommand{{"schedule", "all"},
               ipc::ControlVerb::Schedule,
               "all",
               CtlOutput::Lines,
               "retry every queued message now"},
    CtlCommand{{"schedule", kIdWord},
               ipc::ControlVerb::Schedule,
               "",
               CtlOutput::Lines,
               "retry the message of a msgid or an evpid now"},
    CtlCommand{{"show", "hosts"},
               ipc::ControlVerb::ShowHosts,
               "",
               CtlOutput::Lines,
               "list the remote hosts the relay knows"},
    CtlCommand{{"show", "hoststats"},
               ipc::ControlVerb::ShowHostStats,
               "",
               CtlOutput::Lines,
               "list the last relaying result per domain"},
    CtlCommand{{"show", "queue"},
               ipc::ControlVerb::ShowQueue,
               "",
               CtlOutput::Lines,
               "list the queued recipients"},
    CtlCommand{{"show", "relays"},
               ipc::ControlVerb::ShowRelays,
               "",
               CtlOutput::Lines,
               "list the relays active now"},
    CtlCommand{{"show", "routes"},
               ipc::ControlVerb::ShowRoutes,
               "",
               CtlOutput::Lines,
               "list the routes (source to host) the relay knows"},
    CtlCommand{{"stop", ""}, ipc::ControlVerb::Stop, "", CtlOutput::Confirmation, "stop smtpd"},
};

/// The command `words` name (the arguments after the options). Resolved word by word, as
/// smtpctl(8) does: each word is an exact word of the commands still possible or the prefix of
/// exactly one, so "s" alone is ambiguous (schedule, show, stop), never "stop". A Failure
/// (invalid_argument) says why: no command, an unknown or ambiguous word, or a command cut short.
[[nodiscard]] Result<CtlCommand> parse_command(std::span<std::string const> words);

/// The request `command` sends when `words` named it (parse_command), with request id `id`.
[[nodiscard]] ipc::ControlRequest
make_request(CtlCommand const& command, std::span<std::string const> words, ipc::RequestId id);

/// The usage message: the synopsis and one line per command.
[[nodiscard]] std::string usage_text();

/// True when the program was run as `mailq` (argv[0]'s last path component), which is
/// `smtpctl show queue`.
[[nodiscard]] bool invoked_as_mailq(std::string_view argv0);

/// What smtpctl prints for `reply`, and its exit status.
struct CtlPrint {
    std::vector<std::string> out; ///< to stdout
    std::vector<std::string> err; ///< to stderr
    int status = 0;
};

/// An ok reply's lines (or the confirmation) go to stdout, status 0; a failed reply's lines (or
/// "command failed") to stderr, status 1.
[[nodiscard]] CtlPrint print_reply(CtlCommand const& command, ipc::ControlReply const& reply);

} // namespace smtpd::rt
