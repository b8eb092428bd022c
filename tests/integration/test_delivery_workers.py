"""Local deliveries run by long-lived workers, one account each (runtime/parent/delivery_workers):
several deliveries to one user go through one worker process, each account gets its own worker
running as that user (run as root), an idle worker goes away, and a worker killed in the middle of
a delivery leaves that recipient queued with a temporary failure, never reported delivered.
The Maildir recipients of a message are asked for at once and one worker makes them as a batch
(parent/delivery_batch: new/ synced once for all); a slow mda of an account never holds up a
Maildir delivery of the same account.
"""
import os
import pwd
import signal
import smtplib
import unittest
import urllib.parse

import harness
import spool_files
from test_delivery_methods import wait_for
from test_processes import children_of, cmdline, status_field, wait_gone

ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody")


class WorkerSmtpd(harness.Smtpd):
    """Maildir delivery to the homes of two userbase accounts, alice (nobody's ids when run as
    root) and bob (the test's own), and an mda that sleeps for slow.test (as bob)."""

    CONFIG = """\
table vusers {{ "alice@localhost" = "alice", "bob@localhost" = "bob", "@slow.test" = "bob",
                "a1@localhost" = "alice", "a2@localhost" = "alice", "a3@localhost" = "alice",
                "a4@localhost" = "alice" }}
table accounts {{ alice = "{alice_ids}:{dir}/alice", bob = "{bob_ids}:{dir}/bob" }}
listen on 127.0.0.1 port {port}
action "local" maildir virtual <vusers> userbase <accounts>
action "slow" mda "sleep 60" virtual <vusers> userbase <accounts>
match from any for domain "slow.test" action "slow"
match from any for local action "local"
"""

    def prepare(self):
        ids = {"alice": (NOBODY.pw_uid, NOBODY.pw_gid) if ROOT else (os.getuid(), os.getgid()),
               "bob": (os.getuid(), os.getgid())}
        for name, (uid, gid) in ids.items():
            home = os.path.join(self.dir, name)
            os.makedirs(home, exist_ok=True)
            os.chown(home, uid, gid)
        os.chmod(self.dir, 0o755)
        with open(self.config, "w") as f:
            f.write(self.CONFIG.format(port=self.port, dir=self.dir,
                                       alice_ids="%d:%d" % ids["alice"],
                                       bob_ids="%d:%d" % ids["bob"]))
        self.ids = ids

    def mailbox(self, user):
        new = os.path.join(self.dir, user, "Maildir", "new")
        return sorted(os.listdir(new)) if os.path.isdir(new) else []

    def workers(self, user):
        """The pids of the parent's children titled as delivery workers for `user`."""
        title = "smtpd: delivery " + user
        return sorted(p for p in children_of(self.proc.pid) if _title(p) == title)


def _title(pid):
    try:
        return cmdline(pid).strip()
    except OSError:
        return ""


