"""Python's smtplib against a real smtpd: messages land in the Maildir byte for byte (CRLF to LF,
dots unstuffed), with Return-Path, Delivered-To and our Received header first."""
import smtplib
import socket
import unittest

from harness import SmtpdTestCase, split_delivered


class SmtplibTest(SmtpdTestCase):

    def client(self):
        c = smtplib.SMTP("127.0.0.1", self.smtpd.port, local_hostname="client.example", timeout=10)
        self.addCleanup(c.close)
        return c

    def test_message_lands_byte_for_byte(self):
        body = (b"From: a@example.org\r\nTo: rcpt@localhost\r\nSubject: smtplib-exact\r\n\r\n"
                b"line one\r\n.starts with a dot\r\n..two dots\r\n.\r\nbare\rcr stays\r\n"
                b"tab\tand trailing space \r\n\r\nlast")
        c = self.client()
        c.sendmail("a@example.org", ["rcpt@localhost"], body)
        c.quit()
        got = self.smtpd.find_delivered(b"smtplib-exact")
        return_path, delivered_to, received, rest = split_delivered(got)
        self.assertEqual(return_path, b"Return-Path: <a@example.org>")
        self.assertEqual(delivered_to, b"Delivered-To: rcpt@localhost")
        self.assertEqual(received.group("helo"), b"client.example")
        expected = body.replace(b"\r\n", b"\n") + b"\n"
        self.assertEqual(rest, expected)

    def test_each_recipient_gets_one_delivery(self):
        c = self.client()
        host = socket.gethostname()
        refused = c.sendmail("a@example.org", ["one@localhost", "two@" + host],
                             b"Subject: smtplib-two-rcpts\r\n\r\nhello\r\n")
        c.quit()
        self.assertEqual(refused, {})
        # Both recipients map to the one catch-all Maildir.
        for _ in range(200):
            found = self.smtpd.all_delivered(b"smtplib-two-rcpts")
            if len(found) == 2:
                break
            import time
            time.sleep(0.05)
        self.assertEqual(len(found), 2)
        self.assertEqual(sorted(split_delivered(m)[1] for m in found),
                         [b"Delivered-To: one@localhost", b"Delivered-To: two@" + host.encode()])

    def test_relaying_is_denied(self):
        c = self.client()
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as ctx:
            c.sendmail("a@example.org", ["victim@elsewhere.example"], b"Subject: x\r\n\r\nx\r\n")
        code, text = ctx.exception.recipients["victim@elsewhere.example"]
        self.assertEqual(code, 550)
        self.assertTrue(text.startswith(b"5.7.1"))
        c.quit()

    def test_ehlo_advertises_extensions(self):
        c = self.client()
        code, _ = c.ehlo("client.example")
        self.assertEqual(code, 250)
        self.assertTrue(c.has_extn("pipelining"))
        self.assertTrue(c.has_extn("enhancedstatuscodes"))
        c.quit()

    def test_null_sender_is_accepted(self):
        c = self.client()
        c.sendmail("<>", ["bounce@localhost"], b"Subject: smtplib-null-sender\r\n\r\nx\r\n")
        c.quit()
        got = self.smtpd.find_delivered(b"smtplib-null-sender")
        self.assertTrue(got.startswith(b"Return-Path: <>\n"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
