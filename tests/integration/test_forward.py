"""~/.forward through the privilege-separated daemon (issue 6): the lookup process runs as _smtpd
and cannot open a .forward of mode 0600 in a closed home; the parent reads it for it, with the
user's ids. Root only: the test needs a second uid (nobody) to own the home.
"""
import os
import pwd
import shutil
import smtplib
import time
import unittest

import harness

ROOT = os.geteuid() == 0


class ForwardSmtpd(harness.Smtpd):
    """userbase user "fwd" (nobody's ids) with a closed home and its own Maildir under out/;
    anything else to the test's Maildir."""

    CONFIG = """\
table vusers {{ "@" = "{user}" }}
table base {{ fwd = "{uid}:{gid}:{home}" }}
listen on 127.0.0.1 port {port}
action "base" maildir "{out}/Maildir" userbase <base>
action "local" maildir "{maildir}" virtual <vusers>
match from any for domain "fwd.test" action "base"
match from any for local action "local"
"""

    def __init__(self):
        super().__init__()
        nobody = pwd.getpwnam("nobody")
        self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
        self.home = os.path.join(self.dir, "home")
        self.out = os.path.join(self.dir, "out")
        for d, mode in ((self.home, 0o700), (self.out, 0o700)):
            os.makedirs(d)
            os.chown(d, self.uid, self.gid)
            os.chmod(d, mode)

    def write_forward(self, text):
        path = os.path.join(self.home, ".forward")
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, self.uid, self.gid)
        os.chmod(path, 0o600)

    def prepare(self):
        with open(self.config, "w") as f:
            f.write(self.CONFIG.format(maildir=self.maildir, port=self.port, out=self.out,
                                       user=pwd.getpwuid(os.getuid()).pw_name, uid=self.uid,
                                       gid=self.gid, home=self.home))


@unittest.skipUnless(ROOT, "needs root to give the home to another user")
class Forward(unittest.TestCase):
    def setUp(self):
        self.smtpd = ForwardSmtpd()
        self.addCleanup(self.smtpd.cleanup)

    def send(self, rcpt, marker):
        with smtplib.SMTP("127.0.0.1", self.smtpd.port, timeout=20) as c:
            c.sendmail("s@example.org", [rcpt], "Subject: %s\r\n\r\n%s\r\n" % (marker, marker))

    def wait_file(self, path, marker, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
                if marker.encode() in data:
                    return data
            time.sleep(0.05)
        raise AssertionError("nothing with %r in %s\nlog:\n%s"
                             % (marker, path, self.smtpd.read_log()))

    def test_a_closed_forward_file_is_read_by_the_parent_and_followed(self):
        mbox = os.path.join(self.smtpd.out, "forwarded.mbox")
        self.smtpd.write_forward("%s\n" % mbox)
        self.smtpd.start()
        self.send("fwd@fwd.test", "forwarded-by-dot-forward")
        data = self.wait_file(mbox, "forwarded-by-dot-forward")
        self.assertTrue(data.startswith(b"From s@example.org "))
        # Written as the user whose .forward it is.
        self.assertEqual(os.stat(mbox).st_uid, self.smtpd.uid)
        self.assertEqual(self.smtpd.all_delivered(b"forwarded-by-dot-forward"), [])

    def test_a_forward_to_another_local_address_is_resolved_again(self):
        self.smtpd.write_forward("someone@localhost\n")
        self.smtpd.start()
        self.send("fwd@fwd.test", "forwarded-to-local")
        # In the test's Maildir (the one of "local"), not in fwd's own.
        self.smtpd.find_delivered(b"forwarded-to-local")
        self.assertFalse(os.path.exists(os.path.join(self.smtpd.out, "Maildir", "new")))

    def test_a_group_writable_forward_file_is_ignored(self):
        self.smtpd.write_forward("%s\n" % os.path.join(self.smtpd.out, "never.mbox"))
        os.chmod(os.path.join(self.smtpd.home, ".forward"), 0o620)
        self.smtpd.start()
        self.send("fwd@fwd.test", "unsafe-forward-ignored")
        new = os.path.join(self.smtpd.out, "Maildir", "new")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (os.path.isdir(new) and os.listdir(new)):
            time.sleep(0.05)
        self.assertEqual(len(os.listdir(new)), 1, self.smtpd.read_log())
        self.assertIn("unsafe file, ignored", self.smtpd.read_log())
        self.assertFalse(os.path.exists(os.path.join(self.smtpd.out, "never.mbox")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
