"""`maildir PATH junk` on a real smtpd (smtpd.conf(5), OpenSMTPD's mail.maildir -j): a message
whose header says "X-Spam: yes" or "X-Spam-Flag: yes" lands in PATH/.Junk/new; any other, and the
same line in the body, in PATH/new. The other action of the test server has no junk: spam stays
in its inbox."""
import os
import smtplib
import time
import unittest

from harness import Smtpd


def files_holding(directory, marker, timeout=20):
    """The files of `directory` holding `marker`, once there is one (or none after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = []
        if os.path.isdir(directory):
            for name in os.listdir(directory):
                with open(os.path.join(directory, name), "rb") as f:
                    if marker in f.read():
                        found.append(name)
        if found:
            return found
        time.sleep(0.05)
    return []


class MaildirJunkTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.smtpd = Smtpd()
        cls.box = os.path.join(cls.smtpd.dir, "JunkBox")
        cls.smtpd.extra_config += (
            'action "junky" maildir "%s" junk virtual <vusers>\n'
            'match from any for domain "junk.example" action "junky"\n' % cls.box)
        cls.smtpd.start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def send(self, rcpt, header, marker, body="hello"):
        with smtplib.SMTP("127.0.0.1", self.smtpd.port, timeout=10) as c:
            c.sendmail("a@example.org", [rcpt],
                       ("%sSubject: %s\r\n\r\n%s\r\n" % (header, marker, body)).encode())

    def test_spam_goes_to_junk(self):
        self.send("u@junk.example", "X-Spam: yes\r\n", "junk-flagged")
        self.assertEqual(len(files_holding(os.path.join(self.box, ".Junk/new"), b"junk-flagged")),
                         1)
        self.assertEqual(files_holding(os.path.join(self.box, "new"), b"junk-flagged", 0.2), [])

    def test_spam_flag_in_any_case_goes_to_junk(self):
        self.send("u@junk.example", "x-spam-flag: YES\r\n", "junk-flag-case")
        self.assertEqual(len(files_holding(os.path.join(self.box, ".Junk/new"),
                                           b"junk-flag-case")), 1)

    def test_clean_mail_and_a_body_line_stay_in_the_inbox(self):
        self.send("u@junk.example", "X-Spam: no\r\n", "junk-clean", body="X-Spam: yes")
        self.assertEqual(len(files_holding(os.path.join(self.box, "new"), b"junk-clean")), 1)
        self.assertEqual(files_holding(os.path.join(self.box, ".Junk/new"), b"junk-clean", 0.2),
                         [])

    def test_without_junk_spam_stays_in_the_inbox(self):
        self.send("u@localhost", "X-Spam: yes\r\n", "junk-nojunk")
        self.assertEqual(len(files_holding(os.path.join(self.smtpd.maildir, "new"),
                                           b"junk-nojunk")), 1)


if __name__ == "__main__":
    unittest.main()
