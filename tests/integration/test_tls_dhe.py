"""`pki NAME dhe` on a real smtpd: with `dhe auto` a TLS 1.2 client that offers only a DHE cipher
suite completes STARTTLS with it; without it (the default, `none`) the same client is refused,
since the server then has no DH parameters. The certificate is RSA (made at run time)."""
import socket
import ssl
import unittest

from harness import Dialogue, TlsSmtpd

DHE_ONLY = "DHE-RSA-AES128-GCM-SHA256"


def starttls_with_dhe_only(port):
    """STARTTLS offering only DHE_ONLY over TLS 1.2; the negotiated cipher, or raises SSLError."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(DHE_ONLY)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        d = Dialogue.__new__(Dialogue)
        d.sock, d.buf = raw, b""
        assert d.reply()[0] == 220
        d.command(b"EHLO c\r\n")
        assert d.command(b"STARTTLS\r\n")[0] == 220
        tls = ctx.wrap_socket(raw, server_hostname="mx.test")
        cipher = tls.cipher()[0]
        tls.close()
        return cipher
    finally:
        raw.close()


class DheTest(unittest.TestCase):

    def server(self, dhe_line):
        smtpd = TlsSmtpd("tls pki mx.test")
        smtpd.extra_config += dhe_line
        self.addCleanup(smtpd.cleanup)
        return smtpd.start()

    def test_dhe_auto_negotiates_a_dhe_suite(self):
        smtpd = self.server("pki mx.test dhe auto\n")
        self.assertEqual(starttls_with_dhe_only(smtpd.port), DHE_ONLY)

    def test_without_dhe_a_dhe_only_client_is_refused(self):
        smtpd = self.server("")
        with self.assertRaises(ssl.SSLError):
            starttls_with_dhe_only(smtpd.port)

    def test_dhe_none_is_the_default(self):
        smtpd = self.server("pki mx.test dhe none\n")
        with self.assertRaises(ssl.SSLError):
            starttls_with_dhe_only(smtpd.port)


if __name__ == "__main__":
    unittest.main()
