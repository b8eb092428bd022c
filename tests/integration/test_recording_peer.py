"""The receiving peers of the relay tests checked on their own (issue 14, Tests): recording_peer.py
driven by smtplib and by raw sockets inside netns.py's namespace, on the MX addresses relay_env.py
uses. Each test asserts what the peer recorded (source address, HELO name, MAIL/RCPT parameters,
the message as received by DATA and BDAT, STARTTLS with SNI, AUTH PLAIN/LOGIN identities) and
that its scripted replies and faults happen (per-recipient codes, 421 greeting, drop mid-DATA,
stalls, hostile replies). The SMTP-smuggling endings (LF . LF, CR . CR, CRLF . CR, LF . CRLF)
must stay inside one message, since the relay tests count on the peer to show them. Also the peer
in a process of its own, Postfix's smtp-sink, and our smtpd's LMTP client delivering to the
peer (these two as root only: in a user namespace neither can drop privileges).
"""
import os
import shutil
import smtplib
import socket
import ssl
import sys
import tempfile
import time
import unittest

import harness
import netns
import peer_certs
import peer_record
import relay_env

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../conformance"))
import refservers  # noqa: E402

MX1 = "127.0.0.11"
SMUGGLING_ENDINGS = [b"\n.\n", b"\r.\r", b"\r\n.\r", b"\n.\r\n"]


class Raw:
    """A raw client: bytes out, whole replies (code, [lines]) in."""

    def __init__(self, address=MX1, port=25, timeout=10):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect((address, port))
        except OSError as e:
            raise OSError(e.errno, "%s: connect to %s port %d" % (e.strerror, address, port))
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed after %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def reply(self):
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def command(self, data):
        self.sock.sendall(data)
        return self.reply()

    def close(self):
        self.sock.close()


class PeerTestCase(unittest.TestCase):
    def setUp(self):
        self.env = relay_env.RelayEnv()
        self.addCleanup(self.env.stop)

    def peer(self, spec=None, **kw):
        return self.env.peer("mx1", spec, **kw)

    def raw(self, address=MX1):
        r = Raw(address)
        self.addCleanup(r.close)
        self.assertEqual(r.reply()[0], 220)
        return r

    def transaction(self, r, rcpt=b"ok@y.example"):
        self.assertEqual(r.command(b"EHLO client.example\r\n")[0], 250)
        self.assertEqual(r.command(b"MAIL FROM:<a@x.example>\r\n")[0], 250)
        self.assertEqual(r.command(b"RCPT TO:<" + rcpt + b">\r\n")[0], 250)


