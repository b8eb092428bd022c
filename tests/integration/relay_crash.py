#!/usr/bin/env python3
"""The crash campaign while relaying (issue 14, Tests): crash_campaign.py's clients send messages
for implicit.example (no MX: its A record, 127.0.0.20) on smtpd's local listener, smtpd relays
them (`match from local for any action "relay"`) to Postfix's smtp-sink listening there, and the
whole process group of smtpd is killed with SIGKILL at random instants and restarted on the same
spool. smtp-sink is a process of its own and never killed; it writes each message it accepted
to a file (-d) and removes the file of a transaction that did not end with its 250.

At the end smtpd runs until its queue is empty, and the sink's files are compared with what the
clients saw: every message that got 250 from us must be at the sink at least once for each
recipient, complete; one that got no 250 (rejected, or the connection died before the dot) must
not be there; one whose reply was lost may be. A message relayed twice (smtpd killed after the
sink's 250 and before the queue recorded the delivery) is the duplicate RFC 5321 §6.1 allows:
counted and reported (`duplicates`, `extra_copies`), not a failure.

Runs inside netns.py's private namespace (unbound answers implicit.example); used by
test_relay_crash.py (a few rounds, in CI) and by .ci/campaigns/relay-crash (the long run):
    SMTPD_BIN=build/asan/runtime/smtpd python3 relay_crash.py --rounds 200 [--seed N]
Depends on: crash_campaign.py, netns.py, relay_env.py, harness.py. Design:
docs/arch/crash-campaign.md (Relaying).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash_campaign  # noqa: E402
import netns  # noqa: E402
import relay_env  # noqa: E402

DOMAIN = "implicit.example"
SINK_HOST = "implicit"  # relay_env's name of 127.0.0.20
# Nothing beyond relay_env's -d: smtp-sink speaks ESMTP with PIPELINING, as an MX would. Its EHLO
# reply ends with an empty "250 " line, which our client reads as 250 (client_reply_test.cpp,
# TakesALastLineOfACodeAndASpaceAlone); with -e it would answer EHLO with 500 and get HELO.
SINK_OPTIONS = []


class RelayCrashSmtpd(crash_campaign.CrashSmtpd):
    CONFIG = relay_env.RELAY_CONFIG


def sink_connections(address="127.0.0.20", port=25):
    """Established TCP connections to address:port now (from /proc/net/tcp): relays in flight."""
    octets = address.split(".")
    local = "%02X%02X%02X%02X:%04X" % (int(octets[3]), int(octets[2]), int(octets[1]),
                                       int(octets[0]), port)
    with open("/proc/net/tcp") as f:
        return sum(1 for line in f.readlines()[1:]
                   if line.split()[1] == local and line.split()[3] == "01")


def check_sink(sink_messages, messages):
    """Compares the sink's messages (relay_env.SmtpSink.messages()) with what the clients saw;
    returns (counts, problems)."""
    by_marker = {m.marker: m for m in messages}
    found = {}  # (marker, recipient) -> copies
    problems = []
    for got in sink_messages:
        mark = crash_campaign.MARKER.search(got["content"])
        m = by_marker.get(mark.group(1).decode()) if mark else None
        if m is None:
            problems.append("the sink got a message we never sent: %r" % got["content"][:200])
            continue
        # smtp-sink writes the content with LF endings and one more LF at the end; ours has
        # our Received: header in front.
        if not got["content"].endswith(crash_campaign.to_lf(m.content) + b"\n"):
            problems.append("%s: partial or altered at the sink (%d octets)"
                            % (m.marker, len(got["content"])))
        for rcpt in got["rcpts"]:
            key = (m.marker, rcpt.strip("<>"))
            found[key] = found.get(key, 0) + 1
    counts = crash_campaign.judge(messages, found, problems, duplicates_allowed=True)
    counts["files"] = len(sink_messages)
    return counts, problems


class RelayCampaign(crash_campaign.Campaign):
    """The campaign with relay recipients and smtp-sink as their MX (started here, stopped by
    cleanup())."""

    rcpt_domain = DOMAIN

    def __init__(self, *args, **kw):
        self.env = relay_env.RelayEnv()
        self.sink = self.env.sink(SINK_HOST, options=SINK_OPTIONS)
        super().__init__(*args, **kw)
        self.stats.update({"kills_while_relaying": 0, "relay_connections_at_kills": 0})

    def make_smtpd(self):
        return RelayCrashSmtpd()

    def check(self, messages):
        netns.resolver_nameservers(self.smtpd.read_log())  # on loopback, or AssertionError
        return check_sink(self.sink.messages(), messages)

    def stop_round(self, r):
        relaying = sink_connections()
        self.stats["kills_while_relaying"] += relaying > 0
        self.stats["relay_connections_at_kills"] += relaying
        super().stop_round(r)

    def cleanup(self, keep=False):
        super().cleanup(keep)
        if keep:
            self.sink.stop()
            print("kept", self.env.dir)
        else:
            self.env.stop()


REPORT_KEYS = ["seed", "rounds", "seconds", "messages", "250", "rejected", "lost-reply",
               "not-sent", "kills_in_flight", "kills_awaiting_reply", "kills_with_queued_mail",
               "kills_while_relaying", "relay_connections_at_kills", "files", "lost", "duplicates",
               "extra_copies", "delivered_without_250", "lost_reply_delivered"]


def report(stats):
    return crash_campaign.report(stats, REPORT_KEYS)


def main():
    return crash_campaign.main(RelayCampaign, report, "relay crash campaign", rounds=100,
                               before=netns.enter)


if __name__ == "__main__":
    sys.exit(main())
