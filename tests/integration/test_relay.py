"""Relaying (issue 14): a real smtpd, in the private namespace of netns.py with its real unbound,
takes a message on its local listener for a remote domain (`action "relay" relay`, `match from
local for any action "relay"`: OpenSMTPD's default rule), finds the domain's MX through DNS and
hands the message to the peer listening there (127.0.0.x port 25 in the namespace), which records
what it got off the wire. The zones are netns.py's: mx.example has mx1 and mx2 (127.0.0.11, .12)
at preference 10 and mx3 (127.0.0.13) at 20; implicit.example has no MX and an A record
(127.0.0.20); nullmx.example a null MX (RFC 7505).
As a normal user the namespace is a user namespace where smtpd cannot start (see
test_lookup_resolver.py): the tests skip there.
"""

import netns
import relay_support
from relay_support import wait_for


@relay_support.skip_in_user_namespace
class Relay(relay_support.RelayTestCase):
    def test_a_message_for_a_remote_domain_reaches_its_mx(self):
        peers = list(self.env.peers(["mx1", "mx2"]).values())
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", ["bob@mx.example", "carol@MX.example"],
                    b"Subject: relay\r\n\r\nrelay-marker-1\r\n..dot line\r\n")
        got = wait_for(lambda: [m for p in peers for m in p.messages()], what="the message")
        self.assertEqual(len(got), 1, got)
        m = got[0]
        self.assertEqual(m.mail_from, "alice@localhost")
        self.assertEqual(m.accepted_rcpts, ["bob@mx.example", "carol@MX.example"])
        self.assertIn(b"relay-marker-1\r\n.dot line\r\n", m.message)
        self.assertTrue(m.message.startswith(b"Received: "), m.message[:200])
        self.assertTrue(smtpd.queue_is_empty())
        self.assertIn("mta delivery", smtpd.read_log())

    def test_the_next_preference_is_tried_when_the_best_mx_hosts_refuse_the_session(self):
        self.env.peers(["mx1", "mx2"], {"greeting": "421 4.3.2 busy"})
        peer = self.env.peer("mx3")
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", ["bob@mx.example"],
                    b"Subject: fallback\r\n\r\nrelay-marker-2\r\n")
        got = peer.wait_messages(1)
        self.assertEqual([m.accepted_rcpts for m in got], [["bob@mx.example"]])
        self.assertTrue(smtpd.queue_is_empty())

    def test_implicit_mx(self):
        peer = self.env.peer("implicit")
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", ["x@implicit.example"],
                    b"Subject: implicit\r\n\r\nrelay-marker-3\r\n")
        peer.wait_messages(1)

    def test_per_recipient_results_deliver_bounce_and_retry(self):
        spec = {"rcpt": [["perm*", "550 5.1.1 no such user"], ["temp*", "451 4.3.0 try later"]]}
        peer, peer2 = self.env.peers(["mx1", "mx2"], spec).values()
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost",
                    ["ok@mx.example", "perm@mx.example", "temp@mx.example"],
                    b"Subject: mixed\r\n\r\nrelay-marker-4\r\n")
        got = wait_for(lambda: peer.messages() + peer2.messages(), what="the message")
        self.assertEqual(got[0].accepted_rcpts, ["ok@mx.example"])
        # The failure notice comes back to the local sender, naming the remote reply.
        notice = smtpd.find_delivered(b"perm@mx.example", timeout=30)
        self.assertIn(b"Status: 5.1.1", notice)
        self.assertIn(b"550 5.1.1 no such user", notice)
        self.assertIn(b"Remote-MTA: dns; mx", notice)
        # The temporary failure stays queued, and only it, after its one attempt.
        (line,) = self.wait_queued(smtpd, ["temp@mx.example"], attempts=1)
        self.assertIn("451 4.3.0 try later", line[4])

    def test_a_null_mx_bounces_with_5_1_10(self):
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", ["x@nullmx.example"],
                    b"Subject: nullmx\r\n\r\nrelay-marker-5\r\n")
        notice = smtpd.find_delivered(b"x@nullmx.example", timeout=30)
        self.assertIn(b"Status: 5.1.10", notice)
        self.assertTrue(smtpd.queue_is_empty())

    def test_notify_success_to_a_next_hop_without_dsn_gets_a_relayed_notice(self):
        self.env.peers(["mx1", "mx2"], {"extensions": ["PIPELINING", "8BITMIME"]})
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", ["bob@mx.example"],
                    b"Subject: relayed\r\n\r\nrelay-marker-6\r\n",
                    rcpt_params=b" NOTIFY=SUCCESS,FAILURE")
        notice = smtpd.find_delivered(b"Action: relayed", timeout=30)
        self.assertIn(b"Final-Recipient: rfc822; bob@mx.example", notice)
        self.assertIn(b"Status: 2.0.0", notice)
        self.assertIn(b"Remote-MTA: dns; mx", notice)
        self.assertTrue(smtpd.queue_is_empty())

    def test_notify_is_passed_on_to_a_next_hop_with_dsn_and_no_notice_is_sent(self):
        peers = list(self.env.peers(["mx1", "mx2"],
                                    {"extensions": ["PIPELINING", "8BITMIME", "DSN"]}).values())
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", ["bob@mx.example"],
                    b"Subject: dsn\r\n\r\nrelay-marker-7\r\n",
                    mail_params=b" RET=HDRS ENVID=E7", rcpt_params=b" NOTIFY=SUCCESS")
        got = wait_for(lambda: [m for p in peers for m in p.messages()], what="the message")
        self.assertIn("RET=HDRS", got[0].params)
        self.assertIn("ENVID=E7", got[0].params)
        self.assertEqual(got[0].rcpts[0].params, ["NOTIFY=SUCCESS"])
        self.assertTrue(smtpd.queue_is_empty())
        self.assertEqual(smtpd.all_delivered(b"Action: relayed"), [])

    def test_a_message_with_more_than_100_received_fields_bounces_as_a_loop(self):
        peers = list(self.env.peers(["mx1", "mx2"]).values())
        smtpd = self.start_smtpd()
        hops = b"".join(b"Received: from hop%d.example by hop%d.example;\r\n\tMon, 7 Dec 2026 "
                        b"09:00:00 +0000\r\n" % (i, i + 1) for i in range(100))
        self.submit(smtpd, "alice@localhost", ["bob@mx.example"],
                    hops + b"Subject: loop\r\n\r\nrelay-marker-8\r\n")
        notice = smtpd.find_delivered(b"Status: 5.4.6", timeout=30)
        self.assertIn(b"too many hops", notice)
        self.assertTrue(smtpd.queue_is_empty())
        self.assertEqual([m for p in peers for m in p.messages()], [])


if __name__ == "__main__":
    netns.run_tests()
