"""Outbound session reuse (issue 14, mta limit): a real smtpd in the private namespace of netns.py
relays to a recording peer on implicit.example (127.0.0.20, its A record: one address). A session
whose transaction is over is parked for `session-keepalive` seconds and the next message for the
same place takes it, up to `session-mail-max` messages; `max-conn-per-host` bounds the open
connections; a parked session the peer closed is replaced by a new one; an opportunistic STARTTLS
that fails its handshake is retried in plain text on a new connection. Each message is submitted
once the one before has left the queue (the session is parked before the queue hears of the
result), so that reuse, not chance, decides how many sessions the peer sees. Also
`session-transaction-delay`, limits `for domain`, and `inet4`/`inet6` (v6only.example's MX has
only an AAAA record). Every wait is on the
peer's or the queue's state, bounded. As a normal user the namespace is a user namespace where
smtpd cannot start: the tests skip.
"""
import shutil
import threading
import time

import harness
import netns
import peer_certs
import relay_support

RCPT = "bob@implicit.example"


@relay_support.skip_in_user_namespace
class RelayReuse(relay_support.RelayTestCase):
    def message(self, n):
        return b"Subject: reuse %d\r\n\r\nreuse-marker-%d\r\n" % (n, n)

    def send_one_by_one(self, smtpd, peer, count, first=0):
        """Submits `count` messages, each after the one before was delivered and left the
        queue."""
        for n in range(first, first + count):
            self.submit(smtpd, "alice@localhost", [RCPT], self.message(n))
            peer.wait_messages(n + 1)
            self.assertQueueEmpty(smtpd)

    def markers(self, transactions):
        out = []
        for t in transactions:
            self.assertEqual(t.accepted_rcpts, [RCPT])
            out.append(t.message.split(b"reuse-marker-")[1].split(b"\r\n")[0].decode())
        return sorted(out)

    def test_messages_one_after_the_other_share_one_session(self):
        peer = self.env.peer("implicit")
        smtpd = self.start_smtpd()
        self.send_one_by_one(smtpd, peer, 5)
        sessions = peer.sessions()
        self.assertEqual(len(sessions), 1, "\n".join(s.summary() for s in sessions))
        [session] = sessions
        self.assertEqual(self.markers(session.messages()), ["0", "1", "2", "3", "4"])
        self.assertEqual(len(session.transactions), 5)
        self.assertEqual([c.split()[0] for c in session.commands].count("EHLO"), 1)
        self.assertFalse(session.closed, "the parked session was closed before its keepalive")

    def test_session_mail_max_bounds_the_messages_of_a_session(self):
        peer = self.env.peer("implicit")
        smtpd = self.start_smtpd(extra_config="mta limit session-mail-max 2")
        self.send_one_by_one(smtpd, peer, 5)
        sessions = peer.wait_sessions(2)  # the two full ones end with QUIT
        self.assertEqual([len(s.messages()) for s in sessions], [2, 2, 1],
                         "\n".join(s.summary() for s in sessions))
        self.assertEqual([s.close_reason for s in sessions[:2]], ["quit", "quit"])
        self.assertEqual(self.markers(peer.messages()), ["0", "1", "2", "3", "4"])

    def test_a_session_the_peer_closed_while_parked_is_replaced(self):
        peer = self.env.peer("implicit", {"close_after_transactions": 1})
        smtpd = self.start_smtpd()
        self.send_one_by_one(smtpd, peer, 1)
        # The peer closed it after the reply to the message: the session is parked, dead.
        peer.wait_sessions(1)
        self.send_one_by_one(smtpd, peer, 2, first=1)
        sessions = peer.wait_sessions(3)
        self.assertEqual([len(s.messages()) for s in sessions], [1, 1, 1],
                         "\n".join(s.summary() for s in sessions))
        self.assertEqual(self.markers(peer.messages()), ["0", "1", "2"])
        for s in sessions:
            self.assertEqual(s.close_reason, "fault: close after 1 transactions")
        self.assertRunning(smtpd)

    def test_max_conn_per_host_one_never_opens_two_connections_at_once(self):
        # session-mail-max 2: the six messages need three sessions one after the other.
        peer = self.env.peer("implicit")
        smtpd = self.start_smtpd(
            extra_config="mta limit max-conn-per-host 1 session-mail-max 2")
        codes, errors = {}, []

        def submit(n):
            try:
                d = harness.Dialogue(smtpd.port, timeout=30)
                try:
                    got = [d.reply()[0]]
                    for line in (b"EHLO client.example\r\n", b"MAIL FROM:<alice@localhost>\r\n",
                                 b"RCPT TO:<%s>\r\n" % RCPT.encode(), b"DATA\r\n",
                                 self.message(n) + b".\r\n"):
                        got.append(d.command(line)[0])
                    codes[n] = got
                finally:
                    d.close()
            except (OSError, EOFError) as e:
                errors.append((n, e))

        threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(codes, {n: [220, 250, 250, 250, 354, 250] for n in range(6)})
        peer.wait_messages(6, timeout=60)
        self.assertQueueEmpty(smtpd)
        sessions = peer.sessions()
        self.assertEqual(self.markers(peer.messages()), [str(n) for n in range(6)])
        self.assertGreaterEqual(len(sessions), 3, "\n".join(s.summary() for s in sessions))
        ordered = sorted(sessions, key=lambda s: s.started)
        for before, after in zip(ordered, ordered[1:]):
            self.assertIsNotNone(before.ended, "two sessions open at once:\n%s\n%s" % (
                before.summary(), after.summary()))
            self.assertLessEqual(before.ended, after.started,
                                 "two sessions open at once:\n%s\n%s" % (before.summary(),
                                                                         after.summary()))

    def test_session_keepalive_ends_an_idle_session_with_quit(self):
        peer = self.env.peer("implicit")
        smtpd = self.start_smtpd(extra_config="mta limit session-keepalive 1")
        self.send_one_by_one(smtpd, peer, 1)
        [session] = peer.wait_for(lambda ss: ss and ss[0].closed, timeout=15,
                                  what="the idle session closed")
        self.assertEqual(session.close_reason, "quit")
        self.assertEqual(session.commands[-1], "QUIT")
        self.assertEqual(len(session.messages()), 1)
        # It ended after its keepalive, not right after the message.
        self.assertGreaterEqual(session.ended - session.started, 0.9, session.summary())

    def test_session_transaction_delay_waits_between_transactions_of_a_session(self):
        peer = self.env.peer("implicit")
        smtpd = self.start_smtpd(extra_config="mta limit session-transaction-delay 2")
        self.send_one_by_one(smtpd, peer, 1)
        start = time.monotonic()
        self.send_one_by_one(smtpd, peer, 1, first=1)
        self.assertGreaterEqual(time.monotonic() - start, 2.0)
        sessions = peer.sessions()
        self.assertEqual([len(s.messages()) for s in sessions], [2],
                         "\n".join(s.summary() for s in sessions))

    def test_limits_for_the_domain_apply_to_its_sessions(self):
        peer = self.env.peer("implicit")
        smtpd = self.start_smtpd(
            extra_config="mta limit for domain implicit.example session-mail-max 1")
        self.send_one_by_one(smtpd, peer, 3)
        sessions = peer.wait_sessions(3)
        self.assertEqual([len(s.messages()) for s in sessions], [1, 1, 1],
                         "\n".join(s.summary() for s in sessions))

    def test_inet6_limits_the_addresses_tried_to_ipv6(self):
        peer = self.env.peer("implicit")
        smtpd = self.start_smtpd(extra_config="mta limit inet6")
        self.submit(smtpd, "alice@localhost", [RCPT], self.message(0))
        (line,) = self.wait_queued(smtpd, [RCPT], attempts=1)
        self.assertIn("no address tried", line[4])
        self.assertEqual(peer.sessions(), [])

    def test_inet6_still_reaches_an_ipv6_mx(self):
        peer = self.env.peer("v6only")
        smtpd = self.start_smtpd(extra_config="mta limit inet6")
        self.submit(smtpd, "alice@localhost", ["x@v6only.example"], self.message(0))
        (tx,) = peer.wait_messages(1)
        self.assertEqual(tx.accepted_rcpts, ["x@v6only.example"])
        self.assertQueueEmpty(smtpd)

    def test_inet4_never_tries_an_ipv6_mx(self):
        peer = self.env.peer("v6only")
        smtpd = self.start_smtpd(extra_config="mta limit inet4")
        self.submit(smtpd, "alice@localhost", ["x@v6only.example"], self.message(0))
        (line,) = self.wait_queued(smtpd, ["x@v6only.example"], attempts=1)
        self.assertIn("no address tried", line[4])
        self.assertEqual(peer.sessions(), [])


