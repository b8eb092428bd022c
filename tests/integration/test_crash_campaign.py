"""Crash safety (the 250 promise under SIGKILL): the bounded crash campaign of crash_campaign.py
(SMTPD_CRASH_ROUNDS rounds, 50 by default, in SMTPD_CRASH_BUDGET seconds, 120 by default;
SMTPD_CRASH_SEED repeats a run), and one test per named kill point of a test build
(SMTPD_KILL_POINTS): the daemon dies at that instant, restarts without it, and the message is
delivered exactly once per recipient, complete, or not at all when it was never committed.
RFC 5321 §6.1: a lost 250 may cause a duplicate at the client's retry, never a loss.
Depends on: crash_campaign.py, harness.py. Campaign design: docs/arch/crash-campaign.md.
"""
import os
import random
import unittest

import harness
from crash_campaign import Campaign, CrashSmtpd, Message, check_maildir, make_content, report
from crash_campaign import transaction


def has_kill_points(path):
    """Whether the binary was built with SMTPD_KILL_POINTS (it then reads that variable)."""
    try:
        with open(path, "rb") as f:
            return b"SMTPD_KILL_POINT\0" in f.read()
    except OSError:
        return False


KILL_POINTS = has_kill_points(harness.SMTPD)


def run_campaign(test, label, rounds, budget, graceful=False):
    """Runs a campaign of `rounds` rounds (SMTPD_CRASH_SEED repeats one), prints its seed and
    counts, asserts what every campaign must show (no problem, some 250s, stops landing with
    transactions in flight, nothing lost or duplicated) and returns its counts."""
    seed = int(os.environ.get("SMTPD_CRASH_SEED", random.SystemRandom().getrandbits(31)))
    print("\n%s: seed=%d rounds=%d budget=%ds" % (label, seed, rounds, budget), flush=True)
    campaign = Campaign(rounds, seed, clients=4, budget=budget, graceful=graceful)
    test.addCleanup(campaign.cleanup)
    stats, problems = campaign.run()
    print("%s:" % label, report(stats), flush=True)
    test.assertEqual(problems, [], "seed=%d\n%s" % (seed, "\n".join(problems[:30])))
    test.assertGreater(stats["250"], 0)
    test.assertGreater(stats["kills_in_flight"], 0)
    test.assertEqual(stats["lost"], 0)
    test.assertEqual(stats["duplicates"], 0)
    return stats


class CrashCampaign(unittest.TestCase):
    def test_every_250_is_delivered_once_under_random_sigkills(self):
        stats = run_campaign(self, "crash campaign",
                             int(os.environ.get("SMTPD_CRASH_ROUNDS", "50")),
                             float(os.environ.get("SMTPD_CRASH_BUDGET", "120")))
        self.assertEqual(stats["maildir_tmp_left"], 0)


class GracefulStops(unittest.TestCase):
    """SIGTERM under the same load: exit status 0, no partial file (queue/*.new, queue/*.grow,
    Maildir/tmp) after each stop, and every 250 delivered exactly once in the end."""

    def test_sigterm_under_load_finishes_writes_and_loses_nothing(self):
        stats = run_campaign(self, "graceful stops",
                             int(os.environ.get("SMTPD_GRACEFUL_ROUNDS", "12")), 90,
                             graceful=True)
        self.assertEqual(stats["stops_not_0"], 0)
        self.assertEqual(stats["partial_files_left"], 0)


@unittest.skipUnless(KILL_POINTS, "smtpd built without SMTPD_KILL_POINTS")
class KillPoints(unittest.TestCase):
    def run_point(self, point, recipients):
        """Sends one message with SMTPD_KILL_POINT=point, waits for the daemon to die there,
        restarts it without the point and lets the queue drain; returns the message and the
        Maildir check."""
        s = CrashSmtpd()
        self.addCleanup(s.cleanup)
        s.start(kill_point=point)
        rcpts = ["p%d@localhost" % i for i in range(recipients)]
        marker = "point-%s" % point
        m = Message(marker, rcpts, make_content(random.Random(1), marker, rcpts))
        d = harness.Dialogue(s.port, timeout=30)
        try:
            self.assertEqual(d.reply()[0], 220)
            self.assertEqual(d.command(b"EHLO points.test\r\n")[0], 250)
            transaction(d, m)
        except (OSError, EOFError):
            pass
        finally:
            d.close()
        s.died()
        self.assertIn("kill point %s: SIGKILL" % point, s.read_log())
        s.start()
        self.assertEqual(s.drain(timeout=60), [], s.log_tail())
        self.assertEqual(s.unfinished_left(), [])
        s.stop()
        counts, problems = check_maildir(s.maildir, [m])
        self.assertEqual(problems, [])
        self.assertEqual(counts["maildir_tmp_left"], 0)
        return m, counts

    def test_after_content_fsync_nothing_is_acknowledged_or_delivered(self):
        m, counts = self.run_point("after-content-fsync", 1)
        # The queue died before its answer: no reply, or 451 if the dispatcher saw it first.
        self.assertIn(m.outcome, ("lost-reply", "rejected"))
        self.assertNotEqual(m.outcome, "250")
        self.assertEqual(counts["files"], 0)

    def test_before_250_the_committed_message_is_delivered_once(self):
        # RFC 5321 §6.1: the client saw no 250 and will retry: the one allowed duplicate.
        m, counts = self.run_point("before-250", 1)
        self.assertEqual(m.outcome, "lost-reply")
        self.assertEqual(counts["files"], 1)

    def test_after_maildir_rename_the_redelivery_is_recognised(self):
        m, counts = self.run_point("after-maildir-rename", 2)
        self.assertIn(m.outcome, ("250", "lost-reply"))
        self.assertEqual(counts["files"], 2)
        self.assertEqual(counts["duplicates"], 0)

    def test_before_queue_remove_the_message_is_not_delivered_twice(self):
        m, counts = self.run_point("before-queue-remove", 2)
        self.assertIn(m.outcome, ("250", "lost-reply"))
        self.assertEqual(counts["files"], 2)
        self.assertEqual(counts["duplicates"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
