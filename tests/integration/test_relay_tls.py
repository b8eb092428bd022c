"""STARTTLS towards the MX (issue 14): a real smtpd in the DNS namespace of netns.py relays to a
recording peer on mx3.mx.example (127.0.0.13; nothing listens on mx1 and mx2, whose connections
are refused) that offers STARTTLS with a certificate made now (peer_certs.py). Under the default,
opportunistic policy the message goes over TLS whatever the certificate, logged as unverified;
with `relay tls` the certificate must chain to the trust anchors (`ca`) and name the MX host, or
the recipient stays queued; `tls no-verify` requires TLS but not a verified certificate.
As a normal user the namespace is a user namespace where smtpd cannot start: the tests skip.
"""
import shutil

import harness
import netns
import peer_certs
import relay_support

@relay_support.skip_in_user_namespace
class RelayTls(relay_support.RelayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs_dir, cls.certs = peer_certs.make_readable("mx3.mx.example", "relay-tls-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certs_dir, ignore_errors=True)

    def relay(self, certificate, options="", peer_spec=None, extra=""):
        """Starts the peer with `certificate` and smtpd with the relay `options`, submits one
        message; returns (smtpd, peer)."""
        spec = {"extensions": ["PIPELINING", "8BITMIME", "STARTTLS"],
                "tls": self.certs[certificate]}
        spec.update(peer_spec or {})
        peer = self.env.peer("mx3", spec)
        smtpd = relay_support.RelaySmtpd(
            extra_config='ca testca cert "%s"\n%s' % (self.certs["ca"], extra),
            relay_options=options).start()
        self.addCleanup(smtpd.cleanup)
        d = harness.Dialogue(smtpd.port)
        self.addCleanup(d.close)
        self.assertEqual(d.reply()[0], 220)
        for line in (b"EHLO client.example\r\n", b"MAIL FROM:<alice@localhost>\r\n",
                     b"RCPT TO:<bob@mx.example>\r\n"):
            self.assertEqual(d.command(line)[0], 250, line)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)
        self.assertEqual(d.command(b"Subject: tls\r\n\r\ntls-relay-marker\r\n.\r\n")[0], 250)
        return smtpd, peer

    def assert_delivered_over_tls(self, smtpd, peer, check):
        [m] = peer.wait_messages(1)
        self.assertIn(b"tls-relay-marker", m.message)
        tls_sessions = [s for s in peer.sessions() if s.messages()]
        self.assertIsNotNone(tls_sessions[0].tls, "the message went in clear")
        self.assertEqual(tls_sessions[0].tls["sni"], "mx3.mx.example")
        self.assertEqual(tls_sessions[0].after_starttls, b"")
        self.assertTrue(smtpd.queue_is_empty())
        log = smtpd.read_log()
        self.assertIn("mta tls ciphers=TLSv1.", log)
        self.assertIn('mta cert-check result="%s"' % check, log)

    def assert_kept_for_retry(self, smtpd, peer, reason):
        # The attempt is over once the queue counts it; the MTA logged its reason before it
        # answered the queue.
        self.wait_queued(smtpd, ["bob@mx.example"], attempts=1)
        self.assertEqual(peer.messages(), [])
        self.assertIn("TLS handshake failed: %s" % reason, smtpd.read_log())

    def test_opportunistic_tls_takes_any_certificate_and_logs_it_unverified(self):
        smtpd, peer = self.relay("self_signed")
        self.assert_delivered_over_tls(smtpd, peer, "unverified")

    def test_tls_with_the_ca_verifies_the_mx_certificate(self):
        smtpd, peer = self.relay("valid", "tls ca testca")
        self.assert_delivered_over_tls(smtpd, peer, "valid")

    def test_tls_refuses_a_self_signed_certificate(self):
        smtpd, peer = self.relay("self_signed", "tls ca testca")
        self.assert_kept_for_retry(smtpd, peer, "self-signed certificate")

    def test_tls_refuses_an_expired_certificate(self):
        smtpd, peer = self.relay("expired", "tls ca testca")
        self.assert_kept_for_retry(smtpd, peer, "certificate has expired")

    def test_tls_refuses_a_certificate_for_another_name(self):
        smtpd, peer = self.relay("wrong_name", "tls ca testca")
        self.assert_kept_for_retry(smtpd, peer, "hostname mismatch")

    def test_tls_no_verify_requires_tls_but_not_the_certificate(self):
        smtpd, peer = self.relay("self_signed", "tls no-verify")
        self.assert_delivered_over_tls(smtpd, peer, "unverified")


    def test_a_smarthost_gets_auth_over_verified_tls_with_the_labels_credentials(self):
        smtpd, peer = self.relay(
            "valid", "host smtp+tls://outbound@mx3.mx.example ca testca auth <secrets>",
            {"extensions": ["PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"],
             "auth": {"user": "relayuser", "password": "s3cret:with colon",
                      "only_after_tls": True}},
            'table secrets { outbound = "relayuser:s3cret:with colon" }\n')
        self.assert_delivered_over_tls(smtpd, peer, "valid")
        [session] = [s for s in peer.sessions() if s.messages()]
        self.assertEqual(session.auth_identity, "relayuser")
        self.assertTrue(all(a["tls"] for a in session.auth))

    def test_a_label_missing_from_the_auth_table_keeps_the_message_queued(self):
        smtpd, peer = self.relay(
            "valid", "host smtp+tls://nobody@mx3.mx.example ca testca auth <secrets>",
            {"extensions": ["STARTTLS", "AUTH PLAIN LOGIN"],
             "auth": {"user": "relayuser", "password": "x"}},
            'table secrets { outbound = "relayuser:x" }\n')
        (line,) = self.wait_queued(smtpd, ["bob@mx.example"], attempts=1)
        self.assertIn('no credentials for "nobody" in table secrets', line[4])
        self.assertEqual(peer.sessions(), [])


if __name__ == "__main__":
    netns.run_tests()
