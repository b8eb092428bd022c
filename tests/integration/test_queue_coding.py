"""queue compression and queue encryption on a real daemon (smtpd.conf(5), runtime/spool/coding.hpp).
A message is held in the queue by starting smtpd with local deliveries paused (-P mda) until
`smtpctl resume mda`. Compressed: the content after the envelope slots passes `gzip -t` and
inflates to the message. Encrypted: neither the content nor the envelope holds any plaintext;
a restart with the key delivers the held message; a flipped byte makes that message corrupt:
logged, moved to corrupt/, never delivered and never retried; the key can come from the standard
input (`queue encryption -`), and a key of the wrong length there stops smtpd at start. The
crash campaign (crash_campaign.py) holds with both codings on: every 250 delivered once under
random SIGKILLs.
"""
import os
import smtplib
import subprocess
import tempfile
import time
import unittest
from unittest import mock

import crash_campaign
import harness
from harness import wait_for
import refservers
import spool_files
from test_crash_campaign import run_campaign

KEY = "0123456789abcdef0123456789abcdef"
MARKER = b"plaintext-marker-7f3a"
SENDER = "alice.coding@example.org"


class CodingTestCase(unittest.TestCase):
    def server(self, extra_config, paused=True):
        smtpd = harness.Smtpd(extra_config, extra_args=("-P", "mda") if paused else ())
        self.addCleanup(smtpd.cleanup)
        return smtpd

    def send(self, smtpd, subject="held"):
        body = ("Subject: %s\r\n\r\nthe %s body\r\n" % (subject, MARKER.decode())).encode()
        with smtplib.SMTP("127.0.0.1", smtpd.port, timeout=10) as c:
            c.sendmail(SENDER, ["bob@localhost"], body)

    def held_file(self, smtpd):
        """The bytes of the one committed queue file, once there is one."""
        (msgid,) = wait_for(lambda: spool_files.queued_ids(smtpd.spool), timeout=20, what="a queued message")
        with open(os.path.join(smtpd.spool, "queue", msgid), "rb") as f:
            return msgid, f.read()

    def smtpctl(self, smtpd, *words):
        r = subprocess.run([harness.SMTPCTL, "-s", smtpd.socket] + list(words),
                           capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, "%r\nlog:\n%s" % (r, smtpd.read_log()))

    def wait_log(self, smtpd, text, timeout=20):
        wait_for(lambda: text in smtpd.read_log(), timeout, what=repr(text))


class Compression(CodingTestCase):
    def test_the_held_content_passes_gzip_t_and_is_delivered_after_resume(self):
        smtpd = self.server("queue compression\n").start()
        self.send(smtpd)
        _, data = self.held_file(smtpd)
        envelope, content = spool_files.decode_queued(data)
        self.assertNotIn(SENDER.encode(), envelope) # compressed too
        with tempfile.NamedTemporaryFile(suffix=".gz") as gz:
            gz.write(content)
            gz.flush()
            test = subprocess.run(["gzip", "-t", gz.name], capture_output=True)
            self.assertEqual(test.returncode, 0, test.stderr)
            plain = subprocess.run(["gzip", "-dc", gz.name], capture_output=True, check=True)
        self.assertIn(MARKER, plain.stdout)
        self.assertNotIn(MARKER, data)
        self.smtpctl(smtpd, "resume", "mda")
        self.assertIn(b"Subject: held", smtpd.find_delivered(MARKER))
        self.assertTrue(smtpd.queue_is_empty())


