"""Relayed content byte for byte (issue 14, Sending and Tests): a real smtpd takes a message on
its local listener and relays it to recording peers on mx.example's MX hosts (netns.py zones,
relay_env.py peers); the peer's record is compared with what was submitted. Dots at line
starts, lines of 998 octets (the most RFC 5321 §4.5.3.1.6 allows, not counting the transparency
dot), 8-bit content with BODY=8BITMIME, a UTF-8 address with SMTPUTF8, over DATA and over BDAT
(RFC 3030); the SMTP-smuggling endings submitted raw reach the peer as content of one message
with CRLF line endings only. A next hop that lacks what the message needs gets nothing: SMTPUTF8
-> 5.6.7 (RFC 6531 §3.2), SIZE -> 5.3.4 (RFC 1870 §6), 8BITMIME -> 5.6.3 (RFC 6152 §3: we
return the message as undeliverable rather than downgrade it); each is a failure notice to the
local sender and an empty queue.
"""
import netns
import peer_record
import relay_support

NO_CHUNKING = ["PIPELINING", "8BITMIME", "SMTPUTF8", "SIZE 10485760", "DSN",
               "ENHANCEDSTATUSCODES"]

# The message as the peer must get it after our Received: header; submitted dot-stuffed.
MESSAGE = (b"Subject: content\r\nX-Marker: %s\r\n\r\n"
           b".leading dot\r\n"
           b".\r\n"
           b"." + b"d" * 997 + b"\r\n"  # 998 octets, 999 on the wire (RFC 5321 §4.5.3.1.6)
           b"" + b"y" * 998 + b"\r\n"
           b"caf\xc3\xa9 \xff\x80 8-bit\r\n"
           b" .\r\n"
           b"last line\r\n")


def stuff(data):
    """RFC 5321 §4.5.2: a dot more at the start of each line that starts with one."""
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in data.split(b"\r\n"))


def after_received(message):
    """The message without the Received: header we add in front (with its folded lines)."""
    assert message.startswith(b"Received: "), message[:200]
    lines = message.split(b"\r\n")
    n = 1
    while lines[n][:1] in (b" ", b"\t"):
        n += 1
    return b"\r\n".join(lines[n:])


