"""smtpctl show hosts, show relays, show routes and show hoststats (issue 14): the MTA's tables,
asked of a real smtpd in the DNS namespace of netns.py, through the control role to the
dispatcher, which runs the MTA. Each verb answers an administrator with exit status 0 (nothing
listed before anything was relayed), and refuses any other user as every administrative verb
does; after a message went to the peer of implicit.example (127.0.0.20), `show hosts` lists
that address in OpenSMTPD's layout (mta.c):

    <address> <ptrname> refcount=N nconn=N lastconn=<duration>|-

As a normal user the namespace is a user namespace where smtpd cannot start: the tests skip.
"""
import os
import re
import subprocess
import unittest

import harness
import netns
import relay_support
from relay_support import wait_for

VERBS = ("hosts", "relays", "routes", "hoststats")
# A duration as OpenSMTPD's duration_to_text writes it ("0s", "1h2m3s"), or "-" for none.
DURATION = r"(?:-|-?(?:\d+[dhms])+)"
HOST_LINE = re.compile(r"^(\S+) (\S+) refcount=\d+ nconn=\d+ lastconn=" + DURATION + "$")
ROUTE_LINE = re.compile(r"^\d+\. \[\] <-> 127\.0\.0\.20 \(implicit\.example\) ---[K-] "
                        r"nconn=\d+ nerror=0 penalty=0 timeout=-$")
RELAY_LINE = re.compile(r"^\[relay:implicit\.example,smtp\] refcount=0 ntask=0 nconn=\d+ "
                        r"lastconn=" + DURATION + " timeout=- wait=$")


@relay_support.skip_in_user_namespace
class SmtpctlMta(relay_support.RelayTestCase):
    def setUp(self):
        super().setUp()
        self.peer = self.env.peer("implicit")
        self.smtpd = self.start_smtpd()

    def run_smtpctl(self, *words, as_user=None):
        argv = [harness.SMTPCTL, "-s", self.smtpd.socket] + list(words)
        if as_user:
            argv = ["setpriv", "--reuid=" + as_user, "--regid=nogroup", "--clear-groups"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)

    def test_each_table_answers_an_administrator_and_is_empty_before_any_relaying(self):
        for verb in VERBS:
            with self.subTest(verb=verb):
                self.assertEqual(self.smtpctl(self.smtpd, "show", verb), [])

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run a client as another uid (nobody)")
    def test_another_user_is_refused_every_table(self):
        for verb in VERBS:
            with self.subTest(verb=verb):
                r = self.run_smtpctl("show", verb, as_user="nobody")
                self.assertEqual((r.returncode, r.stdout, r.stderr),
                                 (1, "", "permission denied\n"))
        self.assertRunning(self.smtpd)
        self.assertEqual(self.smtpctl(self.smtpd, "show", "hosts"), [])

    def test_the_tables_answer_after_a_message_was_relayed(self):
        self.relay_one()
        for verb in VERBS:
            with self.subTest(verb=verb):
                self.smtpctl(self.smtpd, "show", verb)  # exit status 0, nothing on stderr

    def test_show_hosts_lists_the_peer_after_a_message_was_relayed(self):
        self.relay_one()

        def peer_listed():
            lines = self.smtpctl(self.smtpd, "show", "hosts")
            return lines if any(HOST_LINE.match(l) and l.split()[0] == "127.0.0.20"
                                for l in lines) else None
        lines = wait_for(peer_listed, timeout=10, what="127.0.0.20 in show hosts")
        for line in lines:
            self.assertRegex(line, HOST_LINE)
        # The request is over once the queue is empty: the relay holds no task then.
        wait_for(lambda: not self.show_queue(self.smtpd), timeout=30, what="an empty queue")
        routes = self.smtpctl(self.smtpd, "show", "routes")
        self.assertEqual(len(routes), 1, routes)
        self.assertRegex(routes[0], ROUTE_LINE)
        relays = self.smtpctl(self.smtpd, "show", "relays")
        self.assertEqual(len(relays), 1, relays)
        self.assertRegex(relays[0], RELAY_LINE)
        self.assertEqual(self.smtpctl(self.smtpd, "show", "hoststats"), [])

    def relay_one(self):
        self.submit(self.smtpd, "alice@localhost", ["x@implicit.example"],
                    b"Subject: hosts\r\n\r\nhosts-marker\r\n")
        got = self.peer.wait_messages(1)
        self.assertEqual([m.accepted_rcpts for m in got], [["x@implicit.example"]])


if __name__ == "__main__":
    netns.run_tests()
