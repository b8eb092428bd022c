"""SRS reverse mapping through the real daemon (issue 14; smtpd.conf(5), srs key): a bounce to an
SRS0 address of ours, made here in Python independently of the C++ code (OpenSMTPD's format:
base64url of SHA-1(key || text after the hash), first four characters; TT the day number modulo
1024 in base32), is delivered to the address it stands for; one signed with the backup key too;
a forged or an expired one is refused with 550 5.1.1. The harness's catch-all would accept any
local part of localhost: only the mapping can refuse these.
"""
import base64
import hashlib
import time
import unittest

import harness

KEY = b"integration-secret"
BACKUP = b"previous-secret"
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def srs0(local, domain, ours, key=KEY, days_ago=0):
    day = (int(time.time()) // 86400 - days_ago) % 1024
    text = "%s%s=%s=%s@%s" % (BASE32[day >> 5], BASE32[day & 31], domain, local, ours)
    digest = base64.urlsafe_b64encode(hashlib.sha1(key + text.encode()).digest())
    return "SRS0=%s=%s" % (digest[:4].decode(), text)


class Srs(harness.SmtpdTestCase):
    EXTRA_CONFIG = 'srs key "%s"\nsrs key backup "%s"\n' % (KEY.decode(), BACKUP.decode())

    def bounce(self, rcpt, marker=None):
        """A null-sender transaction to `rcpt`; returns the RCPT reply (and sends `marker`)."""
        d = self.dialogue()
        self.assertEqual(d.command(b"EHLO remote.example\r\n")[0], 250)
        self.assertEqual(d.command(b"MAIL FROM:<>\r\n")[0], 250)
        reply = d.command(b"RCPT TO:<%s>\r\n" % rcpt.encode())
        if marker is not None and reply[0] == 250:
            self.assertEqual(d.command(b"DATA\r\n")[0], 354)
            self.assertEqual(d.command(b"Subject: bounce\r\n\r\n%s\r\n.\r\n" % marker)[0], 250)
        d.command(b"QUIT\r\n")
        return reply

    def test_a_bounce_to_our_srs_address_reaches_the_address_it_stands_for(self):
        code, lines = self.bounce(srs0("alice", "localhost", "localhost"), b"srs-valid-marker")
        self.assertEqual(code, 250, lines)
        message = self.smtpd.find_delivered(b"srs-valid-marker")
        self.assertIn(b"Return-Path: <>", message)

    def test_the_backup_key_is_accepted(self):
        rcpt = srs0("alice", "localhost", "localhost", key=BACKUP)
        self.assertEqual(self.bounce(rcpt, b"srs-backup-marker")[0], 250)
        self.smtpd.find_delivered(b"srs-backup-marker")

    def test_a_forged_srs_address_is_refused(self):
        rcpt = srs0("alice", "localhost", "localhost", key=b"someone-else")
        code, lines = self.bounce(rcpt)
        self.assertEqual(code, 550, lines)
        self.assertTrue(lines[-1].startswith("550 5.1.1 "), lines)

    def test_an_expired_srs_address_is_refused(self):
        # 3 and 6 days old against a ttl of 4: a midnight between here and there changes nothing.
        self.assertEqual(self.bounce(srs0("alice", "localhost", "localhost", days_ago=3))[0], 250)
        code, lines = self.bounce(srs0("alice", "localhost", "localhost", days_ago=6))
        self.assertEqual(code, 550, lines)
        self.assertTrue(lines[-1].startswith("550 5.1.1 "), lines)


if __name__ == "__main__":
    unittest.main(verbosity=2)
