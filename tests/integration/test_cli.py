"""The smtpd command line: -n checks a configuration and reports errors as file:line:column,
-D defines macros, -h prints usage; the spool is recovered at start (an old layout converted)."""
import os
import pwd
import subprocess
import tempfile
import time
import unittest

import spool_files
from harness import SMTPD, Smtpd


def run(*args):
    return subprocess.run([SMTPD, *args], capture_output=True, text=True, timeout=30)


class CliTest(unittest.TestCase):

    def write(self, text):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        path = os.path.join(d.name, "smtpd.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_check_mode_accepts_a_valid_configuration(self):
        path = self.write('listen on 127.0.0.1 port 2525\naction "l" maildir "/tmp/M"\n'
                          'match from local for local action "l"\n')
        r = run("-n", "-f", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stderr)

    def test_check_mode_reports_file_line_column(self):
        path = self.write('listen on 127.0.0.1 port 2525\n\nfrobnicate all the things\n')
        r = run("-n", "-f", path)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, "^" + path + r":3:1: ")

    def test_define_overrides_a_macro(self):
        path = self.write('portnum = "99999"\nlisten on 127.0.0.1 port $portnum\n')
        self.assertEqual(run("-n", "-f", path).returncode, 1)
        r = run("-n", "-f", path, "-D", "portnum=2526")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_trace_flags_are_accepted_as_in_opensmtpd(self):
        path = self.write('listen on 127.0.0.1 port 2525\naction "l" maildir "/tmp/M"\n'
                          'match from local for local action "l"\n')
        r = run("-T", "smtp", "-T", "expand", "-n", "-f", path)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_an_unknown_role_is_refused(self):
        r = run("-x", "nosuchrole")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no such role", r.stderr)

    def test_help_prints_usage(self):
        r = run("-h")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: smtpd", r.stdout)

    def test_unknown_flag_fails(self):
        self.assertEqual(run("-Z").returncode, 1)


class RecoveryTest(unittest.TestCase):
    """A message committed to the spool before a stop is delivered at the next start; a
    half-received one is dropped. A spool of the old layout (a directory per message, incoming/)
    is converted to the one-file layout at start (spool_files.py)."""

    def envelope(self, s, msg_id):
        # Created now: a message older than the queue ttl (4 days) would expire instead.
        return ("version 1\nid %s\ncreated %d\nhelo c.example\nclient 127.0.0.1\n"
                "local 1\nsender a@example.org\nrcpt b@localhost %s %s\nattempts 0\nerror \n"
                % (msg_id, int(time.time()), pwd.getpwuid(os.getuid()).pw_name, s.maildir))

    def start_and_deliver(self, s, marker):
        """Starts `s`; asserts the planted message `marker` is delivered and the queue empties."""
        s.start()
        got = s.find_delivered(marker)
        self.assertTrue(got.endswith(b"\n\nsurvived a restart\n"))
        self.assertTrue(s.queue_is_empty())

    def assert_removed(self, path, what):
        """`path` is gone within 10 s: the queue cleans the spool on its own time after the 220."""
        deadline = time.monotonic() + 10
        while os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(os.path.exists(path), what + " not removed at start")

    def test_an_old_spool_is_converted_and_its_committed_message_delivered(self):
        s = Smtpd()
        self.addCleanup(s.cleanup)
        msg_id = "00000000feedface"
        qdir = os.path.join(s.spool, "queue", msg_id)
        os.makedirs(qdir)
        incoming = os.path.join(s.spool, "incoming")
        os.makedirs(os.path.join(incoming, "00000000deadbeef"))
        with open(os.path.join(incoming, "00000000deadbeef", "message"), "w") as f:
            f.write("never acknowledged")
        with open(os.path.join(qdir, "message"), "wb") as f:
            f.write(b"Subject: recovered-message\r\n\r\nsurvived a restart\r\n")
        with open(os.path.join(qdir, "envelope"), "w") as f:
            f.write(self.envelope(s, msg_id))
        self.start_and_deliver(s, b"recovered-message")
        self.assert_removed(incoming, "incoming/")
        self.assertEqual(s.all_delivered(b"never acknowledged"), [])
        queue = os.path.join(s.spool, "queue")
        self.assertEqual([n for n in os.listdir(queue)
                          if os.path.isdir(os.path.join(queue, n))], [])

    def test_a_committed_file_is_delivered_and_a_partial_one_removed(self):
        s = Smtpd()
        self.addCleanup(s.cleanup)
        msg_id = "00000000cafef00d"
        queue = os.path.join(s.spool, "queue")
        os.makedirs(queue)
        spool_files.write_queued(os.path.join(queue, msg_id), self.envelope(s, msg_id).encode(),
                                 b"Subject: recovered-file\r\n\r\nsurvived a restart\r\n")
        # Complete but never committed (no rename to its id): never delivered.
        partial = os.path.join(queue, "00000000deadbeef.new")
        spool_files.write_queued(partial, self.envelope(s, "00000000deadbeef").encode(),
                                 b"Subject: never acknowledged\r\n\r\nnever acknowledged\r\n")
        self.start_and_deliver(s, b"recovered-file")
        self.assert_removed(partial, "queue/00000000deadbeef.new")
        self.assertEqual(s.all_delivered(b"never acknowledged"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
