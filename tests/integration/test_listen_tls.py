"""The TLS-side listen options on a real smtpd (smtpd.conf(5) LISTENERS): `received-auth` names
the authenticated user in the Received: header (as OpenSMTPD writes it, after the TLS
parameters), `protocols` limits the TLS versions a client can get, `ciphers` the TLS 1.2 cipher
suites."""
import smtplib
import ssl
import unittest

from harness import AUTH_PASSWORD, AUTH_USER, TlsSmtpd


def context(cafile, maximum=None, ciphers=None):
    ctx = ssl.create_default_context(cafile=cafile)
    if maximum:
        ctx.maximum_version = maximum
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


class TlsListener(unittest.TestCase):

    def server(self, options):
        s = TlsSmtpd("tls pki mx.test " + options)
        self.addCleanup(s.cleanup)
        return s.start()

    def client(self, s, ctx, user=None):
        c = smtplib.SMTP("127.0.0.1", s.port, local_hostname="client.example", timeout=10)
        self.addCleanup(c.close)
        c.ehlo()
        c._host = "mx.test"  # the name starttls() checks the certificate against
        c.starttls(context=ctx)
        c.ehlo()
        if user:
            c.login(user, AUTH_PASSWORD)
        return c

    def received(self, s, c, marker):
        c.sendmail("a@example.org", ["rcpt@localhost"], b"Subject: " + marker + b"\r\n\r\nhi\r\n")
        c.quit()
        message = s.find_delivered(marker)
        return message.split(b"\n", 2)[2].split(b";\n")[0]

    def test_received_auth_names_the_user_or_says_no(self):
        s = self.server("auth-optional <creds> received-auth")
        header = self.received(s, self.client(s, context(s.cert), AUTH_USER), b"with-user")
        self.assertRegex(header, rb"with ESMTPSA id [0-9a-f]+ \(TLSv1\.[23]:[^)]*\) auth=yes "
                                 rb"user=" + AUTH_USER.encode() + rb"(\n|$)")
        header = self.received(s, self.client(s, context(s.cert)), b"without-user")
        self.assertRegex(header, rb"with ESMTPS id [0-9a-f]+ \(TLSv1\.[23]:[^)]*\) auth=no(\n|$)")

    def test_without_received_auth_the_header_has_no_auth_clause(self):
        s = self.server("auth-optional <creds>")
        header = self.received(s, self.client(s, context(s.cert), AUTH_USER), b"plain-auth")
        self.assertNotIn(b"auth=", header)

    def test_protocols_refuses_a_version_it_does_not_name(self):
        s = self.server('protocols "tlsv1.3"')
        with self.assertRaises(ssl.SSLError):
            self.client(s, context(s.cert, maximum=ssl.TLSVersion.TLSv1_2))
        c = self.client(s, context(s.cert))
        self.assertEqual(c.sock.version(), "TLSv1.3")

    def test_ciphers_limits_the_tls12_suites(self):
        s = self.server('protocols "tlsv1.2" ciphers "ECDHE-RSA-AES128-GCM-SHA256"')
        c = self.client(s, context(s.cert))
        self.assertEqual(c.sock.version(), "TLSv1.2")
        self.assertEqual(c.sock.cipher()[0], "ECDHE-RSA-AES128-GCM-SHA256")
        with self.assertRaises(ssl.SSLError):
            self.client(s, context(s.cert, ciphers="ECDHE-RSA-AES256-GCM-SHA384"))


if __name__ == "__main__":
    unittest.main()
