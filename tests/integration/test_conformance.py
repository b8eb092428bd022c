"""Runs every conformance case against a real smtpd, with conformance/known-failures: a new
failure fails this test, and so does a listed case that now passes."""
import os
import subprocess
import sys
import unittest

from harness import AUTH_PASSWORD, AUTH_USER, Smtpd, TlsSmtpd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


class ConformanceTest(unittest.TestCase):

    def run_suite(self, s, *options):
        self.addCleanup(s.cleanup)
        r = subprocess.run(
            [sys.executable, os.path.join(ROOT, "conformance/runner/smtpconf.py"),
             "--port", str(s.port), "--domain", "localhost", "--maildir", s.maildir,
             "--known-failures", os.path.join(ROOT, "conformance/known-failures")] +
            list(options) + [os.path.join(ROOT, "conformance/cases")],
            capture_output=True, text=True, timeout=600)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + "\nsmtpd log:\n" + s.read_log()[-5000:])
        return r.stdout

    def test_suite_against_our_smtpd(self):
        self.run_suite(Smtpd().start())

    def test_suite_with_starttls_and_auth(self):
        # The STARTTLS and AUTH cases need a listener that offers them.
        out = self.run_suite(TlsSmtpd("tls pki mx.test auth-optional <creds>").start(),
                             "--tls", "--auth", "--auth-user", AUTH_USER, "--auth-pass", AUTH_PASSWORD)
        self.assertIn(" 0 skipped", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
