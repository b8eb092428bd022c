"""swaks against a real smtpd, one message per session and a pipelined one; each message must
land in the Maildir with its header and body intact."""
import shutil
import socket
import subprocess
import unittest

from harness import SmtpdTestCase, split_delivered


@unittest.skipUnless(shutil.which("swaks"), "swaks is not installed")
class SwaksTest(SmtpdTestCase):

    def swaks(self, *args):
        cmd = ["swaks", "--server", "127.0.0.1", "--port", str(self.smtpd.port),
               "--from", "sender@example.org", "--helo", "swaks.example", *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout

    def test_plain_session_delivers(self):
        out = self.swaks("--to", "user@localhost", "--header", "Subject: swaks-plain",
                         "--body", "hello from swaks")
        self.assertIn("<-  250 2.0.0", out)
        got = self.smtpd.find_delivered(b"swaks-plain")
        return_path, delivered_to, received, rest = split_delivered(got)
        self.assertEqual(return_path, b"Return-Path: <sender@example.org>")
        self.assertEqual(delivered_to, b"Delivered-To: user@localhost")
        self.assertEqual(received.group("helo"), b"swaks.example")
        self.assertIn(b"\nSubject: swaks-plain\n", rest)
        # swaks ends the body with blank lines of its own.
        self.assertTrue(rest.rstrip(b"\n").endswith(b"\n\nhello from swaks"))
        self.assertNotIn(b"\r", rest)

    def test_pipelined_session_delivers(self):
        out = self.swaks("--pipeline", "--to", "user@" + socket.gethostname(),
                         "--header", "Subject: swaks-pipelined", "--body", ".dot first\n..two")
        self.assertIn("250 2.0.0", out)
        got = self.smtpd.find_delivered(b"swaks-pipelined")
        self.assertTrue(split_delivered(got)[3].rstrip(b"\n").endswith(b"\n\n.dot first\n..two"))

    def test_unknown_domain_is_refused(self):
        cmd = ["swaks", "--server", "127.0.0.1", "--port", str(self.smtpd.port),
               "--from", "a@example.org", "--to", "b@elsewhere.example"]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("550 5.7.1", result.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