@relay_support.skip_in_user_namespace
class Content(relay_support.RelayTestCase):
    def relay_one(self, spec, marker, **submit):
        """Submits CONTENT (with `marker`) to bob@ and carol@mx.example; returns the one
        transaction the peers on mx1 and mx2 accepted."""
        peers = self.env.peers(["mx1", "mx2"], spec)
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", ["bob@mx.example", "carol@mx.example"],
                    stuff(MESSAGE % marker), **submit)
        got = relay_support.wait_for(lambda: [m for p in peers.values() for m in p.messages()],
                                     what="the relayed message")
        self.assertQueueEmpty(smtpd)
        self.assertEqual(len([m for p in peers.values() for m in p.messages()]), 1)
        self.assertEqual(smtpd.all_delivered(b""), [], "a notice came back")
        return got[0]

    def assertSame(self, tx, marker):
        self.assertEqual(tx.accepted_rcpts, ["bob@mx.example", "carol@mx.example"])
        self.assertEqual(after_received(tx.message), MESSAGE % marker)
        self.assertEqual(peer_record.bare_line_endings(tx.data), [])
        for line in tx.message.split(b"\r\n"):
            self.assertLessEqual(len(line), 998)

    def test_data_carries_dots_long_lines_and_8bit_octets_unchanged(self):
        tx = self.relay_one({"extensions": NO_CHUNKING}, b"data-1", mail_params=b" BODY=8BITMIME")
        self.assertEqual(tx.kind, "DATA")
        self.assertIn("BODY=8BITMIME", tx.params)
        self.assertSame(tx, b"data-1")
        # On the wire: each line that starts with a dot got one more (RFC 5321 §4.5.2).
        self.assertEqual(after_received(tx.data), stuff(MESSAGE % b"data-1"))

    def test_bdat_carries_the_same_content_unstuffed(self):
        tx = self.relay_one({}, b"bdat-1", mail_params=b" BODY=8BITMIME")
        self.assertEqual(tx.kind, "BDAT")
        self.assertEqual(sum(tx.chunks), len(tx.data))
        self.assertIn("BODY=8BITMIME", tx.params)
        self.assertSame(tx, b"bdat-1")

    def test_a_utf8_address_goes_with_smtputf8_to_a_peer_that_offers_it(self):
        peer = self.env.peer("mx1", also=["mx2"])
        smtpd = self.start_smtpd()
        rcpt = "δοκιμή@mx.example"
        self.submit(smtpd, "alice@localhost", [rcpt],
                    "Subject: utf8\r\n\r\nγειά utf8-1\r\n".encode(),
                    mail_params=b" SMTPUTF8 BODY=8BITMIME")
        (tx,) = peer.wait_messages(1)
        self.assertEqual(tx.accepted_rcpts, [rcpt.encode().decode("latin-1")])  # as recorded
        self.assertIn("SMTPUTF8", tx.params)
        self.assertIn("γειά utf8-1".encode(), tx.message)
        self.assertQueueEmpty(smtpd)

    def refused_before_mail(self, extensions, marker, status, body, mail_params):
        """The peer offers only `extensions`: no MAIL reaches it, the recipient bounces with
        `status` in a notice to the local sender, and the queue empties."""
        peer = self.env.peer("mx1", {"extensions": extensions}, also=["mx2", "mx3"])
        smtpd = self.start_smtpd()
        rcpt = "%s@mx.example" % marker.decode()
        self.submit(smtpd, "alice@localhost", [rcpt], body, mail_params=mail_params)
        notice = smtpd.find_delivered(marker, timeout=30)
        self.assertIn(b"Status: " + status, notice)
        self.assertIn(b"Action: failed", notice)
        self.assertQueueEmpty(smtpd)
        sessions = peer.wait_sessions(1)
        self.assertEqual([t for s in sessions for t in s.transactions], [])
        return notice

    def test_a_peer_without_smtputf8_gets_nothing_and_the_sender_a_5_6_7_notice(self):
        body = "Subject: utf8\r\n\r\nnoutf8-1 δ\r\n".encode()
        self.refused_before_mail(["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES"],
                                 b"noutf8-1", b"5.6.7", body, b" SMTPUTF8")

    def test_a_message_over_the_peers_size_gets_5_3_4_before_sending(self):
        body = b"Subject: big\r\n\r\nbig-1\r\n" + (b"z" * 70 + b"\r\n") * 100
        notice = self.refused_before_mail(["PIPELINING", "SIZE 2000", "ENHANCEDSTATUSCODES"],
                                          b"big-1", b"5.3.4", body, b"")
        self.assertIn(b"size", notice.lower())

    def test_8bit_content_to_a_peer_without_8bitmime_fails_with_5_6_3(self):
        # RFC 6152 §3: a server that cannot pass 8-bit data on either downgrades it or returns
        # it as undeliverable. We return it (no MIME downgrade): 554 5.6.3 for every recipient.
        body = b"Subject: 8bit\r\n\r\nno8bit-1 caf\xc3\xa9\r\n"
        self.refused_before_mail(["PIPELINING", "ENHANCEDSTATUSCODES"], b"no8bit-1", b"5.6.3",
                                 body, b" BODY=8BITMIME")

    def test_undeclared_8bit_content_is_not_sent_to_a_peer_without_8bitmime(self):
        # A client that sends 8-bit data without BODY=8BITMIME breaks RFC 6152 §3; we queue the
        # message as 8BITMIME all the same (dispatcher/transaction.hpp), so it is refused the
        # same way rather than sent on as if it were 7-bit.
        body = b"Subject: 8bit\r\n\r\nundeclared-1 caf\xc3\xa9\r\n"
        self.refused_before_mail(["PIPELINING", "ENHANCEDSTATUSCODES"], b"undeclared-1",
                                 b"5.6.3", body, b"")

    def test_undeclared_8bit_content_goes_with_body_8bitmime_to_a_peer_that_offers_it(self):
        peer = self.env.peer("mx1", {"extensions": NO_CHUNKING}, also=["mx2"])
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", ["bob@mx.example"],
                    b"Subject: 8bit\r\n\r\nundeclared-2 caf\xc3\xa9\r\n")
        (tx,) = peer.wait_messages(1)
        self.assertIn("BODY=8BITMIME", tx.params)
        self.assertTrue(tx.message.endswith(b"undeclared-2 caf\xc3\xa9\r\n"))
        self.assertQueueEmpty(smtpd)

    def test_lines_of_999_and_1000_octets_are_refused_at_reception(self):
        # RFC 5321 §4.5.3.1.6: 1000 octets with the CRLF at most; a longer line is refused when
        # the message ends (554 5.6.0), so nothing of it is queued or relayed.
        peer = self.env.peer("mx1", also=["mx2", "mx3"])
        smtpd = self.start_smtpd()
        for n in (999, 1000):
            body = b"Subject: long\r\n\r\n" + b"L" * n + b"\r\n.\r\n"
            code, lines = self.submit(smtpd, "alice@localhost", ["bob@mx.example"], body,
                                      raw_data=True)
            self.assertEqual(code, 554, lines)
            self.assertTrue(lines[-1].startswith("554 5.6.0 "), lines)
        self.assertQueueEmpty(smtpd)
        self.assertEqual(peer.sessions(), [])


