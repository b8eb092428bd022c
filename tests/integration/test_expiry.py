"""The scheduler's clock through the real daemon: a message that keeps failing temporarily is
expired when `queue ttl` runs out, and its sender gets an RFC 3464 failure notice with status
4.4.7 (RFC 3463: delivery time expired); the message leaves the queue. A `bounce
warn-interval` shorter than the first retry gap (5 minutes) still sends its delay notice when it
comes due, and the message stays queued.
"""
import re
import time
import unittest

import test_delivery_methods as methods


class ShortTtlSmtpd(methods.DeliverySmtpd):
    CONFIG = "queue ttl 3s\n" + methods.DeliverySmtpd.CONFIG


class ShortWarnSmtpd(methods.DeliverySmtpd):
    CONFIG = "bounce warn-interval 2s\n" + methods.DeliverySmtpd.CONFIG


class Expiry(methods.DeliveryTestCase):
    SMTPD = ShortTtlSmtpd

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


class DelayWarning(methods.DeliveryTestCase):
    SMTPD = ShortWarnSmtpd

    def test_a_warning_due_before_the_first_retry_is_sent_when_due(self):
        self.send("sender@localhost", ["later@temp.test"],
                  b"Subject: delayed\r\n\r\nwill be late\r\n")
        m = self.wait_log(r"evpid=(\w+) from=<[^>]*> to=<later@temp.test> .* result=TempFail")
        msgid = m.group(1)
        # the first retry is 5 minutes away; the warning is due 2 seconds after arrival
        self.wait_log(r"queue: msgid=%s delay notice sent to <sender@localhost>" % msgid)
        notice = self.smtpd.find_delivered(b"Action: delayed")
        self.assertIn(b"Return-Path: <>", notice)
        self.assertRegex(notice, rb"Final-Recipient: rfc822; ?later@temp.test")
        self.assertRegex(notice, rb"Status: 4\.\d+\.\d+")
        self.assertIn(b"Subject: delayed", notice)
        self.assertIn(msgid, self.smtpd.queued())
        self.assertNotIn("attempt=2", self.log())
        self.assertEqual(len(re.findall(r"delay notice sent", self.log())), 1, self.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
