"""The ESMTP extensions end to end with real clients (Python's smtplib and swaks) against a real
smtpd: SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), DSN (RFC 3461), PIPELINING
(RFC 2920), CHUNKING/BDAT (RFC 3030, raw: neither client speaks it), ENHANCEDSTATUSCODES
(RFC 2034)."""
import shutil
import smtplib
import subprocess
import unittest

from harness import Dialogue, Smtpd, split_delivered


class ExtensionsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.smtpd = Smtpd(extra_config="smtp max-message-size 10K").start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def client(self):
        c = smtplib.SMTP("127.0.0.1", self.smtpd.port, local_hostname="client.example", timeout=10)
        self.addCleanup(c.close)
        c.ehlo()
        return c

    def test_ehlo_advertises_every_extension(self):
        c = self.client()
        for ext in ("pipelining", "8bitmime", "enhancedstatuscodes", "dsn", "smtputf8",
                    "chunking", "help"):
            self.assertTrue(c.has_extn(ext), ext)
        self.assertEqual(c.esmtp_features["size"], "10240")
        self.assertFalse(c.has_extn("starttls"))  # this listener has no pki

    def test_size_declared_over_the_limit_gets_552(self):
        c = self.client()
        with self.assertRaises(smtplib.SMTPSenderRefused) as e:
            c.sendmail("a@example.org", ["rcpt@localhost"], b"Subject: big\r\n\r\n" + b"x" * 20000)
        self.assertEqual(e.exception.smtp_code, 552)  # smtplib declares SIZE=20016
        self.assertTrue(e.exception.smtp_error.startswith(b"5.3.4"))

    def test_size_under_the_limit_and_8bitmime_arrive_intact(self):
        c = self.client()
        body = "Subject: size-8bit\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße, 日本\r\n".encode()
        c.sendmail("a@example.org", ["rcpt@localhost"], body, mail_options=["BODY=8BITMIME"])
        c.quit()
        _, _, _, rest = split_delivered(self.smtpd.find_delivered(b"size-8bit"))
        self.assertEqual(rest, body.replace(b"\r\n", b"\n"))

    def test_smtputf8_addresses(self):
        c = self.client()
        c.sendmail("jörg@bücher.example", ["jörg@localhost"],
                   "Subject: smtputf8-ok\r\n\r\nhi\r\n".encode(), mail_options=["SMTPUTF8"])
        c.quit()
        got = self.smtpd.find_delivered(b"smtputf8-ok")
        self.assertTrue(got.startswith("Return-Path: <jörg@bücher.example>".encode()))

    def test_utf8_address_without_smtputf8_gets_5_6_7(self):
        c = self.client()
        c.command_encoding = "utf-8"
        code, text = c.docmd("MAIL", "FROM:<jörg@example.org>")
        self.assertEqual((code, text[:5]), (550, b"5.6.7"))

    def test_dsn_parameters_are_accepted(self):
        c = self.client()
        c.sendmail("a@example.org", ["rcpt@localhost"], b"Subject: dsn-params\r\n\r\nhi\r\n",
                   mail_options=["RET=HDRS", "ENVID=QQ314159"],
                   rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;rcpt@localhost"])
        c.quit()
        self.smtpd.find_delivered(b"dsn-params")

    def test_unknown_parameter_gets_555(self):
        c = self.client()
        code, text = c.docmd("MAIL", "FROM:<a@example.org> X-UNKNOWN=1")
        self.assertEqual((code, text[:5]), (555, b"5.5.4"))

    def test_bdat_chunks(self):
        d = Dialogue(self.smtpd.port)
        self.addCleanup(d.close)
        d.reply()
        d.command(b"EHLO client.example\r\n")
        # RFC 2920 + RFC 3030: MAIL, RCPT and the first BDAT with its chunk in one write.
        head, tail = b"Subject: bdat-chunks\r\n\r\n", b".no\rstuff"
        d.send(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<rcpt@localhost>\r\n"
               b"BDAT %d\r\n%s" % (len(head), head))
        self.assertEqual([d.reply()[0] for _ in range(3)], [250, 250, 250])
        self.assertEqual(d.command(b"BDAT %d LAST\r\n%s" % (len(tail), tail))[0], 250)
        got = self.smtpd.find_delivered(b"bdat-chunks")
        self.assertTrue(got.endswith(b"\n.no\rstuff"))  # no dot-stuffing, bytes as sent

    def test_swaks_pipelining(self):
        if not shutil.which("swaks"):
            self.skipTest("swaks is not installed")
        r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % self.smtpd.port, "--pipeline",
                            "--from", "a@example.org", "--to", "rcpt@localhost",
                            "--header", "Subject: swaks-pipeline"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.smtpd.find_delivered(b"swaks-pipeline")


if __name__ == "__main__":
    unittest.main(verbosity=2)
