"""Crash safety while relaying (issue 14, Tests): the bounded relay crash campaign of
relay_crash.py (SMTPD_RELAY_CRASH_ROUNDS rounds, 10 by default, within SMTPD_RELAY_CRASH_BUDGET
seconds of rounds, 30 by default; SMTPD_CRASH_SEED repeats a run) in netns.py's private namespace:
smtpd relays to smtp-sink while its process group is killed with SIGKILL at random instants.
Every message that got 250 reaches the sink at least once per recipient, complete; none that got
no 250 does; duplicates (RFC 5321 §6.1) are counted and printed, not failed. The long run is
.ci/campaigns/relay-crash. Root only (smtp-sink drops privileges, smtpd starts its roles).
Depends on: relay_crash.py, netns.py.
"""
import os
import random
import unittest

import netns
from relay_crash import RelayCampaign, report
from relay_env import in_user_namespace


@unittest.skipIf(in_user_namespace(), "smtpd and smtp-sink cannot start as the root of a user "
                                      "namespace")
class RelayCrashCampaign(unittest.TestCase):
    def test_every_250_reaches_the_mx_at_least_once_under_random_sigkills(self):
        rounds = int(os.environ.get("SMTPD_RELAY_CRASH_ROUNDS", "10"))
        budget = float(os.environ.get("SMTPD_RELAY_CRASH_BUDGET", "30"))
        seed = int(os.environ.get("SMTPD_CRASH_SEED", random.SystemRandom().getrandbits(31)))
        print("\nrelay crash campaign: seed=%d rounds=%d budget=%ds" % (seed, rounds, budget),
              flush=True)
        campaign = RelayCampaign(rounds, seed, clients=4, budget=budget)
        self.addCleanup(campaign.cleanup)
        stats, problems = campaign.run()
        print("relay crash campaign:", report(stats), flush=True)
        self.assertEqual(problems, [], "seed=%d\n%s" % (seed, "\n".join(problems[:30])))
        self.assertEqual(stats["lost"], 0)
        self.assertGreater(stats["250"], 0)
        self.assertGreater(stats["files"], 0)
        # The kills must land while there is mail to relay, or the test shows nothing.
        self.assertGreater(stats["kills_in_flight"] + stats["kills_with_queued_mail"], 0)


if __name__ == "__main__":
    netns.run_tests()
