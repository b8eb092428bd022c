// Negative build probe (tests/layering/probe_test.py): a runtime/dispatcher/ source that includes
// runtime/queue/, which the layering (docs/arch/overview.md) forbids. Compiled with the flags of
// a dispatcher source it must fail on that include and nothing else; with SMTPD_PROBE_CONTROL it
// must compile, which shows the failure is the forbidden include's.
#include "dispatcher/received.hpp"
#include "ipc/messages.hpp"
#ifndef SMTPD_PROBE_CONTROL
#include "queue/queue_process.hpp"
#endif

int smtpd_probe_dispatcher();
int smtpd_probe_dispatcher() {
    return static_cast<int>(smtpd::ipc::kIpcVersion);
}
