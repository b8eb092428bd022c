"""The relay options that need tables or addresses (issue 14), observed at the receiving peer,
in the private namespace of netns.py (its zones: mx.example has mx1 and mx2, 127.0.0.11 and .12,
at preference 10; implicit.example is 127.0.0.20 by its A record):
  src ADDRESS | <table>   the peer sees the connection come from that address (all of
                          127.0.0.0/8 is on the namespace's lo, so 127.0.0.5 is ours to bind);
                          a table's addresses are used in turn, one per relay request
  helo-src <table>        the EHLO name is the source address's name in the table, else `helo`
  domain <table>          a domain the table names goes to its relay URL, the others to their MX
  host <table>            the relay URLs of the list are used in turn as the smarthost
"""

import netns
import relay_support
from relay_support import wait_for


def sessions_with_mail(*peers):
    return [s for p in peers for s in p.sessions() if s.messages()]


@relay_support.skip_in_user_namespace
class RelayOptions(relay_support.RelayTestCase):
    def mx_peers(self):
        return list(self.env.peers(["mx1", "mx2"]).values())

    def test_src_binds_the_outgoing_connection_to_that_address(self):
        peers = self.mx_peers()
        smtpd = self.start_smtpd(relay_options="src 127.0.0.5")
        self.submit(smtpd, "alice@localhost", ["bob@mx.example"],
                    b"Subject: src\r\n\r\nsrc-marker-1\r\n")
        (session,) = wait_for(lambda: sessions_with_mail(*peers), what="the message")
        self.assertEqual(session.peer[0], "127.0.0.5")
        self.assertEqual(session.messages()[0].accepted_rcpts, ["bob@mx.example"])
        self.assertQueueEmpty(smtpd)

    def test_a_src_table_is_used_in_turn_and_helo_src_names_each_source(self):
        peers = self.mx_peers()
        smtpd = self.start_smtpd(
            extra_config='table srcs { "127.0.0.5", "127.0.0.6" }\n'
                         'table names { "127.0.0.5" = "five.example" }\n',
            relay_options="helo fallback.example src <srcs> helo-src <names>")
        for i in (1, 2):
            self.submit(smtpd, "alice@localhost", ["bob%d@mx.example" % i],
                        b"Subject: src table\r\n\r\nsrc-marker-2\r\n")
        sessions = wait_for(lambda: (lambda s: s if len(s) == 2 else None)(
            sessions_with_mail(*peers)), what="two messages")
        seen = sorted((s.peer[0], s.helo) for s in sessions)
        self.assertEqual(seen, [("127.0.0.5", "five.example"), ("127.0.0.6", "fallback.example")])
        self.assertQueueEmpty(smtpd)

    def test_a_domain_table_sends_its_domains_to_their_relay_and_others_to_their_mx(self):
        mx_peers = self.mx_peers()
        smarthost = self.env.peer("127.0.0.40", port=2526)
        implicit = self.env.peer("implicit")
        smtpd = self.start_smtpd(
            extra_config='table relays { "mx.example" = "smtp://127.0.0.40:2526" }\n',
            relay_options="domain <relays>")
        self.submit(smtpd, "alice@localhost", ["bob@mx.example", "x@implicit.example"],
                    b"Subject: domain table\r\n\r\ndomain-marker-3\r\n")
        (via_relay,) = smarthost.wait_messages(1)
        self.assertEqual(via_relay.accepted_rcpts, ["bob@mx.example"])
        (via_mx,) = implicit.wait_messages(1)
        self.assertEqual(via_mx.accepted_rcpts, ["x@implicit.example"])
        self.assertQueueEmpty(smtpd)
        self.assertEqual([m for p in mx_peers for m in p.messages()], [])

    def test_a_host_table_gives_the_smarthost_in_turn(self):
        mx_peers = self.mx_peers()
        first = self.env.peer("127.0.0.41", port=2527)
        second = self.env.peer("127.0.0.42", port=2527)
        smtpd = self.start_smtpd(
            extra_config='table hosts { "smtp://127.0.0.41:2527", "127.0.0.42:2527" }\n',
            relay_options="host <hosts>")
        for i in (1, 2):
            self.submit(smtpd, "alice@localhost", ["bob%d@mx.example" % i],
                        b"Subject: host table\r\n\r\nhost-marker-4\r\n")
        wait_for(lambda: len(first.messages()) + len(second.messages()) == 2,
                 what="two messages at the smarthosts")
        self.assertEqual((len(first.messages()), len(second.messages())), (1, 1))
        self.assertQueueEmpty(smtpd)
        self.assertEqual([m for p in mx_peers for m in p.messages()], [])


if __name__ == "__main__":
    netns.run_tests()