class DeliveryWorkers(unittest.TestCase):
    def setUp(self):
        self.smtpd = WorkerSmtpd(extra_args=["-T", "imsg"]).start()
        self.addCleanup(self.smtpd.cleanup)

    def send(self, rcpt, body="hello\r\n"):
        with smtplib.SMTP("127.0.0.1", self.smtpd.port, timeout=10) as c:
            c.sendmail("sender@example.org", [rcpt], "Subject: t\r\n\r\n" + body)

    def queued_envelopes(self):
        """The text of every envelope in the spool's queue/, its %XX escapes decoded."""
        texts = spool_files.queued_envelopes(self.smtpd.spool).values()
        return urllib.parse.unquote(b"".join(texts).decode(errors="replace"))

    def delivered(self, user, count):
        got = wait_for(lambda: len(self.smtpd.mailbox(user)) >= count)
        self.assertTrue(got, "%s has %d messages, not %d\nlog:\n%s" % (
            user, len(self.smtpd.mailbox(user)), count, self.smtpd.read_log()))

    def test_deliveries_to_one_user_go_through_one_worker(self):
        self.send("alice@localhost")
        self.delivered("alice", 1)
        first = self.smtpd.workers("alice")
        self.assertEqual(len(first), 1, self.smtpd.read_log())
        for n in range(2, 6):
            self.send("alice@localhost")
            self.delivered("alice", n)
        self.assertEqual(self.smtpd.workers("alice"), first)

    def test_each_account_has_its_own_worker_running_as_that_user(self):
        self.send("alice@localhost")
        self.send("bob@localhost")
        self.delivered("alice", 1)
        self.delivered("bob", 1)
        for user in ("alice", "bob"):
            pids = self.smtpd.workers(user)
            self.assertEqual(len(pids), 1, user)
            uid, gid = self.smtpd.ids[user]
            self.assertEqual(status_field(pids[0], "Uid"), [str(uid)] * 4, user)
            self.assertEqual(status_field(pids[0], "Gid"), [str(gid)] * 4, user)
            # Beyond stdin, stdout and stderr: one socket (its channel) and its event loop's
            # descriptors, none of the parent's (its channels to the roles are sockets too).
            fds = "/proc/%d/fd" % pids[0]
            kinds = [os.readlink(os.path.join(fds, fd)).split(":")[0]
                     for fd in os.listdir(fds) if int(fd) > 2]
            self.assertEqual(kinds.count("socket"), 1, (user, kinds))
            self.assertEqual(set(kinds), {"socket", "anon_inode"}, (user, kinds))

    def test_the_maildir_recipients_of_a_message_are_one_batch_of_one_worker(self):
        rcpts = ["alice@localhost"] + ["a%d@localhost" % n for n in range(1, 5)]
        with smtplib.SMTP("127.0.0.1", self.smtpd.port, timeout=10) as c:
            c.sendmail("sender@example.org", rcpts, "Subject: t\r\n\r\nfive\r\n")
        self.delivered("alice", 5)
        self.assertEqual(len(self.smtpd.workers("alice")), 1, self.smtpd.read_log())
        # The queue drops the message only once it has all five answers, so by then the parent
        # has logged every request and answer it traced (-T imsg, started so); both kinds of
        # line come from the parent alone, in the order it handled them.
        self.assertTrue(wait_for(lambda: not spool_files.queued_ids(self.smtpd.spool)),
                        self.smtpd.read_log())
        # The parent was asked for all five before it answered any.
        log = [l for l in self.smtpd.read_log().splitlines() if "imsg: parent" in l]
        asked = [i for i, l in enumerate(log) if "parent <- queue LocalDelivery" in l]
        answered = [i for i, l in enumerate(log) if "parent -> queue LocalDeliveryDone" in l]
        self.assertEqual(len(asked), 5, "\n".join(log))
        self.assertEqual(len(answered), 5, "\n".join(log))
        self.assertLess(max(asked), min(answered), "\n".join(log))
        for name in self.smtpd.mailbox("alice"):
            with open(os.path.join(self.smtpd.dir, "alice", "Maildir", "new", name)) as f:
                self.assertIn("five", f.read())

    def test_a_slow_mda_does_not_hold_up_a_maildir_of_its_account(self):
        self.send("someone@slow.test")
        busy = wait_for(lambda: [p for p in self.smtpd.workers("bob") if children_of(p)])
        self.assertTrue(busy, self.smtpd.read_log())
        self.send("bob@localhost")
        self.delivered("bob", 1)
        workers = self.smtpd.workers("bob")
        self.assertEqual(len(workers), 2, self.smtpd.read_log())
        self.assertIn(busy[0], workers)

    def test_an_idle_worker_goes_away(self):
        self.send("bob@localhost")
        self.delivered("bob", 1)
        pids = self.smtpd.workers("bob")
        self.assertEqual(len(pids), 1)
        # kWorkerIdle is 10 seconds.
        self.assertEqual(wait_gone(pids, timeout=30), [])

    def test_a_worker_killed_mid_delivery_leaves_the_recipient_queued(self):
        self.send("someone@slow.test")
        busy = wait_for(lambda: [p for p in self.smtpd.workers("bob") if children_of(p)])
        self.assertTrue(busy, self.smtpd.read_log())
        command = children_of(busy[0])
        os.kill(busy[0], signal.SIGKILL)
        for pid in command:  # the mda command runs in its own process group: end it too
            os.killpg(pid, signal.SIGKILL)
        # The state asserted: the queued envelope records the temporary failure.
        recorded = wait_for(lambda: "killed by signal 9" in self.queued_envelopes())
        self.assertTrue(recorded, self.smtpd.read_log())
        self.assertEqual(len(spool_files.queued_ids(self.smtpd.spool)), 1)
        self.assertTrue([l for l in self.smtpd.read_log().splitlines()
                         if "result=TempFail" in l and "killed by signal 9" in l])
        self.assertNotIn("result=Ok", self.smtpd.read_log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
