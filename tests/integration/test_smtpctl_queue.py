"""smtpctl schedule and remove against a real daemon, by msgid, evpid and all. Messages stay
queued behind an mda that exits 75 (EX_TEMPFAIL) until the test creates the file `up` in its
directory ("the destination is back"); the first retry would come only after 5 minutes, so an
attempt within the test is the one `schedule` caused. `remove` takes recipients out durably:
the envelope on disk no longer has them, the message's file goes with the last one, nothing
removed is ever delivered, and the log has OpenSMTPD's "Remove" lines.
"""
import os
import re
import unittest

import spool_files
import test_delivery_methods as methods
from test_smtpctl import SmtpctlTestCase

FLAKY = ('action "flaky" mda "cd {mda}; if test -e up; then cat > flaky-%{{rcpt.user}}.txt; '
         'else cat >/dev/null; echo destination down; exit 75; fi" virtual <vusers>\n')
SLOW = 'action "slow" mda "cat >/dev/null; sleep 3; exit 75" virtual <vusers>\n'


class QueueSmtpd(methods.DeliverySmtpd):
    """DeliverySmtpd plus flaky.test (exit 75 until <mda>/up exists, then a file per
    recipient) and slow.test (3 s, then exit 75)."""

    CONFIG = methods.DeliverySmtpd.CONFIG.replace(
        'match from any', FLAKY + SLOW + 'match from any for domain "flaky.test" action "flaky"\n'
        'match from any for domain "slow.test" action "slow"\nmatch from any', 1)


class QueueTestCase(SmtpctlTestCase):
    def setUp(self):
        self.smtpd = QueueSmtpd()
        self.addCleanup(self.smtpd.cleanup)
        self.smtpd.start()
        self.assertTrue(self.control_accepts(), self.log())

    def destination_back(self):
        with open(os.path.join(self.smtpd.mda_dir, "up"), "w"):
            pass

    def delivered(self, user):
        return os.path.join(self.smtpd.mda_dir, "flaky-%s.txt" % user)

    def hold(self, rcpts, body=b"Subject: held\r\n\r\nheld\r\n"):
        """Sends one message to `rcpts`; returns (msgid, {rcpt: envelope}) once its first
        attempt failed for all of them."""
        before = set(self.smtpd.queued())
        self.send("s@localhost", rcpts, body)
        envs = self.wait_attempted(sorted(set(rcpts) | self.queued_rcpts()))
        (msgid,) = set(self.smtpd.queued()) - before
        return msgid, {r: e for r, e in envs.items() if e["evpid"].startswith(msgid)}

    def queued_rcpts(self):
        return {e["rcpt"] for e in self.envelopes()}

    def envelope_file(self, msgid):
        """The envelope text in the queue file of `msgid`."""
        path = os.path.join(self.smtpd.spool, "queue", msgid)
        return spool_files.read_queued(path)[0].decode()

    def assertRemoveLogged(self, evpid, to):
        self.wait_log(r"delivery: Remove for %s: from=<s@localhost>, to=<%s>, rcpt=<->, "
                      r"delay=\w+, stat=Removed by administrator" % (evpid, re.escape(to)))

    def assertSpoolEmpty(self):
        self.assertEqual(self.smtpd.queued(), [])
        self.assertEqual(self.ok("show", "queue"), [])


class Schedule(QueueTestCase):
    def test_schedule_msgid_attempts_now_and_delivers_once_the_destination_is_back(self):
        msgid, _ = self.hold(["a@flaky.test"])
        self.destination_back()
        self.schedule_until_due(msgid)
        self.wait_file(self.delivered("a"), lambda data: b"held" in data)
        self.assertQueueDrains()
        self.assertSpoolEmpty()

    def test_schedule_evpid_attempts_its_message_now(self):
        msgid, envs = self.hold(["b@flaky.test"])
        self.assertNotIn("attempt=2", self.log())
        self.schedule_until_due(envs["b@flaky.test"]["evpid"])
        self.wait_log(r"to=<b@flaky.test> .* result=TempFail attempt=2")
        self.wait_attempted(["b@flaky.test"], attempts="2")

    def test_schedule_names_only_its_message(self):
        first, _ = self.hold(["one@flaky.test"])
        self.hold(["two@flaky.test"])
        self.destination_back()
        self.schedule_until_due(first)
        self.wait_file(self.delivered("one"))
        self.wait_envelopes(lambda envs: [e["rcpt"] for e in envs] == ["two@flaky.test"])
        self.assertFalse(os.path.exists(self.delivered("two")))

    def test_schedule_of_an_id_not_queued_schedules_nothing(self):
        self.assertEqual(self.ok("schedule", "0123456789abcdef"), ["0 message scheduled"])
        self.assertEqual(self.ok("schedule", "0123456789abcdef00000001"), ["0 message scheduled"])


