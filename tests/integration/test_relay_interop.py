"""Relaying to REAL peers (issue 14, Tests): our smtpd, in the private namespace of netns.py with
its unbound, relays from its local listener to a real MTA found through DNS, and each test
asserts what that peer got (headers and body, envelope sender and recipients, our HELO name,
TLS and AUTH where they apply) and the state of our queue afterwards (empty, the notices per
recipient in the local sender's Maildir). The peers (interop_peers.py) and their zones:

  pf.example      MX mx.pf.example      127.0.0.41  Postfix 3.7 (port 25 with STARTTLS; 587:
                                                    STARTTLS required, Dovecot SASL)
  osmtpd.example  MX mx.osmtpd.example  127.0.0.42  OpenSMTPD 6.8 (no STARTTLS: 6.8's TLS fails
                                                    with OpenSSL 3; no PIPELINING)
  next.example    MX mx.next.example    127.0.0.43  a second smtpd of ours (25; 587: auth)
  origin.example  MX mx.origin.example  127.0.0.44  a recording peer (the SRS sender's domain)
  lmtp.example    (no DNS: `relay host lmtp://127.0.0.1:PORT`)  Dovecot LMTP

Postfix, OpenSMTPD and Dovecot need root and the packages .ci/refs and .ci/deps install; where
they are missing the test says so and skips. As a normal user the namespace is a user namespace
where smtpd cannot start: every test skips there.
"""
import os
import re
import shutil
import socket
import tempfile

import dovecot
import interop_peers
import netns
import peer_certs
import refservers
import relay_support
from interop_peers import wait_messages
from relay_support import wait_for

HELO = "relay.ours.example"
PF, OSMTPD, NEXT, ORIGIN = "127.0.0.41", "127.0.0.42", "127.0.0.43", "127.0.0.44"
LOCAL_DATA = []
for _domain, _address in (("pf.example", PF), ("osmtpd.example", OSMTPD),
                          ("next.example", NEXT), ("origin.example", ORIGIN)):
    LOCAL_DATA += ["%s. IN MX 10 mx.%s." % (_domain, _domain), "mx.%s. IN A %s" % (_domain, _address)]


def header_end(data, start=0):
    """The offset just past the (folded) header field starting at data[start:] (LF lines)."""
    end = data.index(b"\n", start) + 1
    while data[end:end + 1] in (b" ", b"\t"):
        end = data.index(b"\n", end) + 1
    return end


def header_fields(message):
    """The header section of a stored message (LF lines), unfolded, as [(name, value)]."""
    head = message.split(b"\n\n", 1)[0]
    out = []
    for line in re.sub(rb"\n[ \t]+", b" ", head).split(b"\n"):
        name, _, value = line.partition(b":")
        out.append((name.decode("latin-1"), value.strip().decode("utf-8", "replace")))
    return out


def field(fields, name):
    """The value of the first header field called `name`."""
    return next(v for k, v in fields if k == name)


def lf(data):
    """What a Unix mailbox stores of wire content: CRLF as LF, dot-stuffing removed."""
    return re.sub(rb"(?m)^\.\.", b".", data.replace(b"\r\n", b"\n"))


def rcpt_reply(address, port, rcpt, mail_params=b""):
    """The first line of a server's reply to RCPT TO:<rcpt> after a plain MAIL FROM."""
    with socket.create_connection((address, port), timeout=10) as s:
        f = s.makefile("rb")

        def reply():
            while True:
                line = f.readline()
                if line[3:4] != b"-":
                    return line
        reply()
        for command in (b"EHLO client.example", b"MAIL FROM:<alice@localhost>" + mail_params,
                        b"RCPT TO:<" + rcpt + b">"):
            s.sendall(command + b"\r\n")
            line = reply()
        s.sendall(b"QUIT\r\n")
        return line


def message(marker, subject="interop", to="bob@pf.example", extra=b""):
    return (b"From: Alice <alice@localhost>\r\nTo: <%s>\r\nSubject: %s\r\n"
            b"Message-ID: <%s@localhost>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\n"
            b"%s\r\n..a line that starts with a dot\r\n%s" % (
                to.encode(), subject.encode(), marker, marker, extra))


