// The process title `ps` shows: "smtpd: queue" and so on, as OpenSMTPD's setproctitle(3) gives
// on BSD. On Linux the title is the memory of argv, so it is rewritten in place (the strings of
// argv are contiguous; the title is cut to fit them), and the kernel's short name follows
// (prctl PR_SET_NAME, 15 octets). Depends on: the C library.
#pragma once

#include <string_view>

namespace smtpd::rt {

/// Remembers argv for set_proc_title; call first thing in main.
void init_proc_title(int argc, char** argv);

/// Sets the title. Later arguments in argv are overwritten: read them before.
void set_proc_title(std::string_view title);

} // namespace smtpd::rt
