"""The scheduler's clock through the real daemon: a message that keeps failing temporarily is
expired when `queue ttl` runs out, and its sender gets an RFC 3464 failure notice with status
4.4.7 (RFC 3463: delivery time expired); the message leaves the queue.
"""
import re
import time
import unittest

import test_delivery_methods as methods


class ShortTtlSmtpd(methods.DeliverySmtpd):
    CONFIG = "queue ttl 3s\n" + methods.DeliverySmtpd.CONFIG


class Expiry(methods.DeliveryTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dovecot = None
        cls.smtpd = ShortTtlSmtpd()
        try:
            cls.smtpd.start()
        except Exception:
            cls.smtpd.cleanup()
            raise

    def test_a_message_past_its_ttl_expires_with_a_4_4_7_notice(self):
        self.send("sender@localhost", ["later@temp.test"],
                  b"Subject: expiring\r\n\r\nwill expire\r\n")
        m = self.wait_log(r"evpid=(\w+) from=<[^>]*> to=<later@temp.test> .* result=TempFail")
        self.wait_log(r"scheduler: msgid=%s expired" % m.group(1))
        notice = self.smtpd.find_delivered(b"Status: 4.4.7")
        self.assertIn(b"Return-Path: <>", notice)
        self.assertIn(b"report-type=delivery-status", notice)
        self.assertRegex(notice, rb"Final-Recipient: rfc822; ?later@temp.test")
        self.assertIn(b"Action: failed", notice)
        self.assertIn(b"Subject: expiring", notice)
        self.assertQueueDrains()


if __name__ == "__main__":
    unittest.main(verbosity=2)