@relay_support.skip_in_user_namespace
class Smuggling(relay_support.RelayTestCase):
    # Each ends "before" in a way that is no end of data (only CRLF . CRLF is), and follows it
    # with a whole second transaction that must stay content.
    ENDINGS = [b"\n.\n", b"\r.\r", b"\r\n.\r", b"\n.\r\n", b"\r\n\x00.\r\n", b"\r\n.\x00\r\n",
               b"\r\n.\n"]

    def test_smuggling_endings_stay_inside_one_message_with_crlf_only(self):
        peer = self.env.peer("mx1", {"extensions": NO_CHUNKING}, also=["mx2"])
        smtpd = self.start_smtpd()
        for n, ending in enumerate(self.ENDINGS):
            body = (b"Subject: smuggle %d\r\n\r\nbefore-%d" % (n, n) + ending +
                    b"MAIL FROM:<evil@evil.example>\r\nRCPT TO:<victim@mx.example>\r\nDATA\r\n"
                    b"smuggled-%d\r\n.\r\n" % n)
            code, lines = self.submit(smtpd, "alice@localhost", ["bob@mx.example"], body,
                                      raw_data=True)
            self.assertEqual(code, 250, (ending, lines))
        got = peer.wait_messages(len(self.ENDINGS))
        self.assertQueueEmpty(smtpd)
        self.assertEqual(len(got), len(self.ENDINGS), got)
        txs = [t for s in peer.sessions() for t in s.transactions]
        self.assertEqual(len(txs), len(self.ENDINGS), txs)
        for tx in txs:
            self.assertEqual((tx.mail_from, tx.accepted_rcpts), ("alice@localhost",
                                                                 ["bob@mx.example"]))
        for n in range(len(self.ENDINGS)):
            (tx,) = [t for t in txs if b"before-%d" % n in t.message]
            self.assertIn(b"MAIL FROM:<evil@evil.example>", tx.message)
            self.assertIn(b"smuggled-%d" % n, tx.message)
        for s in peer.sessions():
            self.assertEqual(peer_record.bare_line_endings(s.raw), [], s.raw)
        self.assertNotIn("victim@mx.example", [r.address for t in txs for r in t.rcpts])


if __name__ == "__main__":
    netns.run_tests()