@relay_support.skip_in_user_namespace
class RelayInterop(relay_support.RelayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs_dir = tempfile.mkdtemp(prefix="relay-interop-")
        os.chmod(cls.certs_dir, 0o755)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certs_dir, ignore_errors=True)

    def certs(self, name):
        """peer_certs for `name` (its own CA), readable by every peer's user."""
        return peer_certs.make_readable(name, parent=self.certs_dir)[1]

    def started(self, peer):
        """Starts a peer object, stopping it at the end of the test."""
        self.addCleanup(peer.cleanup)
        peer.start()
        return peer

    def relaying_smtpd(self, relay_options="helo " + HELO, **kw):
        smtpd = self.start_smtpd(relay_options=relay_options, **kw)
        netns.resolver_nameservers(smtpd.read_log())  # raises unless the resolver is on loopback
        return smtpd

    def dovecot_relay(self, unix_socket):
        """A Dovecot LMTP for alice, and our smtpd relaying lmtp.example to it with `relay host
        lmtp://` at its unix socket's path or its TCP address: (dovecot, smtpd)."""
        if not dovecot.available():
            self.skipTest("Dovecot LMTP not installed (.ci/deps installs dovecot-lmtpd)")
        dc = dovecot.Dovecot(users=["alice"])
        self.addCleanup(dc.cleanup)
        smtpd = self.relaying_smtpd(extra_config=(
            'action "lmtp" relay host lmtp://%s helo %s\n'
            'match from local for domain "lmtp.example" action "lmtp"\n'
            % (dc.socket_path if unix_socket else dc.tcp, HELO)))
        return dc, smtpd

    def assertBounced(self, smtpd, rcpt, remote_mta, diagnostic):
        """The failure notice for `rcpt` reached the local sender, naming the remote reply."""
        notice = smtpd.find_delivered(b"Final-Recipient: rfc822; " + rcpt.encode(), timeout=30)
        self.assertIn(b"Action: failed", notice)
        self.assertIn(b"Remote-MTA: dns; " + remote_mta.encode(), notice)
        self.assertRegex(notice, rb"Diagnostic-Code: smtp; " + re.escape(diagnostic.encode()))
        return notice

    # 1. Postfix as the MX.

    def test_postfix_mx_gets_the_recipients_in_one_transaction_and_refuses_the_unknown_one(self):
        # Its certificate is signed by a CA we do not know: opportunistic TLS takes it anyway.
        pf = self.started(interop_peers.PostfixPeer(PF, "pf.example", users=["bob", "carol"],
                                                    tls=self.certs("mx.pf.example")["valid"]))
        smtpd = self.relaying_smtpd()
        body = message(b"interop-postfix-1", extra=b"last line\r\n")
        self.submit(smtpd, "alice@localhost",
                    ["bob@pf.example", "carol@pf.example", "nobody@pf.example"], body)
        got = wait_messages(pf.delivered, 2, what="messages at Postfix",
                            log=lambda: pf.log_tail() + smtpd.read_log()[-5000:])
        self.assertEqual(len(got), 2)
        queue_ids = set()
        rcpts = []
        for m in got:
            fields = header_fields(m)
            self.assertEqual(fields[0], ("Return-Path", "<alice@localhost>"))
            rcpts.append(field(fields, "Delivered-To"))
            self.assertEqual(field(fields, "X-Original-To"), rcpts[-1])
            received = field(fields, "Received")
            self.assertTrue(received.startswith("from %s (" % HELO), received)
            self.assertIn("[127.0.0.1]", received)
            self.assertRegex(received, r"\(using TLSv1\.[23] with cipher \S+")
            queue_ids.add(re.search(r"with ESMTPS id (\w+)", received).group(1))
            # Postfix's Received, then ours, then exactly what was submitted.
            rest = m[header_end(m, m.index(b"\nReceived: ") + 1):]
            self.assertTrue(rest.startswith(b"Received: from client.example"), rest[:200])
            self.assertEqual(rest[header_end(rest):], lf(body))
        self.assertEqual(sorted(rcpts), ["bob@pf.example", "carol@pf.example"])
        self.assertEqual(len(queue_ids), 1, "not one transaction: %s" % queue_ids)
        self.assertBounced(smtpd, "nobody@pf.example", "mx.pf.example",
                           "550 5.1.1 <nobody@pf.example>: Recipient address rejected")
        self.assertQueueEmpty(smtpd)
        wait_for(lambda: pf.queue_ids() == [], 20, "Postfix's queue to empty")
        wait_for(lambda: "nrcpt=2" in pf.maillog(), 20, "nrcpt=2 in Postfix's log")

    # 2. OpenSMTPD 6.8 as the MX.

    def test_opensmtpd_68_mx_without_pipelining_gets_the_message(self):
        osmtpd = self.started(interop_peers.OpenSmtpdPeer(OSMTPD, "osmtpd.example"))
        smtpd = self.relaying_smtpd()
        body = message(b"interop-opensmtpd-2", to="bob@osmtpd.example")
        self.submit(smtpd, "alice@localhost", ["bob@osmtpd.example", "carol@osmtpd.example"], body)
        got = wait_messages(osmtpd.delivered, 2, what="messages at OpenSMTPD",
                            log=lambda: osmtpd.log_tail() + smtpd.read_log()[-5000:])
        self.assertQueueEmpty(smtpd)
        rcpts = []
        for m in got:
            fields = header_fields(m)
            self.assertEqual(fields[0], ("Return-Path", "<alice@localhost>"))
            rcpts.append(field(fields, "Delivered-To"))
            received = field(fields, "Received")
            self.assertTrue(received.startswith("from %s (" % HELO), received)
            self.assertIn("by mx.osmtpd.example (OpenSMTPD) with ESMTP", received)
            self.assertTrue(m.endswith(lf(body)), m[-300:])
        self.assertEqual(sorted(rcpts), ["bob@osmtpd.example", "carol@osmtpd.example"])
        # One transaction with both recipients; it never saw a pipelined command (which 6.8
        # answers with 500 and a disconnect).
        log = osmtpd.log_tail(100000)
        self.assertEqual(len(re.findall(r"smtp message msgid=\w+ size=\d+ nrcpt=2 proto=ESMTP",
                                        log)), 1, log)
        self.assertNotIn("Pipelining", log)

    # 3. Our own smtpd as the next hop.

    def test_our_smtpd_as_next_hop_gets_an_smtputf8_message_byte_for_byte(self):
        nxt = self.started(interop_peers.SmtpdPeer(NEXT, "next.example"))
        smtpd = self.relaying_smtpd()
        rcpt = "jörg@next.example"
        body = ("From: Jörg <jörg@localhost>\r\nTo: <%s>\r\nSubject: Grüße aus Köln ✓\r\n"
                "Message-ID: <interop-utf8-3@localhost>\r\n\r\n"
                "interop-utf8-3 Größenwahn — naïve café 日本語\r\n"
                "..dot line\r\n\r\n%s\r\nlatin-1 in 8 bits: \xe9\r\n" % (rcpt, "é" * 499)
                ).encode("utf-8", "surrogateescape")
        self.assertEqual(len(("é" * 499).encode()), 998)  # the longest line allowed
        self.submit(smtpd, "alice@localhost", [rcpt], body,
                    mail_params=b" SMTPUTF8 BODY=8BITMIME")
        [m] = wait_messages(nxt.delivered, 1, what="messages at the next hop",
                            log=lambda: nxt.read_log()[-4000:])
        self.assertQueueEmpty(smtpd)
        self.assertQueueEmpty(nxt)
        lines = m.split(b"\n", 2)
        self.assertEqual(lines[0], b"Return-Path: <alice@localhost>")
        self.assertEqual(lines[1], b"Delivered-To: " + rcpt.encode())
        theirs = lines[2][:header_end(lines[2])]
        self.assertTrue(theirs.startswith(b"Received: from %s ([127.0.0.1])" % HELO.encode()),
                        theirs)
        rest = lines[2][len(theirs):]
        self.assertTrue(rest.startswith(b"Received: from client.example"), rest[:200])
        self.assertEqual(rest[header_end(rest):], lf(body))
        # The next hop was told SMTPUTF8 and 8BITMIME: its envelope said so before delivery.
        # The next hop refuses that recipient without SMTPUTF8 (RFC 6531 section 3.4): the relay
        # passed the parameter on.
        self.assertEqual(rcpt_reply(NEXT, 25, rcpt.encode())[:4], b"553 ")

    # 4. Dovecot LMTP over TCP.

    def test_dovecot_lmtp_over_tcp_delivers_to_the_mailbox_and_refuses_an_unknown_user(self):
        dc, smtpd = self.dovecot_relay(unix_socket=False)
        body = message(b"interop-lmtp-4", to="alice@lmtp.example")
        self.submit(smtpd, "bob@localhost", ["alice@lmtp.example", "nobody@lmtp.example"], body)
        [m] = wait_messages(lambda: dc.delivered("alice"), 1, what="messages in Dovecot",
                            log=dc.log)
        fields = header_fields(m)
        self.assertEqual(fields[0], ("Return-Path", "<bob@localhost>"))
        self.assertIn(("Delivered-To", "alice@lmtp.example"), fields)
        received = [v for k, v in fields if k == "Received"]
        self.assertTrue(received[0].startswith("from %s (" % HELO), received)
        self.assertIn("with LMTP", received[0])
        self.assertTrue(m.endswith(lf(body)), m[-300:])
        self.assertBounced(smtpd, "nobody@lmtp.example", "127.0.0.1", "550 5.1.1")
        self.assertQueueEmpty(smtpd)

    def test_dovecot_lmtp_over_a_unix_socket_delivers_to_the_mailbox(self):
        # The dispatcher's chroot hides the path: the parent connects and hands the socket over.
        dc, smtpd = self.dovecot_relay(unix_socket=True)
        bodies = [message(b"interop-lmtp-unix-%d" % n, to="alice@lmtp.example") for n in (1, 2)]
        for body in bodies:
            self.submit(smtpd, "bob@localhost", ["alice@lmtp.example"], body)
        got = wait_messages(lambda: dc.delivered("alice"), 2, what="messages in Dovecot",
                            log=dc.log)
        for body in bodies:
            [m] = [m for m in got if m.endswith(lf(body))]
            fields = header_fields(m)
            self.assertEqual(fields[0], ("Return-Path", "<bob@localhost>"))
            self.assertIn(("Delivered-To", "alice@lmtp.example"), fields)
        self.assertQueueEmpty(smtpd)
        wait_for(lambda: "mta connecting address=lmtp://%s" % dc.socket_path in smtpd.read_log(),
                 20, "the lmtp:// connection in the log")

    # 5. AUTH to a smarthost.

    def test_postfix_smarthost_with_dovecot_sasl_over_starttls_sees_the_identity(self):
        certs = self.certs("mx.pf.example")
        auth = interop_peers.DovecotAuth({"relayuser": "s3cret pass"})
        self.addCleanup(auth.cleanup)
        submission = ("%s:587 inet n - n - - smtpd -o smtpd_tls_security_level=encrypt "
                      "-o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot "
                      "-o smtpd_sasl_path=%s "
                      "-o smtpd_relay_restrictions=permit_sasl_authenticated,reject "
                      "-o smtpd_client_restrictions=permit_sasl_authenticated,reject"
                      % (PF, auth.socket_path))
        pf = self.started(interop_peers.PostfixPeer(
            PF, "pf.example", users=["bob"],
            services=[submission], tls=certs["valid"]))
        smtpd = self.relaying_smtpd(
            relay_options="host smtp+tls://outbound@mx.pf.example:587 ca testca "
                          "auth <secrets> helo " + HELO,
            extra_config='ca testca cert "%s"\ntable secrets { outbound = "relayuser:s3cret pass" }\n'
                         % certs["ca"])
        body = message(b"interop-sasl-5")
        self.submit(smtpd, "alice@localhost", ["bob@pf.example"], body)
        [m] = wait_messages(pf.delivered, 1, what="messages at Postfix", log=pf.log_tail)
        self.assertQueueEmpty(smtpd)
        received = field(header_fields(m), "Received")
        self.assertTrue(received.startswith("from %s (" % HELO), received)
        self.assertIn("(Authenticated sender: relayuser)", received)
        self.assertRegex(received, r"with ESMTPSA id \w+")
        self.assertIn("(using TLSv1.", received)
        self.assertTrue(m.endswith(lf(body)), m[-300:])
        wait_for(lambda: "sasl_method=PLAIN, sasl_username=relayuser" in pf.maillog(), 20,
                 "the SASL login in Postfix's log")

    def test_our_smtpd_as_smarthost_with_auth_on_its_listener_sees_the_identity(self):
        certs = self.certs("mx.next.example")
        creds = refservers.make_credentials(self.certs_dir)
        nxt = self.started(interop_peers.SmtpdPeer(
            NEXT, "next.example", port=587, listen_options="tls pki next auth <creds>",
            extra_config='pki next cert "%s"\npki next key "%s"\ntable creds file:%s\n'
                         % (certs["valid"]["cert"], certs["valid"]["key"], creds)))
        smtpd = self.relaying_smtpd(
            relay_options="host smtp+tls://outbound@mx.next.example:587 ca testca "
                          "auth <secrets> helo " + HELO,
            extra_config='ca testca cert "%s"\ntable secrets { outbound = "%s:%s" }\n'
                         % (certs["ca"], refservers.AUTH_USER, refservers.AUTH_PASSWORD))
        body = message(b"interop-auth-ours-5", to="bob@next.example")
        self.submit(smtpd, "alice@localhost", ["bob@next.example"], body)
        [m] = wait_messages(nxt.delivered, 1, what="messages at the smarthost",
                            log=lambda: nxt.read_log()[-4000:])
        self.assertQueueEmpty(smtpd)
        received = field(header_fields(m), "Received")
        self.assertTrue(received.startswith("from %s ([127.0.0.1])" % HELO), received)
        self.assertRegex(received, r"with ESMTPSA id [0-9a-f]{16}")
        self.assertTrue(m.endswith(lf(body)), m[-300:])
        wait_for(lambda: "smtp authentication user=%s result=ok" % refservers.AUTH_USER
                 in nxt.read_log(), 20, "the AUTH line in the smarthost's log")

    # 6. SRS round trip.

    def test_srs_forward_bounced_by_postfix_comes_back_and_reaches_the_original_sender(self):
        origin = self.env.peer(ORIGIN)
        smtpd = self.relaying_smtpd(relay_options="srs helo " + HELO,
                                    extra_config='srs key "interop-srs-secret"\n',
                                    vusers={"fwd@localhost": "gone@pf.example"})
        pf = self.started(interop_peers.PostfixPeer(
            PF, "pf.example", users=["gone"],
            transports=[("gone@pf.example", "error:5.1.1 mailbox is gone"),
                        ("localhost", "smtp:[127.0.0.1]:%d" % smtpd.port)],
            # Accept at RCPT what the error transport then bounces (by default Postfix refuses
            # such a recipient at once, and the notice would be ours, not a bounce to the SRS).
            extra_main_cf="smtpd_reject_unlisted_recipient = no\n"))
        body = message(b"interop-srs-6", to="fwd@localhost")
        self.submit(smtpd, "carol@origin.example", ["fwd@localhost"], body)
        [bounce] = origin.wait_messages(1, timeout=60)
        self.assertEqual(bounce.mail_from, "")
        self.assertEqual(bounce.accepted_rcpts, ["carol@origin.example"])
        # Postfix bounced to the SRS address we sent as the forwarded message's sender.
        sent_as = re.search(rb"X-Postfix-Sender: rfc822; (\S+)", bounce.message)
        self.assertIsNotNone(sent_as, bounce.message[:2000])
        self.assertRegex(sent_as.group(1),
                         rb"^SRS0=[A-Za-z0-9_-]{4}=[A-Z2-7]{2}=origin\.example=carol@localhost$")
        self.assertIn(b"gone@pf.example", bounce.message)
        self.assertIn(b"mailbox is gone", bounce.message)
        self.assertIn(b"interop-srs-6", bounce.message)
        self.assertQueueEmpty(smtpd)
        wait_for(lambda: pf.queue_ids() == [], 20, "Postfix's queue to empty")
        self.assertEqual(pf.delivered(), [])


if __name__ == "__main__":
    netns.run_tests(local_data=LOCAL_DATA)
