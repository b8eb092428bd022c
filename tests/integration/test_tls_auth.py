"""STARTTLS (RFC 3207), SMTPS and AUTH (RFC 4954) against a real smtpd, with a certificate and a
credentials table made at run time: Python's smtplib and ssl, swaks, and raw sockets for what a
well-behaved client never does (pipelining after STARTTLS, AUTH in clear text)."""
import base64
import re
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


class TraceTest(unittest.TestCase):
    """smtpd -T (OpenSMTPD's trace subsystems): the SMTP dialogue, IPC messages and rule matches
    in the log, with AUTH secrets masked; an unknown name is a warning, as in OpenSMTPD."""

    @classmethod
    def setUpClass(cls):
        cls.smtpd = TlsSmtpd("tls pki mx.test auth-optional <creds> hostname mx.test",
                             extra_args=["-T", "smtp", "-T", "imsg", "-T", "rules",
                                         "-T", "no-such-trace"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def secrets(self):
        plain = base64.b64encode(b"\0" + AUTH_USER.encode() + b"\0" + AUTH_PASSWORD.encode())
        return [AUTH_PASSWORD, plain.decode(), base64.b64encode(AUTH_PASSWORD.encode()).decode(),
                base64.b64encode(AUTH_USER.encode()).decode()]

    def tls_client(self):
        """smtplib after EHLO, STARTTLS and EHLO again: ready for AUTH."""
        c = smtplib.SMTP("127.0.0.1", self.smtpd.port, local_hostname="client.example",
                         timeout=10)
        self.addCleanup(c.close)
        c.ehlo()
        c._host = "mx.test"
        c.starttls(context=client_context(self.smtpd.cert))
        c.ehlo()
        return c

    def test_the_dialogue_is_traced_and_credentials_are_not(self):
        c = self.tls_client()
        c.login(AUTH_USER, AUTH_PASSWORD)  # AUTH PLAIN with an initial response
        c.sendmail("a@example.org", ["rcpt@localhost"], b"Subject: traced\r\n\r\nhi\r\n")
        c.quit()
        c2 = self.tls_client()
        c2.user, c2.password = AUTH_USER, AUTH_PASSWORD
        c2.auth("LOGIN", c2.auth_login, initial_response_ok=False)  # two 334 exchanges
        c2.quit()
        self.smtpd.find_delivered(b"Subject: traced")
        log = self.smtpd.read_log()
        self.assertIn('unknown trace flag "no-such-trace"', log)
        self.assertRegex(log, r"smtp <<< ehlo client\.example")  # smtplib's case
        self.assertRegex(log, r"smtp >>> 250-mx\.test")
        self.assertRegex(log, r"smtp <<< AUTH PLAIN \*{8}")
        self.assertRegex(log, r"smtp <<< AUTH LOGIN\n")
        self.assertGreaterEqual(len(re.findall(r"smtp <<< \*{8}\n", log)), 2, log)
        self.assertRegex(log, r"smtp <<< mail FROM:<a@example\.org>")
        self.assertRegex(log, r"smtp <<< \[message, \d+ octets\]")
        self.assertRegex(log, r"smtp >>> 250 2\.0\.0 \w+: Message accepted")
        self.assertRegex(log, r"imsg: dispatcher -> queue MessageCommit")
        self.assertRegex(log, r"imsg: queue <- dispatcher MessageCommit")
        self.assertRegex(log, r'rules: domain localhost \(client local\) matched \S+:\d+ '
                              r'action "local"')
        for secret in self.secrets():
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
