"""The lookup role's resolver (issue 14, Resolution; docs/arch/dns.md): a real smtpd started
inside the private namespace of netns.py creates its one dns::Resolver in the lookup role at
start, after the privilege drop, from /etc/resolv.conf (here the namespace's, naming only the test
nameserver), and logs each nameserver it uses: the test asserts from that log that every one is
on loopback, the only place a test may send a query. The route requests themselves
(ResolveRoute over IPC) are exercised by the relay's tests; the route rules by test_dns.py.
As a normal user (integration_user.*) the namespace is a user namespace in which smtpd is root
without the files of a root (/var/empty is not owned by a mapped uid), so it cannot start: the
tests skip there and run as root (integration.*, integration_release.*).
"""
import time
import unittest

import harness
import netns


def in_user_namespace():
    """True when uid 0 here is another uid outside (unshare -r), not the real root."""
    with open("/proc/self/uid_map") as f:
        first = f.read().split()
    return first[:2] != ["0", "0"]


@unittest.skipIf(in_user_namespace(), "smtpd cannot start as the root of a user namespace")
class LookupResolver(unittest.TestCase):
    def test_resolver_of_the_lookup_role_uses_only_the_loopback_nameserver(self):
        smtpd = harness.Smtpd().start()
        self.addCleanup(smtpd.cleanup)
        deadline = time.monotonic() + 20
        log = smtpd.read_log()
        while "dns: resolver uses nameserver" not in log and time.monotonic() < deadline:
            time.sleep(0.05)
            log = smtpd.read_log()
        self.assertEqual(netns.resolver_nameservers(log), [netns.NAMESERVER])
        self.assertIn("from /etc/resolv.conf", log)
        self.assertNotIn("dns: no resolver", log)

    def test_smtpd_still_accepts_mail_with_the_resolver_running(self):
        smtpd = harness.Smtpd().start()
        self.addCleanup(smtpd.cleanup)
        d = harness.Dialogue(smtpd.port)
        self.addCleanup(d.close)
        self.assertEqual(d.reply()[0], 220)
        self.assertEqual(d.command(b"EHLO client.example\r\n")[0], 250)
        self.assertEqual(d.command(b"MAIL FROM:<a@client.example>\r\n")[0], 250)
        self.assertEqual(d.command(b"RCPT TO:<user@localhost>\r\n")[0], 250)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)
        self.assertEqual(d.command(b"Subject: x\r\n\r\nlookup-resolver-marker\r\n.\r\n")[0], 250)
        smtpd.find_delivered(b"lookup-resolver-marker")


if __name__ == "__main__":
    netns.run_tests()
