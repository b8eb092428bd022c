// Delivery to an external command (smtpd.conf's `mda "command"`), as OpenSMTPD's mda_unpriv.c
// does it: execve("/bin/sh", {"sh", "-c", command}) with a clean environment, the working
// directory the user's home, the prepended lines and the message (CRLF -> LF) on stdin, stdout
// and stderr captured together, a time limit that kills the command's process group. Exit
// status as sendmail's markfailure(): 0 delivered; EX_TEMPFAIL, EX_OSERR, EX_IOERR, a signal or
// the time limit try again; anything else bounces, with the RFC 3463 status of kMdaExits. Runs in
// the delivery child, as the recipient. Invariant: no value reaches the shell unquoted
// (shell_quote, CVE-2020-7247). Depends on: common/, deliver/outcome.hpp, deliver/maildir.hpp
// (crlf_to_lf).
#pragma once

#include "deliver/outcome.hpp"

#include <array>
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

/// What an exit status of the command means: a sysexits(3) code, its enhanced status code
/// (RFC 3463) and whether to try again.
struct MdaExit {
    int code;
    std::string_view status;
    bool temporary;
    std::string_view text;
};

/// The sysexits(3) codes, with the status codes Postfix's sys_exits.c gives them; EX_IOERR is
/// temporary as in sendmail. A code not listed is kUnknownMdaExit.
inline constexpr std::array<MdaExit, 15> kMdaExits{{
    {64, "5.3.0", false, "command line usage error"},
    {65, "5.6.0", false, "data format error"},
    {66, "5.3.0", false, "cannot open input"},
    {67, "5.1.1", false, "user unknown"},
    {68, "5.1.2", false, "host name unknown"},
    {69, "5.3.0", false, "service unavailable"},
    {70, "5.3.0", false, "internal software error"},
    {71, "4.3.0", true, "system resource problem"},
    {72, "5.3.0", false, "critical OS file missing"},
    {73, "5.2.0", false, "cannot create output file"},
    {74, "4.3.0", true, "input/output error"},
    {75, "4.3.0", true, "temporary failure"},
    {76, "5.5.0", false, "remote error in protocol"},
    {77, "5.7.0", false, "permission denied"},
    {78, "5.3.5", false, "local configuration error"},
}};
inline constexpr MdaExit kUnknownMdaExit{-1, "5.3.0", false, "unknown exit status"};
/// A command killed by a signal (or by the time limit) is tried again.
inline constexpr std::string_view kSignalledStatus = "4.3.0";

/// The meaning of a non-zero exit code.
[[nodiscard]] MdaExit mda_exit(int code);

/// The outcome for a waitpid(2) status; `output` is what the command wrote (its last line is
/// quoted in the text). The text starts with the status code: "5.1.1 mda exited 67 (user
/// unknown): <last line>", which the queue puts in the failure notice.
[[nodiscard]] DeliveryOutcome mda_outcome(int wait_status, std::string_view output);

/// `value` as one shell word: single quotes around it, each ' written as '\''. Nothing inside
/// single quotes is special to sh (POSIX XCU 2.2.2), newlines included. NUL bytes, which no
/// command line can hold, are dropped.
[[nodiscard]] std::string shell_quote(std::string_view value);

} // namespace smtpd::rt
