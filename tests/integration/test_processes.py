"""The process model (issue 6): the role processes exist under their titles and, run as root,
under their users and in their jails; the dispatcher cannot reach the spool; a child that dies
takes the daemon down cleanly; SIGTERM stops every role; children do not outlive a parent killed
with SIGKILL. Run as a normal user, the same processes start without any privilege drop.
"""
import os
import pwd
import signal
import time
import unittest

from harness import Smtpd

ROLES = ["lookup", "queue", "scheduler", "control", "dispatcher"]
ROOT = os.geteuid() == 0


def status_field(pid, name):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1:]
    raise AssertionError("no %s in /proc/%d/status" % (name, pid))


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().rstrip(b"\0").replace(b"\0", b" ").decode()


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if int(status_field(int(entry), "PPid")[0]) == pid:
                out.append(int(entry))
        except (OSError, AssertionError):
            pass
    return out


def wait_gone(pids, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if os.path.exists("/proc/%d" % p) and
                 status_field(p, "State")[0] != "Z"]
        if not alive:
            return []
        time.sleep(0.05)
    return alive


class ProcessTree(unittest.TestCase):
    def start(self):
        s = Smtpd().start()
        self.addCleanup(s.cleanup)
        return s

    def roles(self, s):
        """role name -> pid, from the titles of the parent's children."""
        by_title = {}
        for pid in children_of(s.proc.pid):
            title = cmdline(pid)
            if title.startswith("smtpd: "):
                by_title[title[len("smtpd: "):]] = pid
        return by_title

    def test_every_role_runs_under_its_title(self):
        s = self.start()
        self.assertEqual(sorted(self.roles(s)), sorted(ROLES))

    @unittest.skipUnless(ROOT, "privilege drop needs root")
    def test_roles_run_as_their_users_in_their_jails(self):
        s = self.start()
        roles = self.roles(s)
        smtpd, smtpq = pwd.getpwnam("_smtpd").pw_uid, pwd.getpwnam("_smtpq").pw_uid
        expected = {"lookup": (smtpd, "/"), "queue": (smtpq, os.path.realpath(s.spool)),
                    "scheduler": (smtpq, "/var/empty"), "control": (smtpd, "/var/empty"),
                    "dispatcher": (smtpd, "/var/empty")}
        for role, (uid, root) in expected.items():
            pid = roles[role]
            self.assertEqual({int(u) for u in status_field(pid, "Uid")}, {uid}, role)
            self.assertEqual(os.readlink("/proc/%d/root" % pid), root, role)
        self.assertEqual(int(status_field(s.proc.pid, "Uid")[0]), 0)

    @unittest.skipUnless(ROOT, "privilege drop needs root")
    def test_the_spool_belongs_to_the_queue_and_the_dispatcher_cannot_reach_it(self):
        s = self.start()
        st = os.stat(s.spool)
        self.assertEqual(st.st_uid, pwd.getpwnam("_smtpq").pw_uid)
        self.assertEqual(st.st_mode & 0o777, 0o700)
        dispatcher = self.roles(s)["dispatcher"]
        # Its root is the empty directory, and its user is not the spool's owner.
        self.assertEqual(os.listdir("/proc/%d/root/" % dispatcher), [])
        self.assertNotEqual(int(status_field(dispatcher, "Uid")[1]), st.st_uid)

    @unittest.skipIf(ROOT, "checks the normal-user mode")
    def test_a_normal_user_runs_every_role_as_itself(self):
        s = self.start()
        for role, pid in self.roles(s).items():
            self.assertEqual({int(u) for u in status_field(pid, "Uid")}, {os.getuid()}, role)
        self.assertIn("no privilege drop", s.read_log())

    def test_a_child_that_dies_stops_the_daemon_with_a_reason(self):
        s = self.start()
        roles = self.roles(s)
        os.kill(roles["queue"], signal.SIGKILL)
        self.assertEqual(s.proc.wait(timeout=20), 1)
        self.assertEqual(wait_gone(list(roles.values())), [])
        self.assertRegex(s.read_log(), r"queue process exited \(signal 9\): stopping")

    def test_sigterm_stops_every_role(self):
        s = self.start()
        roles = self.roles(s)
        s.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.proc.wait(timeout=20), 0)
        self.assertEqual(wait_gone(list(roles.values())), [])

    def test_sighup_is_ignored(self):
        s = self.start()
        s.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        self.assertIsNone(s.proc.poll())
        self.assertEqual(sorted(self.roles(s)), sorted(ROLES))
        self.assertIn("SIGHUP ignored", s.read_log())

    def test_children_do_not_outlive_a_parent_killed_with_sigkill(self):
        s = self.start()
        roles = self.roles(s)
        s.proc.kill()
        s.proc.wait(timeout=10)
        self.assertEqual(wait_gone(list(roles.values())), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