@relay_support.skip_in_user_namespace
class RelayReuseTls(relay_support.RelayTestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs_dir, cls.certs = peer_certs.make_readable("implicit.example", "relay-reuse-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certs_dir, ignore_errors=True)

    def test_a_failed_opportunistic_handshake_is_retried_in_plain_text(self):
        # A certificate with another certificate's key: the peer says 220 to STARTTLS, then
        # cannot shake hands and closes.
        broken = {"cert": self.certs["valid"]["cert"], "key": self.certs["expired"]["key"]}
        peer = self.env.peer("implicit", {"extensions": ["PIPELINING", "8BITMIME", "STARTTLS"],
                                          "tls": broken})
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", [RCPT], b"Subject: tls\r\n\r\nplain-marker\r\n")
        [m] = peer.wait_messages(1)
        self.assertIn(b"plain-marker", m.message)
        self.assertQueueEmpty(smtpd)
        sessions = peer.sessions()
        self.assertEqual(len(sessions), 2, "\n".join(s.summary() for s in sessions))
        first, second = sessions
        self.assertIn("STARTTLS", first.commands)
        self.assertEqual(first.transactions, [])
        self.assertIsNone(first.tls)
        self.assertNotIn("STARTTLS", second.commands)
        self.assertIsNone(second.tls)
        self.assertEqual(len(second.messages()), 1)
        relay_support.wait_for(lambda: "mta retrying in plain text" in smtpd.read_log(), 20,
                               "the plain-text retry in the log")


if __name__ == "__main__":
    netns.run_tests()
