"""Relaying through the real unbound of netns.py (issue 14, Resolution): a real smtpd resolves
each recipient domain with libunbound against the test nameserver and relays to recording peers
(relay_env.py). CNAME chains are followed; an IPv6-only MX is reached over IPv6; SERVFAIL and a
nameserver that never answers are temporary (the recipient stays queued with a 4.4.x reason);
NXDOMAIN and an MX pointing at localhost are permanent (a notice, 5.1.2 and 5.4.4); an address
literal needs no DNS; `relay backup mx NAME` tries only the MX hosts of lower preference
(a smaller number) than NAME (RFC 5321 §5.1). backup.example is this module's own zone.
"""
import netns
import relay_support

LOCAL_DATA = [
    "backup.example. IN MX 10 bmx1.backup.example.",
    "backup.example. IN MX 20 ours.backup.example.",
    "backup.example. IN MX 30 bmx3.backup.example.",
    "bmx1.backup.example. IN A 127.0.0.11",
    "ours.backup.example. IN A 127.0.0.1",
    "bmx3.backup.example. IN A 127.0.0.13",
]


@relay_support.skip_in_user_namespace
class Dns(relay_support.RelayTestCase):
    def relayed(self, host, rcpt, marker):
        peer = self.env.peer(host)
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", [rcpt], b"Subject: dns\r\n\r\n%s\r\n" % marker)
        (tx,) = peer.wait_messages(1)
        self.assertEqual(tx.accepted_rcpts, [rcpt])
        self.assertIn(marker, tx.message)
        self.assertQueueEmpty(smtpd)
        return peer

    def bounced(self, rcpt, status):
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", [rcpt], b"Subject: dns\r\n\r\nbounce\r\n")
        notice = smtpd.find_delivered(rcpt.encode(), timeout=30)
        self.assertIn(b"Status: " + status, notice)
        self.assertIn(b"Action: failed", notice)
        self.assertQueueEmpty(smtpd)

    def deferred(self, rcpt, timeout=30):
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", [rcpt], b"Subject: dns\r\n\r\ndeferred\r\n")
        (line,) = self.wait_queued(smtpd, [rcpt], attempts=1, timeout=timeout)
        self.assertRegex(line[4], r"^4\d\d 4\.4\.\d ")
        self.assertRegex(self.envelope_error(smtpd), r"^4\d\d 4\.4\.\d ")
        self.assertEqual(smtpd.all_delivered(b""), [], "a notice came back")
        return line

    def test_a_cname_chain_to_the_mx_is_followed(self):
        self.relayed("cname", "x@cname.example", b"cname-1")

    def test_an_ipv6_only_mx_is_reached_over_ipv6(self):
        peer = self.relayed("v6only", "x@v6only.example", b"v6only-1")
        self.assertEqual(peer.sessions()[0].listen[0], "2001:db8::25")

    def test_an_address_literal_goes_to_that_address(self):
        self.relayed("mx1", "user@[127.0.0.11]", b"literal-1")

    def test_servfail_is_temporary(self):
        line = self.deferred("x@servfail.example")
        self.assertRegex(line[4], r"SERVFAIL|rcode 2")  # RCODE 2 is SERVFAIL (RFC 1035 §4.1.1)

    def test_a_nameserver_that_never_answers_is_temporary(self):
        # smtpd's resolver gives up on a query after 30 s (runtime/dns/resolver.hpp).
        self.deferred("x@slow.example", timeout=60)

    def test_nxdomain_bounces_with_5_1_2(self):
        self.bounced("x@nx.example", b"5.1.2")

    def test_an_mx_pointing_at_localhost_bounces_with_5_4_4(self):
        self.bounced("x@localmx.example", b"5.4.4")

    def test_a_backup_mx_tries_only_the_hosts_before_its_own_name(self):
        best = self.env.peer("mx1", {"greeting": "421 4.3.2 busy"}, process=True)
        worse = self.env.peer("mx3")
        smtpd = self.start_smtpd(relay_options="backup mx ours.backup.example")
        self.submit(smtpd, "alice@localhost", ["x@backup.example"],
                    b"Subject: backup\r\n\r\nbackup-1\r\n")
        self.wait_queued(smtpd, ["x@backup.example"], attempts=1)
        self.assertEqual(len(best.wait_sessions(1)), 1)
        self.assertEqual(worse.sessions(), [])

        best.set_spec({})
        self.smtpctl(smtpd, "schedule", "all")
        (tx,) = best.wait_messages(1)
        self.assertEqual(tx.accepted_rcpts, ["x@backup.example"])
        self.assertQueueEmpty(smtpd)
        self.assertEqual(worse.sessions(), [])


if __name__ == "__main__":
    netns.run_tests(local_data=LOCAL_DATA)
