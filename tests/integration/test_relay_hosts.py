"""What the MTA remembers of remote hosts (issue 14): route penalties and `mta max-deferred`, seen
through a real smtpd in the private namespace of netns.py and `smtpctl show routes|hoststats`.

- mx.example's best MX hosts (mx1 127.0.0.11, mx2 127.0.0.12, preference 10) refuse connections
  (nothing listens there) and mx3 (127.0.0.13, preference 20) takes the mail. The first message
  tries mx1 and mx2 and penalizes both routes; the next ones go to mx3 first, so the two routes
  keep one error each (without penalties each message would try them again: two, three).
- A recipient that the peer defers (451) leaves its message recorded at the host; when the same
  host takes a later message, the deferred one is tried again at once, long before the
  scheduler's first retry (5 minutes). Waits are on the queue's and the peer's state, bounded.
As a normal user the namespace is a user namespace where smtpd cannot start: the tests skip.
"""
import re

import netns
import relay_support
from relay_support import wait_for


@relay_support.skip_in_user_namespace
class RelayHosts(relay_support.RelayTestCase):
    def test_a_route_that_refused_a_connection_is_tried_after_the_others(self):
        peer = self.env.peer("mx3")
        smtpd = self.start_smtpd()
        for n in range(3):
            self.submit(smtpd, "alice@localhost", ["bob@mx.example"],
                        b"Subject: penalty %d\r\n\r\npenalty-marker\r\n" % n)
            peer.wait_messages(n + 1)
            wait_for(lambda: not self.show_queue(smtpd), timeout=30, what="an empty queue")
        routes = self.smtpctl(smtpd, "show", "routes")
        by_address = {}
        for line in routes:
            m = re.match(r"^\d+\. \[\] <-> (\S+) \((\S+)\) ([N-])([D-])-([K-]) nconn=(\d+) "
                         r"nerror=(\d+) penalty=(\d+) timeout=(\S+)$", line)
            self.assertIsNotNone(m, line)
            by_address[m.group(1)] = m.groups()
        self.assertEqual(sorted(by_address), ["127.0.0.11", "127.0.0.12", "127.0.0.13"], routes)
        for address, name in (("127.0.0.11", "mx1.mx.example"), ("127.0.0.12", "mx2.mx.example")):
            _, ptr, new, disabled, _, _, nerror, penalty, timeout = by_address[address]
            self.assertEqual((ptr, new, disabled, nerror, penalty), (name, "N", "D", "1", "1"),
                             routes)
            self.assertRegex(timeout, r"^\d+s$|^1m$")
        self.assertEqual(by_address["127.0.0.13"][2:4], ("-", "-"), routes)
        self.assertEqual(by_address["127.0.0.13"][6], "0", routes)
        stats = sorted(line.split("|") for line in self.smtpctl(smtpd, "show", "hoststats"))
        self.assertEqual([s[0] for s in stats], ["mx1.mx.example", "mx2.mx.example"], stats)
        for s in stats:
            self.assertIn("421 4.4.1 connect to", s[2])
            self.assertIn("Connection refused", s[2])

    def test_a_message_deferred_at_a_host_is_retried_when_the_host_takes_mail(self):
        peer = self.env.peer("implicit")  # temp* recipients: 451, others 250
        smtpd = self.start_smtpd()
        self.submit(smtpd, "alice@localhost", ["temp@implicit.example"],
                    b"Subject: deferred\r\n\r\ndeferred-marker\r\n")
        self.wait_queued(smtpd, ["temp@implicit.example"], attempts=1)
        # The attempt is counted when it starts: wait for its end, the host's error.
        [stat] = wait_for(lambda: [line.split("|")
                                   for line in self.smtpctl(smtpd, "show", "hoststats")],
                          timeout=30, what="the host's error in show hoststats")
        self.assertEqual((stat[0], stat[2]), ("implicit.example", "451 4.2.0 Temporary failure"))
        self.submit(smtpd, "alice@localhost", ["ok@implicit.example"],
                    b"Subject: taken\r\n\r\ntaken-marker\r\n")
        # The second message is delivered; the first is attempted again at once (deferred again
        # by the same peer), its second attempt well before its 5-minute retry.
        lines = self.wait_queued(smtpd, ["temp@implicit.example"], attempts=2, timeout=30)
        self.assertEqual(lines[0][3], "2", lines)
        rcpt_sets = [t.accepted_rcpts for s in peer.sessions() for t in s.transactions]
        self.assertIn(["ok@implicit.example"], rcpt_sets)
        self.assertEqual(self.smtpctl(smtpd, "show", "hoststats")[0].split("|")[0],
                         "implicit.example")

    def test_max_deferred_zero_leaves_deferred_messages_to_the_scheduler(self):
        self.env.peer("implicit")
        smtpd = self.start_smtpd(extra_config="mta max-deferred 0\n")
        self.submit(smtpd, "alice@localhost", ["temp@implicit.example"],
                    b"Subject: deferred\r\n\r\ndeferred-marker\r\n")
        self.wait_queued(smtpd, ["temp@implicit.example"], attempts=1)
        wait_for(lambda: self.smtpctl(smtpd, "show", "hoststats"), timeout=30,
                 what="the host's error in show hoststats")
        self.submit(smtpd, "alice@localhost", ["ok@implicit.example"],
                    b"Subject: taken\r\n\r\ntaken-marker\r\n")
        wait_for(lambda: [l for l in self.show_queue(smtpd) if l[2] == "ok@implicit.example"]
                 == [] or None, timeout=30, what="the second message delivered")
        lines = self.wait_queued(smtpd, ["temp@implicit.example"], attempts=1)
        self.assertEqual(lines[0][3], "1", lines)


if __name__ == "__main__":
    netns.run_tests()