class Remove(QueueTestCase):
    def test_remove_evpid_removes_that_recipient_only_and_for_good(self):
        msgid, envs = self.hold(["a@flaky.test", "b@flaky.test"])
        gone = envs["b@flaky.test"]["evpid"]
        self.assertEqual(self.ok("remove", gone), ["1 envelope removed"])
        self.assertRemoveLogged(gone, "b@flaky.test")
        # durably: the envelope on disk has only the other recipient, which keeps its evpid
        self.assertNotIn("b@flaky.test", self.envelope_file(msgid))
        self.assertIn("a@flaky.test", self.envelope_file(msgid))
        (left,) = self.envelopes()
        self.assertEqual((left["rcpt"], left["evpid"]), ("a@flaky.test",
                                                         envs["a@flaky.test"]["evpid"]))
        self.assertEqual(self.ok("remove", gone), ["0 envelope removed"])
        # the destination is back: the other recipient is delivered, the removed one never
        self.destination_back()
        self.schedule_until_due(msgid)
        self.wait_file(self.delivered("a"))
        self.assertQueueDrains()
        self.assertFalse(os.path.exists(self.delivered("b")))
        self.assertNotIn("to=<b@flaky.test> user", self.log().split("Remove for")[-1])

    def test_remove_msgid_removes_the_message_and_its_file(self):
        msgid, envs = self.hold(["a@temp.test", "b@temp.test"])
        self.assertEqual(self.ok("remove", msgid), ["2 envelopes removed"])
        for rcpt, e in envs.items():
            self.assertRemoveLogged(e["evpid"], rcpt)
        self.assertSpoolEmpty()
        self.assertFalse(os.path.exists(os.path.join(self.smtpd.spool, "queue", msgid)))
        # the scheduler forgot it too
        self.assertEqual(self.ok("schedule", "all"), ["0 message scheduled"])

    def test_remove_all_empties_the_queue(self):
        self.hold(["a@temp.test"])
        self.hold(["b@flaky.test", "c@flaky.test"])
        self.assertEqual(self.ok("remove", "all"), ["3 envelopes removed"])
        self.assertSpoolEmpty()
        self.wait_log_count(r"delivery: Remove for [0-9a-f]{24}: ", 3)
        self.assertEqual(self.ok("schedule", "all"), ["0 message scheduled"])
        # nothing removed is delivered, even with the destination back
        self.destination_back()
        self.assertEqual(self.ok("remove", "all"), ["0 envelope removed"])
        self.assertEqual(os.listdir(self.smtpd.mda_dir), ["up"])

    def test_remove_waits_for_a_delivery_in_flight(self):
        self.send("s@localhost", ["x@slow.test"], b"Subject: slow\r\n\r\nslow\r\n")
        (e,) = self.wait_envelopes(lambda envs: [x["runstate"] for x in envs] == ["inflight"])
        msgid = e["evpid"][:16]
        self.assertEqual(self.ok("remove", msgid), ["1 envelope removed"])
        # the attempt under way ended first: its result is logged before the removal
        log = self.log()
        self.assertRegex(log, r"to=<x@slow.test> .* result=TempFail attempt=1(.|\n)*"
                              r"Remove for %s" % e["evpid"])
        self.assertSpoolEmpty()
        if methods.wait_for(lambda: self.ok("schedule", "all") == ["0 message scheduled"]) is None:
            self.fail("the scheduler kept the removed message; log:\n" + self.log())

    def test_a_malformed_id_is_a_usage_error(self):
        for word in ("0123", "0123456789abcdeg", "0123456789abcdef0"):
            r = self.smtpctl("remove", word)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn("smtpctl: unknown command: remove " + word, r.stderr)
        self.assertEqual(self.ok("remove", "0123456789abcdef"), ["0 envelope removed"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
