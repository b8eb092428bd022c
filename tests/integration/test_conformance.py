"""Runs every conformance case against a real smtpd, with conformance/known-failures: a new
failure fails this test, and so does a listed case that now passes."""
import os
import subprocess
import sys
import unittest

from harness import Smtpd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


class ConformanceTest(unittest.TestCase):

    def test_suite_against_our_smtpd(self):
        s = Smtpd().start()
        self.addCleanup(s.cleanup)
        r = subprocess.run(
            [sys.executable, os.path.join(ROOT, "conformance/runner/smtpconf.py"),
             "--port", str(s.port), "--domain", "localhost", "--maildir", s.maildir,
             "--known-failures", os.path.join(ROOT, "conformance/known-failures"),
             os.path.join(ROOT, "conformance/cases")],
            capture_output=True, text=True, timeout=600)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr + "\nsmtpd log:\n" + s.read_log()[-5000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