class Recording(PeerTestCase):
    def test_envelope_message_and_source_address_are_recorded(self):
        peer = self.peer()
        body = b"Subject: t\r\n\r\n.leading dot\r\n\xc3\xa9 8-bit\r\n"
        with smtplib.SMTP(MX1, 25, source_address=("127.0.0.2", 0), timeout=10) as c:
            c.ehlo("client.example")
            refused = c.sendmail("a@x.example", ["ok@y.example", "temp1@y.example",
                                                 "perm@y.example", "full2@y.example"], body,
                                 mail_options=["BODY=8BITMIME", "RET=HDRS"],
                                 rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
        self.assertEqual({k: v[0] for k, v in refused.items()},
                         {"temp1@y.example": 451, "perm@y.example": 550, "full2@y.example": 452})
        [s] = peer.wait_sessions(1)
        self.assertEqual(s.peer[0], "127.0.0.2")
        self.assertEqual(s.listen, [MX1, 25])
        self.assertEqual(s.helos, [["EHLO", "client.example"]])
        self.assertEqual(s.close_reason, "quit")
        [t] = s.transactions
        self.assertEqual(t.mail_from, "a@x.example")
        self.assertEqual(t.params, ["size=%d" % len(body), "BODY=8BITMIME", "RET=HDRS"])
        self.assertEqual([(r.address, r.params, r.code) for r in t.rcpts], [
            ("ok@y.example", ["NOTIFY=SUCCESS,FAILURE"], 250),
            ("temp1@y.example", ["NOTIFY=SUCCESS,FAILURE"], 451),
            ("perm@y.example", ["NOTIFY=SUCCESS,FAILURE"], 550),
            ("full2@y.example", ["NOTIFY=SUCCESS,FAILURE"], 452)])
        self.assertEqual(t.kind, "DATA")
        self.assertEqual(t.message, body)
        self.assertEqual(t.data, body.replace(b"\r\n.", b"\r\n.."))
        self.assertTrue(t.accepted)
        self.assertEqual(peer.messages(), [t])
        self.assertIn(b"\r\n..leading dot\r\n\xc3\xa9 8-bit\r\n.\r\nQUIT\r\n", s.raw)
        self.assertTrue(s.raw.startswith(b"ehlo client.example\r\nmail FROM:<a@x.example> size="))

    def test_replies_per_transaction_and_scripted_replies(self):
        peer = self.peer({"data_end": ["250 2.0.0 first", "554 5.6.0 second refused"],
                          "rcpt": [["bad*", "550 5.7.1 no"]], "mail": "250 2.1.0 sender ok",
                          "replies": {"NOOP": "250-one\r\n250 two"}})
        r = self.raw()
        self.transaction(r, rcpt=b"temp@y.example")  # the default rules are replaced
        self.assertEqual(r.command(b"RCPT TO:<bad@y.example>\r\n")[0], 550)
        self.assertEqual(r.command(b"DATA\r\n")[0], 354)
        self.assertEqual(r.command(b"one\r\n.\r\n"), (250, [b"250 2.0.0 first\r\n"]))
        self.assertEqual(r.command(b"MAIL FROM:<>\r\n"), (250, [b"250 2.1.0 sender ok\r\n"]))
        self.assertEqual(r.command(b"RCPT TO:<c@y.example>\r\n")[0], 250)
        self.assertEqual(r.command(b"DATA\r\n")[0], 354)
        self.assertEqual(r.command(b"two\r\n.\r\n")[0], 554)
        self.assertEqual(r.command(b"NOOP\r\n"), (250, [b"250-one\r\n", b"250 two\r\n"]))
        self.assertEqual(r.command(b"QUIT\r\n")[0], 221)
        [s] = peer.wait_sessions(1)
        self.assertEqual([(t.mail_from, t.accepted_rcpts, t.message, t.reply)
                          for t in s.transactions],
                         [("a@x.example", ["temp@y.example"], b"one\r\n", 250),
                          ("", ["c@y.example"], b"two\r\n", 554)])
        self.assertEqual(len(peer.messages()), 1)

    def test_smuggling_endings_stay_inside_one_message(self):
        peer = self.peer()
        bodies = [b"Subject: s\r\n\r\nbefore" + ending + b"MAIL FROM:<smuggled@evil.example>\r\n"
                  b"RCPT TO:<victim@y.example>\r\nDATA\r\nsmuggled\r\n"
                  for ending in SMUGGLING_ENDINGS]
        for body in bodies:
            r = self.raw()
            self.transaction(r)
            self.assertEqual(r.command(b"DATA\r\n")[0], 354)
            code, lines = r.command(body + b".\r\n")
            self.assertEqual(code, 250, lines)
            self.assertEqual(r.command(b"QUIT\r\n")[0], 221)
        sessions = peer.wait_sessions(len(SMUGGLING_ENDINGS))
        for s, ending, body in zip(sessions, SMUGGLING_ENDINGS, bodies):
            [t] = s.transactions
            self.assertEqual(t.data, body)
            self.assertEqual(t.message, peer_record.unstuff(body))
            prefix = len(b"Subject: s\r\n\r\nbefore")
            self.assertEqual(peer_record.bare_line_endings(t.data),
                             [prefix + i for i in peer_record.bare_line_endings(ending)], ending)
            self.assertFalse([c for c in s.commands if "smuggled" in c], ending)

    def test_bdat_chunks_are_recorded_as_received(self):
        peer = self.peer()
        r = self.raw()
        self.transaction(r)
        self.assertEqual(r.command(b"BDAT 7\r\nab\r\n.\nc")[0], 250)
        self.assertEqual(r.command(b"BDAT 0 LAST\r\n"), (250, [b"250 2.0.0 Ok: queued\r\n"]))
        [t] = peer.wait_for(lambda ss: ss and ss[0].transactions and ss[0].transactions[0].complete,
                            what="a BDAT message")[0].transactions
        self.assertEqual((t.kind, t.chunks, t.message, t.data), ("BDAT", [7, 0], b"ab\r\n.\nc",
                                                                 b"ab\r\n.\nc"))
        self.assertEqual(peer_record.bare_line_endings(t.message), [5])

    def test_parameters_need_their_extension_and_size_is_enforced(self):
        peer = self.peer({"extensions": ["SIZE 100"]})
        r = self.raw()
        self.assertEqual(r.command(b"EHLO c\r\n")[1],
                         [b"250-peer.example\r\n", b"250 SIZE 100\r\n"])
        self.assertEqual(r.command(b"MAIL FROM:<a@x.example> BODY=8BITMIME\r\n")[0], 555)
        self.assertEqual(r.command(b"MAIL FROM:<a@x.example> SIZE=101\r\n")[0], 552)
        self.assertEqual(r.command(b"MAIL FROM:<a@x.example> SIZE=100\r\n")[0], 250)
        self.assertEqual(r.command(b"RCPT TO:<b@y.example> NOTIFY=NEVER\r\n")[0], 555)
        self.assertEqual(r.command(b"RCPT TO:<b@y.example>\r\n")[0], 250)
        self.assertEqual(r.command(b"BDAT 1 LAST\r\nx")[0], 502)
        self.assertEqual(r.command(b"DATA\r\n")[0], 354)
        self.assertEqual(r.command(b"x" * 200 + b"\r\n.\r\n")[0], 552)
        s = peer.wait_for(lambda ss: len(ss[0].transactions) == 3, what="3 transactions")[0]
        self.assertEqual([t.code for t in s.transactions], [555, 552, 250])
        self.assertEqual(s.transactions[2].reply, 552)
        self.assertEqual(peer.messages(), [])

    def test_listens_on_ipv6_and_the_v6only_mx_address(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        peer = self.env.peer("v6only", also=["::1", MX1])
        for address in ("2001:db8::25", "::1", MX1):
            r = self.raw(address)
            self.assertEqual(r.command(b"QUIT\r\n")[0], 221)
        sessions = peer.wait_sessions(3)
        self.assertEqual([s.listen[0] for s in sessions], ["2001:db8::25", "::1", MX1])
        self.assertEqual(sessions[1].peer[0], "::1")

    def test_replies_before_each_command_show_what_the_client_waited_for(self):
        peer = self.peer()
        r = self.raw()
        self.assertEqual(r.command(b"EHLO c\r\n")[0], 250)
        r.sock.sendall(b"MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n")
        self.assertEqual([r.reply()[0] for _ in range(3)], [250, 250, 354])
        self.assertEqual(r.command(b"body\r\n.\r\n")[0], 250)
        self.assertEqual(r.command(b"QUIT\r\n")[0], 221)
        [s] = peer.wait_sessions(1)
        self.assertEqual(s.commands, ["EHLO c", "MAIL FROM:<a@x.example>", "RCPT TO:<b@y.example>",
                                      "DATA", "QUIT"])
        # greeting 1, EHLO 2, MAIL 3, RCPT 4, DATA 5, end of data 6
        self.assertEqual(s.replies_before, [1, 2, 2, 2, 6])

    def test_lmtp_replies_per_recipient_after_the_message(self):
        peer = self.env.peer("mx1", {"lmtp": True, "lmtp_data_end": [["over*", "452 4.2.2 quota"]]},
                             port=24)
        r = Raw(MX1, 24)
        self.addCleanup(r.close)
        self.assertEqual(r.reply()[0], 220)
        self.assertEqual(r.command(b"EHLO c\r\n")[0], 500)
        self.assertEqual(r.command(b"LHLO c\r\n")[0], 250)
        self.assertEqual(r.command(b"MAIL FROM:<a@x.example>\r\n")[0], 250)
        for rcpt, code in ((b"a", 250), (b"perm", 550), (b"over", 250)):
            self.assertEqual(r.command(b"RCPT TO:<%s@y.example>\r\n" % rcpt)[0], code)
        self.assertEqual(r.command(b"DATA\r\n")[0], 354)
        self.assertEqual(r.command(b"lmtp\r\n.\r\n")[0], 250)
        self.assertEqual(r.reply(), (452, [b"452 4.2.2 quota\r\n"]))
        self.assertEqual(r.command(b"QUIT\r\n")[0], 221)
        [s] = peer.wait_sessions(1)
        self.assertEqual(s.helos, [["EHLO", "c"], ["LHLO", "c"]])
        [t] = s.transactions
        self.assertEqual(t.rcpt_replies, [["a@y.example", 250], ["over@y.example", 452]])
        self.assertTrue(t.accepted)

    def test_json_round_trip_keeps_every_field(self):
        peer = self.peer()
        with smtplib.SMTP(MX1, 25, timeout=10) as c:
            c.sendmail("a@x.example", ["ok@y.example"], b"x\r\n")
        [s] = peer.wait_sessions(1)
        again = peer_record.Session.from_json(s.to_json())
        self.assertEqual(again.to_json(), s.to_json())
        self.assertEqual(again.transactions[0].message, b"x\r\n")
        self.assertEqual(again.transactions[0].rcpts[0].address, "ok@y.example")

    def test_helpers(self):
        self.assertEqual(peer_record.bare_line_endings(b"a\r\nb\nc\rd\r\n\r"), [4, 6, 10])
        self.assertEqual(peer_record.unstuff(b"..a\r\n.\r\nb.\r\n"), b".a\r\n\r\nb.\r\n")


class TlsAndAuth(PeerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="peer-tls-")
        cls.cert, cls.key = refservers.make_certificate(cls.dir, "mx1.mx.example")
        cls.spec = {"extensions": ["PIPELINING", "STARTTLS", "AUTH PLAIN LOGIN"],
                    "tls": {"cert": cls.cert, "key": cls.key},
                    "auth": {"user": "alice", "password": "secret", "only_after_tls": True}}
        cls.certs = peer_certs.make(cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def starttls(self, c):
        c.ehlo("client.example")
        self.assertNotIn("auth", c.esmtp_features)
        # smtplib names the server by the address it connected to; SNI needs a name.
        c._host = "mx1.mx.example"
        c.starttls(context=ssl.create_default_context(cafile=self.cert))
        c.ehlo("client.example")
        self.assertNotIn("starttls", c.esmtp_features)
        self.assertEqual(c.esmtp_features["auth"], " PLAIN LOGIN")

    def test_starttls_and_auth_plain_are_recorded(self):
        peer = self.peer(self.spec)
        with smtplib.SMTP(MX1, 25, timeout=10) as c:
            self.starttls(c)
            c.login("alice", "secret")
            c.sendmail("a@x.example", ["ok@y.example"], b"secret body\r\n")
        [s] = peer.wait_sessions(1)
        self.assertEqual(s.tls["sni"], "mx1.mx.example")
        self.assertIn(s.tls["version"], ("TLSv1.2", "TLSv1.3"))
        self.assertTrue(s.tls["cipher"])
        self.assertIsNone(s.tls["client_cert"])
        self.assertEqual(s.auth, [{"mechanism": "PLAIN", "identity": "alice", "authzid": "",
                                   "success": True, "tls": True}])
        self.assertEqual(s.auth_identity, "alice")
        self.assertEqual(s.helos, [["EHLO", "client.example"], ["EHLO", "client.example"]])
        self.assertTrue(s.raw[:s.tls_offset].endswith(b"STARTTLS\r\n"), s.raw[:s.tls_offset])
        self.assertNotIn(b"secret body", s.raw[:s.tls_offset])
        self.assertIn(b"AUTH PLAIN", s.raw[s.tls_offset:])
        self.assertEqual(s.after_starttls, b"")
        self.assertEqual(peer.messages()[0].message, b"secret body\r\n")

    def test_auth_login_and_a_wrong_password(self):
        peer = self.peer(self.spec)
        with smtplib.SMTP(MX1, 25, timeout=10) as c:
            self.starttls(c)
            c.user, c.password = "alice", "wrong"
            with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                c.auth("LOGIN", c.auth_login, initial_response_ok=False)
            self.assertEqual(e.exception.smtp_code, 535)
            c.user, c.password = "alice", "secret"
            self.assertEqual(c.auth("LOGIN", c.auth_login, initial_response_ok=False)[0], 235)
        [s] = peer.wait_sessions(1)
        self.assertEqual([(a["mechanism"], a["identity"], a["success"]) for a in s.auth],
                         [("LOGIN", "alice", False), ("LOGIN", "alice", True)])

    def test_bytes_pipelined_after_starttls_are_recorded_and_dropped(self):
        peer = self.peer(self.spec)
        r = self.raw()
        self.assertEqual(r.command(b"EHLO c\r\n")[0], 250)
        self.assertEqual(r.command(b"STARTTLS\r\nNOOP\r\n")[0], 220)
        ctx = ssl.create_default_context(cafile=self.cert)
        tls = ctx.wrap_socket(r.sock, server_hostname="mx1.mx.example")
        tls.sendall(b"QUIT\r\n")
        self.assertTrue(tls.recv(100).startswith(b"221"))
        tls.close()
        [s] = peer.wait_sessions(1)
        self.assertEqual(s.after_starttls, b"NOOP\r\n")
        self.assertEqual(s.commands, ["EHLO c", "STARTTLS", "QUIT"])

    def test_implicit_tls_on_port_465(self):
        peer = self.env.peer("mx1", {"implicit_tls": True, "tls": self.certs["valid"]}, port=465)
        ctx = ssl.create_default_context(cafile=self.certs["ca"])
        raw = socket.create_connection((MX1, 465), timeout=10)
        # smtplib.SMTP_SSL names the server by its address; SNI and verification need the name.
        with smtplib.SMTP(timeout=10) as c:
            c.sock = ctx.wrap_socket(raw, server_hostname="mx1.mx.example")
            self.assertEqual(c.getreply()[0], 220)
            self.assertEqual(c.sendmail("a@x.example", ["ok@y.example"], b"smtps\r\n"), {})
        [s] = peer.wait_sessions(1)
        self.assertEqual((s.tls["sni"], s.tls_offset), ("mx1.mx.example", 0))
        self.assertTrue(s.raw.startswith(b"ehlo "), s.raw[:20])
        self.assertEqual(peer.messages()[0].message, b"smtps\r\n")

    def handshake(self, tls, ca=None, client=None):
        """STARTTLS to a peer with the spec's "tls" = `tls`, trusting only `ca` (the test CA);
        returns the session, or the ssl.SSLCertVerificationError."""
        peer = self.peer({"extensions": ["STARTTLS"], "tls": tls})
        ctx = ssl.create_default_context(cafile=ca or self.certs["ca"])
        if client:
            ctx.load_cert_chain(client["cert"], client["key"])
        with smtplib.SMTP(MX1, 25, timeout=10) as c:
            c.ehlo("client.example")
            c._host = "mx1.mx.example"
            try:
                c.starttls(context=ctx)
            except ssl.SSLCertVerificationError as e:
                peer.stop()
                return e
            c.noop()
        session = peer.wait_sessions(1)[0]
        peer.stop()
        return session

    def test_certificates_of_each_kind_verify_as_named(self):
        self.assertEqual(self.handshake(self.certs["valid"]).tls["sni"], "mx1.mx.example")
        for kind, reason in (("expired", "certificate has expired"),
                             ("wrong_name", "Hostname mismatch"),
                             ("self_signed", "self-signed certificate")):
            error = self.handshake(self.certs[kind])
            self.assertIsInstance(error, ssl.SSLCertVerificationError, kind)
            self.assertIn(reason, error.verify_message, kind)

    def test_client_certificate_is_recorded(self):
        tls = dict(self.certs["valid"], client_ca=self.certs["ca"])
        s = self.handshake(tls, client=self.certs["client"])
        self.assertEqual(s.tls["client_cert"], {"commonName": "client.example"})
        self.assertIsNone(self.handshake(tls).tls["client_cert"])


class Faults(PeerTestCase):
    def test_greeting_421_closes_and_per_connection_specs(self):
        peer = self.peer({"per_connection": [{"greeting": "421 4.3.2 busy"}]})
        with self.assertRaises(smtplib.SMTPConnectError) as e:
            smtplib.SMTP(MX1, 25, timeout=10)
        self.assertEqual(e.exception.smtp_code, 421)
        with smtplib.SMTP(MX1, 25, timeout=10) as c:
            self.assertEqual(c.noop()[0], 250)
        sessions = peer.wait_sessions(2)
        self.assertEqual(sessions[0].close_reason, "421 after CONNECT")
        self.assertEqual(sessions[0].commands, [])

    def test_drop_mid_data_keeps_what_arrived(self):
        peer = self.peer({"drop_mid_data": 1000})
        with smtplib.SMTP(MX1, 25, timeout=10) as c:
            with self.assertRaises(smtplib.SMTPServerDisconnected):
                c.sendmail("a@x.example", ["ok@y.example"], b"y" * 100000 + b"\r\n")
        [s] = peer.wait_sessions(1)
        [t] = s.transactions
        self.assertFalse(t.complete)
        self.assertGreaterEqual(len(t.data), 1000)
        self.assertLess(len(t.data), 100000)
        self.assertTrue(s.close_reason.startswith("fault: drop mid-data"), s.close_reason)
        self.assertEqual(peer.messages(), [])

    def test_drop_mid_bdat(self):
        peer = self.peer({"drop_mid_data": 10})
        r = self.raw()
        self.transaction(r)
        r.sock.sendall(b"BDAT 20 LAST\r\n" + b"z" * 20)
        self.assertRaises((EOFError, ConnectionResetError), r.reply)
        [s] = peer.wait_sessions(1)
        self.assertFalse(s.transactions[0].complete)

    def test_stall_after_rcpt_and_drop_after_mail(self):
        peer = self.peer({"per_connection": [{"stall_after": "RCPT"}, {"drop_after": "MAIL"}]})
        with smtplib.SMTP(MX1, 25, timeout=1) as c:
            c.ehlo("c")
            c.mail("a@x.example")
            with self.assertRaises((socket.timeout, smtplib.SMTPServerDisconnected)):
                c.rcpt("b@y.example")
            c.close()
        with smtplib.SMTP(MX1, 25, timeout=10) as c:
            c.ehlo("c")
            with self.assertRaises(smtplib.SMTPServerDisconnected):
                c.mail("a@x.example")
        stalled, dropped = peer.wait_sessions(2)
        self.assertEqual(stalled.commands[-1], "rcpt TO:<b@y.example>")
        self.assertTrue(stalled.sent.endswith(b"250 2.1.0 Ok\r\n"), stalled.sent)
        self.assertEqual(dropped.close_reason, "fault: drop after MAIL")

    def test_delay(self):
        self.peer({"delay": {"NOOP": 0.5}})
        r = self.raw()
        start = time.monotonic()
        self.assertEqual(r.command(b"NOOP\r\n")[0], 250)
        self.assertGreaterEqual(time.monotonic() - start, 0.5)

    def test_hostile_replies(self):
        peer = self.peer({"hostile": {"EHLO": "long_line", "HELO": "mixed_codes",
                                      "NOOP": "bare_lf", "RSET": "endless"}})
        r = self.raw()
        code, lines = r.command(b"EHLO c\r\n")
        self.assertEqual(len(lines[0]), 5006)
        self.assertEqual([l[:4] for l in r.command(b"HELO c\r\n")[1]], [b"250-", b"451-", b"250 "])
        self.assertEqual(r.command(b"NOOP\r\n")[1], [b"250-peer.example\n", b"250 Ok\n"])
        r.sock.sendall(b"RSET\r\n")
        for _ in range(1000):
            self.assertTrue(r.line().startswith(b"250-endless"))
        r.close()
        [s] = peer.wait_sessions(1, timeout=40)
        self.assertTrue(s.close_reason.startswith(("fault: endless", "error")), s.close_reason)

    def test_bad_hostile_kind_is_refused(self):
        with self.assertRaises(ValueError):
            self.peer({"per_connection": [{}, {"hostile": {"EHLO": "nonsense"}}]})
        with self.assertRaises(ValueError):
            self.peer({"implicit_tls": True})


class Processes(PeerTestCase):
    def test_peer_in_its_own_process_records_to_its_directory(self):
        peer = self.env.peer("mx2", {"data_end": "250 2.0.0 first spec"}, process=True)
        with smtplib.SMTP("127.0.0.12", 25, timeout=10) as c:
            self.assertEqual(c.sendmail("a@x.example", ["ok@y.example"], b"one\r\n"), {})
        peer.set_spec({"rcpt_default": "451 4.3.0 second spec"})
        with smtplib.SMTP("127.0.0.12", 25, timeout=10) as c:
            with self.assertRaises(smtplib.SMTPRecipientsRefused):
                c.sendmail("a@x.example", ["ok@y.example"], b"two\r\n")
        first, second = peer.wait_sessions(2)
        self.assertEqual(first.transactions[0].message, b"one\r\n")
        self.assertEqual(first.sent.splitlines()[-2], b"250 2.0.0 first spec")
        self.assertEqual(second.transactions[0].rcpts[0].code, 451)
        self.assertEqual([t.message for t in peer.messages()], [b"one\r\n"])
        peer.stop()
        self.assertIsNotNone(peer.proc.returncode)
        self.assertRaises(OSError, socket.create_connection, ("127.0.0.12", 25), 2)

    def test_smtp_sink(self):
        sink = self.env.sink("mx3")
        with smtplib.SMTP("127.0.0.13", 25, source_address=("127.0.0.3", 0), timeout=10) as c:
            c.ehlo("client.example")
            c.sendmail("a@x.example", ["b@y.example", "c@y.example"], b"Subject: s\r\n\r\nsink\r\n")
        [m] = sink.wait_messages(1)
        self.assertEqual((m["client_addr"], m["helo"], m["mail"]),
                         ("127.0.0.3", "client.example", "<a@x.example>"))
        self.assertEqual(m["rcpts"], ["<b@y.example>", "<c@y.example>"])
        self.assertIn(b"sink", m["content"])
        sink.stop()
        self.assertIsNotNone(sink.proc.returncode)


def in_user_namespace():
    with open("/proc/self/uid_map") as f:
        return f.read().split()[:2] != ["0", "0"]


@unittest.skipIf(in_user_namespace(), "smtpd cannot start as the root of a user namespace")
class OurSmtpdAsClient(PeerTestCase):
    """Our smtpd's LMTP client (the client machine the relay grows from) delivering to the peer
    in the namespace: what a relay test does, with the peer as the next hop."""

    def test_lmtp_delivery_from_smtpd_is_recorded_with_crlf_only(self):
        peer = self.env.peer("mx1", {"lmtp": True,
                                     "lmtp_data_end": [["later*", "452 4.2.2 over quota"]]},
                             port=24)
        smtpd = harness.Smtpd(extra_config=(
            'action "peer" lmtp "%s:24" rcpt-to virtual <vusers>\n'
            'match from any for domain "lmtp.example" action "peer"\n' % MX1)).start()
        self.addCleanup(smtpd.cleanup)
        body = (b"Subject: through smtpd\r\n\r\n.leading dot\r\n" + b"z" * 998 + b"\r\n"
                b"peer-marker\r\n")
        with smtplib.SMTP("127.0.0.1", smtpd.port, timeout=10) as c:
            self.assertEqual(c.sendmail("s@client.example", ["alice@lmtp.example"], body), {})
        [t] = peer.wait_messages(1)
        [s] = peer.wait_sessions(1)
        self.assertEqual(s.helos[0][0], "LHLO")
        self.assertEqual(s.peer[0], "127.0.0.1")
        self.assertEqual(t.mail_from, "s@client.example")
        self.assertEqual(t.accepted_rcpts, ["alice@lmtp.example"])
        self.assertEqual(t.rcpt_replies, [["alice@lmtp.example", 250]])
        self.assertTrue(t.message.endswith(body), t.message[-300:])
        self.assertIn(b"Received: ", t.message)
        self.assertEqual(peer_record.bare_line_endings(t.data), [])
        self.assertTrue(smtpd.queue_is_empty())


if __name__ == "__main__":
    netns.run_tests()
