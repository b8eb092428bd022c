"""Postfix's smtp-source (from the Debian package, extracted by .ci/refs) against a real smtpd:
concurrent sessions, one message per connection and reused connections; every message must be
acknowledged and land in the Maildir."""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../integration"))
from harness import Smtpd  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
POSTFIX = os.path.join(ROOT, "build/refs/postfix")
SMTP_SOURCE = os.path.join(POSTFIX, "usr/sbin/smtp-source")


@unittest.skipUnless(os.path.exists(SMTP_SOURCE), "SKIP: smtp-source not available (.ci/refs)")
class SmtpSourceTest(unittest.TestCase):

    def setUp(self):
        self.smtpd = Smtpd().start()
        self.addCleanup(self.smtpd.cleanup)

    def source(self, *args):
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(POSTFIX, "usr/lib/postfix"))
        cmd = [SMTP_SOURCE, *args, "-f", "sender@example.org", "-t", "rcpt@localhost",
               "127.0.0.1:%d" % self.smtpd.port]
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + self.smtpd.read_log()[-3000:])

    def delivered_count(self, expected, timeout=60):
        new = os.path.join(self.smtpd.maildir, "new")
        deadline = time.monotonic() + timeout
        count = 0
        while time.monotonic() < deadline:
            count = len(os.listdir(new)) if os.path.isdir(new) else 0
            if count >= expected:
                break
            time.sleep(0.1)
        return count

    def test_new_connection_per_message(self):
        self.source("-s", "5", "-m", "50", "-l", "4096")
        self.assertEqual(self.delivered_count(50), 50)
        self.assertTrue(self.smtpd.queue_is_empty())

    def test_reused_connections(self):
        self.source("-d", "-s", "4", "-m", "60", "-l", "4096")
        self.assertEqual(self.delivered_count(60), 60)

    def test_messages_arrive_intact(self):
        self.source("-s", "1", "-m", "3", "-l", "1000")
        self.assertEqual(self.delivered_count(3), 3)
        new = os.path.join(self.smtpd.maildir, "new")
        for name in os.listdir(new):
            with open(os.path.join(new, name), "rb") as f:
                data = f.read()
            self.assertIn(b"\nReceived: from ", data)
            self.assertNotIn(b"\r", data)


if __name__ == "__main__":
    unittest.main(verbosity=2)
