"""STARTTLS (RFC 3207), SMTPS and AUTH (RFC 4954) against a real smtpd, with a certificate and a
credentials table made at run time: Python's smtplib and ssl, swaks, and raw sockets for what a
well-behaved client never does (pipelining after STARTTLS, AUTH in clear text)."""
import base64
import shutil
import smtplib
import socket
import ssl
import subprocess
import unittest

from harness import AUTH_PASSWORD, AUTH_USER, Dialogue, TlsSmtpd, split_delivered


def client_context(cafile, check_hostname=True):
    """Trusts only the test's certificate; checks the name mx.test unless told not to (smtplib's
    SMTP_SSL checks the address it connects to, 127.0.0.1)."""
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = check_hostname
    return ctx


class StarttlsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.smtpd = TlsSmtpd("tls pki mx.test auth-optional <creds> hostname mx.test").start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def client(self):
        c = smtplib.SMTP("127.0.0.1", self.smtpd.port, local_hostname="client.example", timeout=10)
        self.addCleanup(c.close)
        return c

    def test_starttls_then_auth_plain_then_mail(self):
        c = self.client()
        c.ehlo()
        self.assertTrue(c.has_extn("starttls"))
        self.assertFalse(c.has_extn("auth"))  # AUTH only over TLS, as OpenSMTPD
        c._host = "mx.test"  # the name starttls() checks the certificate against
        c.starttls(context=client_context(self.smtpd.cert))
        c.ehlo()
        self.assertFalse(c.has_extn("starttls"))
        self.assertEqual(c.esmtp_features["auth"].split(), ["PLAIN", "LOGIN"])
        c.login(AUTH_USER, AUTH_PASSWORD)
        c.sendmail("a@example.org", ["rcpt@localhost"], b"Subject: tls-auth-plain\r\n\r\nhi\r\n")
        c.quit()
        got = self.smtpd.find_delivered(b"tls-auth-plain")
        _, _, received, _ = split_delivered(got)
        self.assertEqual(received.group("proto"), b"ESMTPSA")  # RFC 3848
        self.assertIn(b"TLSv1.", got.split(b"\n\tfor")[0])

    def test_tls_certificate_is_the_pki(self):
        with socket.create_connection(("127.0.0.1", self.smtpd.port), timeout=10) as raw:
            d = Dialogue.__new__(Dialogue)
            d.sock, d.buf = raw, b""
            self.assertEqual(d.reply()[0], 220)
            d.command(b"EHLO c\r\n")
            self.assertEqual(d.command(b"STARTTLS\r\n")[0], 220)
            tls = client_context(self.smtpd.cert).wrap_socket(raw, server_hostname="mx.test")
            self.assertEqual(tls.getpeercert()["subject"], ((("commonName", "mx.test"),),))
            self.assertGreaterEqual(tls.version(), "TLSv1.2")
            tls.close()

    def test_bytes_pipelined_after_starttls_are_dropped(self):
        # RFC 3207 §4.2 / CVE-2011-0411: the RSET sent in clear text with STARTTLS must not be
        # answered inside the TLS session.
        raw = socket.create_connection(("127.0.0.1", self.smtpd.port), timeout=10)
        self.addCleanup(raw.close)
        d = Dialogue.__new__(Dialogue)
        d.sock, d.buf = raw, b""
        d.reply()
        d.command(b"EHLO c\r\n")
        d.send(b"STARTTLS\r\nRSET\r\n")
        self.assertEqual(d.reply()[0], 220)
        tls = client_context(self.smtpd.cert).wrap_socket(raw, server_hostname="mx.test")
        d.sock = tls
        code, lines = d.command(b"EHLO c\r\n")
        self.assertEqual((code, lines[0]), (250, "250-mx.test Hello c"))
        self.assertEqual(d.command(b"NOOP\r\n"), (250, ["250 2.0.0 Ok"]))

    def test_auth_in_clear_text_is_refused(self):
        d = Dialogue(self.smtpd.port)
        self.addCleanup(d.close)
        d.reply()
        d.command(b"EHLO c\r\n")
        plain = base64.b64encode(b"\0alice\0" + AUTH_PASSWORD.encode())
        self.assertEqual(d.command(b"AUTH PLAIN " + plain + b"\r\n")[1],
                         ["538 5.7.11 Encryption required for requested authentication mechanism"])

    def test_wrong_password_gets_535_and_no_relay_rights(self):
        c = self.client()
        c._host = "mx.test"  # the name starttls() checks the certificate against
        c.starttls(context=client_context(self.smtpd.cert))
        c.ehlo()
        with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
            c.login(AUTH_USER, "wrong")
        self.assertEqual(e.exception.smtp_code, 535)
        self.assertEqual(c.docmd("AUTH", "LOGIN")[0], 334)
        self.assertEqual(c.docmd("*")[0], 501)  # cancelled (RFC 4954 §4)

    def test_swaks_starttls_auth_login(self):
        if not shutil.which("swaks"):
            self.skipTest("swaks is not installed")
        r = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % self.smtpd.port, "--tls",
                            "--auth", "LOGIN", "--auth-user", AUTH_USER, "--auth-password",
                            AUTH_PASSWORD, "--from", "a@example.org", "--to", "rcpt@localhost",
                            "--header", "Subject: swaks-tls-login"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("235 2.7.0", r.stdout)
        self.smtpd.find_delivered(b"swaks-tls-login")


class SmtpsTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.smtpd = TlsSmtpd("smtps pki mx.test auth <creds>").start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def test_smtps_auth_login_required_before_mail(self):
        ctx = client_context(self.smtpd.cert)
        raw = socket.create_connection(("127.0.0.1", self.smtpd.port), timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname="mx.test")
        self.addCleanup(tls.close)
        d = Dialogue.__new__(Dialogue)
        d.sock, d.buf = tls, b""
        self.assertEqual(d.reply()[0], 220)
        code, lines = d.command(b"EHLO c\r\n")
        self.assertIn("250-AUTH PLAIN LOGIN", lines)
        self.assertNotIn("250-STARTTLS", lines)
        self.assertEqual(d.command(b"MAIL FROM:<a@example.org>\r\n")[1],
                         ["530 5.7.0 Authentication required"])  # RFC 4954 §6
        self.assertEqual(d.command(b"AUTH LOGIN\r\n")[1], ["334 VXNlcm5hbWU6"])
        self.assertEqual(d.command(base64.b64encode(AUTH_USER.encode()) + b"\r\n")[1],
                         ["334 UGFzc3dvcmQ6"])
        self.assertEqual(d.command(base64.b64encode(AUTH_PASSWORD.encode()) + b"\r\n")[1],
                         ["235 2.7.0 Authentication succeeded"])
        self.assertEqual(d.command(b"MAIL FROM:<a@example.org>\r\n")[0], 250)
        self.assertEqual(d.command(b"AUTH PLAIN\r\n")[0], 503)

    def test_smtplib_smtp_ssl(self):
        c = smtplib.SMTP_SSL("127.0.0.1", self.smtpd.port, local_hostname="client.example",
                             timeout=10, context=client_context(self.smtpd.cert, False))
        self.addCleanup(c.close)
        c.login(AUTH_USER, AUTH_PASSWORD)
        c.sendmail("a@example.org", ["rcpt@localhost"], b"Subject: smtps-smtplib\r\n\r\nhi\r\n")
        c.quit()
        _, _, received, _ = split_delivered(self.smtpd.find_delivered(b"smtps-smtplib"))
        self.assertEqual(received.group("proto"), b"ESMTPSA")

    def test_a_client_that_does_not_speak_tls_is_dropped(self):
        d = Dialogue(self.smtpd.port)
        self.addCleanup(d.close)
        d.send(b"EHLO c\r\n")
        self.assertTrue(d.closed(timeout=10))


class TlsRequireTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.smtpd = TlsSmtpd("tls-require pki mx.test").start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def test_only_noop_ehlo_starttls_quit_before_tls(self):
        d = Dialogue(self.smtpd.port)
        self.addCleanup(d.close)
        d.reply()
        self.assertEqual(d.command(b"EHLO c\r\n")[0], 250)
        self.assertEqual(d.command(b"NOOP\r\n")[0], 250)
        self.assertEqual(d.command(b"MAIL FROM:<a@example.org>\r\n")[1],
                         ["530 5.7.0 Must issue a STARTTLS command first"])  # RFC 3207 §4
        self.assertEqual(d.command(b"QUIT\r\n")[0], 221)


if __name__ == "__main__":
    unittest.main(verbosity=2)
