// Negative build probe (tests/layering/probe_test.py): a statemachine/ source that includes
// runtime/, which the layering (docs/arch/overview.md) forbids. Compiled with the flags of a
// statemachine source it must fail on that include and nothing else; with SMTPD_PROBE_CONTROL it
// must compile, which shows the failure is the forbidden include's.
#include "smtpd/sm/framer.hpp"
#ifndef SMTPD_PROBE_CONTROL
#include "common/result.hpp"
#endif

int smtpd_probe_statemachine();
int smtpd_probe_statemachine() {
    return 0;
}
