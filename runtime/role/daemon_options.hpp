// The command line of smtpd(8) as every role process sees it: the parent parses it, and each
// child is re-executed with the same options plus `-x <role>`.
// Depends on: the standard library.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ipc/messages.hpp"

namespace smtpd::rt {

struct DaemonOptions {
    bool debug = false;              ///< -d: foreground, log to stderr
    bool foreground = false;         ///< -F: foreground, log to syslog
    bool verbose = false;            ///< -v
    std::vector<std::string> traces; ///< -T: OpenSMTPD's trace subsystems, as given
    bool check_only = false;         ///< -n
    std::string config = "/etc/smtpd.conf";
    std::string spool = SMTPD_DEFAULT_SPOOL;
    std::string socket = SMTPD_SOCKET; ///< -s: the control socket
    std::map<std::string, std::string> defines;
    std::optional<ipc::Role> role; ///< -x: this process is that child role
    bool paused_mda = false;       ///< -P mda: start with local deliveries paused
    bool paused_mta = false;       ///< -P mta: start with relaying paused
};

} // namespace smtpd::rt