class Encryption(CodingTestCase):
    CONFIG = "queue compression\nqueue encryption %s\n" % KEY

    def test_no_plaintext_is_queued_and_a_restart_with_the_key_delivers(self):
        smtpd = self.server(self.CONFIG).start()
        self.send(smtpd)
        msgid, data = self.held_file(smtpd)
        self.assertNotIn(MARKER, data)
        self.assertNotIn(SENDER.encode(), data)
        self.assertNotIn(b"bob@localhost", data)
        _, content = spool_files.decode_queued(data)
        self.assertEqual(content[:1], b"\x01") # OpenSMTPD's crypto.c version byte
        smtpd.stop()
        smtpd.extra_args = [] # deliveries no longer paused
        smtpd.start()
        self.assertIn(b"Subject: held", smtpd.find_delivered(MARKER))
        self.assertTrue(smtpd.queue_is_empty())
        self.assertNotIn("corrupt", smtpd.read_log())

    def test_a_flipped_byte_is_logged_corrupt_and_never_delivered(self):
        smtpd = self.server(self.CONFIG).start()
        self.send(smtpd)
        msgid, data = self.held_file(smtpd)
        path = os.path.join(smtpd.spool, "queue", msgid)
        flipped = bytearray(data)
        flipped[spool_files.DEFAULT_SLOT_SIZE * 2 + 32 + 20] ^= 0x01 # in the content
        with open(path, "r+b") as f:
            f.write(flipped)
        self.smtpctl(smtpd, "resume", "mda")
        self.wait_log(smtpd, "queue: msgid=%s is corrupt" % msgid)
        self.assertTrue(smtpd.queue_is_empty())
        self.assertTrue(os.path.exists(os.path.join(smtpd.spool, "corrupt", msgid)))
        self.smtpctl(smtpd, "schedule", "all")
        time.sleep(1) # nothing may be delivered: give a wrong delivery the time to show
        self.assertEqual(smtpd.all_delivered(MARKER), [])
        self.assertEqual(smtpd.read_log().count("is corrupt"), 1)
        self.assertEqual(smtpd.proc.poll(), None, "smtpd still runs")

    def test_a_restart_with_another_key_delivers_nothing(self):
        smtpd = self.server(self.CONFIG).start()
        self.send(smtpd)
        msgid, _ = self.held_file(smtpd)
        smtpd.stop()
        smtpd.extra_config = "queue compression\nqueue encryption %s\n" % ("x" * 32)
        smtpd.extra_args = []
        smtpd.start()
        self.wait_log(smtpd, "queue: msgid=%s is corrupt" % msgid)
        self.assertEqual(smtpd.all_delivered(MARKER), [])


def start_with_stdin(smtpd, data):
    """Starts `smtpd` with `data` on its standard input (refservers starts it on /dev/null)."""
    real = subprocess.Popen
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)

    def popen(*args, **kwargs):
        kwargs["stdin"] = r
        return real(*args, **kwargs)

    try:
        with mock.patch.object(refservers.subprocess, "Popen", popen):
            return smtpd.start()
    finally:
        os.close(r)


class KeyFromStdin(CodingTestCase):
    def test_the_key_read_from_stdin_encrypts_and_decrypts(self):
        smtpd = self.server("queue encryption \"-\"\n")
        start_with_stdin(smtpd, (KEY + "\n").encode())
        self.send(smtpd)
        _, data = self.held_file(smtpd)
        self.assertNotIn(MARKER, data)
        self.smtpctl(smtpd, "resume", "mda")
        self.assertIn(b"Subject: held", smtpd.find_delivered(MARKER))
        # The same queue, read at a restart with the key given on stdin again.
        self.smtpctl(smtpd, "pause", "mda")
        self.send(smtpd, "second")
        wait_for(lambda: spool_files.queued_ids(smtpd.spool), timeout=20, what="the second message queued")
        smtpd.stop()
        start_with_stdin(smtpd, (KEY + "\n").encode())
        self.smtpctl(smtpd, "resume", "mda")
        wait_for(lambda: len(smtpd.all_delivered(MARKER)) == 2, 20,
                 what="the second message delivered")

    def test_a_key_of_the_wrong_length_on_stdin_stops_smtpd(self):
        smtpd = self.server("queue encryption stdin\n")
        with self.assertRaises(refservers.StartError) as e:
            start_with_stdin(smtpd, b"too short\n")
        self.assertIn("invalid key for queue encryption", str(e.exception))


class CodedCampaign(crash_campaign.Campaign):
    def make_smtpd(self):
        return crash_campaign.CrashSmtpd("queue compression\nqueue encryption %s\n" % KEY)


class CrashCampaignWithCoding(unittest.TestCase):
    def test_every_250_is_delivered_once_with_a_coded_queue(self):
        with mock.patch("test_crash_campaign.Campaign", CodedCampaign):
            stats = run_campaign(self, "coded crash campaign",
                                 int(os.environ.get("SMTPD_CODED_CRASH_ROUNDS", "15")), 60.0)
        self.assertEqual(stats["maildir_tmp_left"], 0)


if __name__ == "__main__":
    unittest.main()
