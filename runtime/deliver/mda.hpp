// Delivery to an external command (smtpd.conf's `mda "command"`), as OpenSMTPD's mda_unpriv.c
// does it: execve("/bin/sh", {"sh", "-c", command}) with a clean environment, the working
// directory the user's home, the prepended lines and the message (CRLF -> LF) on stdin, stdout
// and stderr captured together, a time limit that kills the command's process group. Exit
// status as sendmail's markfailure(): 0 delivered; EX_TEMPFAIL, EX_OSERR, EX_IOERR, a signal or
// the time limit try again; anything else bounces. Runs in the delivery child, as the
// recipient. Invariant: no value reaches the shell unquoted (shell_quote, CVE-2020-7247).
// Depends on: common/, deliver/outcome.hpp, deliver/maildir.hpp (crlf_to_lf).
#pragma once

#include "deliver/outcome.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace smtpd::rt {

/// The command and what its environment says about the message and the user.
struct MdaDelivery {
    std::string command; ///< already expanded; every expanded value went through shell_quote
    std::string prepend; ///< header lines with LF ends, written before the message
    std::string message_path;
    std::string user;               ///< USER and LOGNAME
    std::string home;               ///< HOME, and the working directory ("/" if unusable)
    std::string sender;             ///< SENDER: "a@b", or empty for <>
    std::string recipient;          ///< RECIPIENT: the final address after aliases
    std::string original_recipient; ///< ORIGINAL_RECIPIENT, and LOCAL / DOMAIN split from it
    std::string extension;          ///< EXTENSION: the sub-address after '+'; omitted if empty
    std::chrono::milliseconds timeout{std::chrono::minutes(10)};
    int message_fd = -1; ///< when valid, the message is read from it (deliver/message_source.hpp)
};

/// How much of the command's output is kept: the last line of it is the outcome's text.
inline constexpr std::size_t kMdaOutputLimit = 4096;

/// Runs the command and maps how it ended; a failure to start it is TempFail.
[[nodiscard]] DeliveryOutcome deliver_mda(MdaDelivery const& delivery);

/// The environment, "NAME=value" each: PATH (_PATH_DEFPATH), DOMAIN, HOME, ORIGINAL_RECIPIENT,
/// RECIPIENT, SHELL=/bin/sh, LOCAL, LOGNAME, USER, SENDER, and EXTENSION when there is one.
[[nodiscard]] std::vector<std::string> mda_environment(MdaDelivery const& delivery);

/// The outcome for a waitpid(2) status; `output` is what the command wrote (its last line is
/// quoted in the text).
[[nodiscard]] DeliveryOutcome mda_outcome(int wait_status, std::string_view output);

/// `value` as one shell word: single quotes around it, each ' written as '\''. Nothing inside
/// single quotes is special to sh (POSIX XCU 2.2.2), newlines included. NUL bytes, which no
/// command line can hold, are dropped.
[[nodiscard]] std::string shell_quote(std::string_view value);

} // namespace smtpd::rt
