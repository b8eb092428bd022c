"""Name resolution through libunbound against a real nameserver (issue 14, Resolution): inside
the private namespace of netns.py, tests/tools/dns_resolve (runtime/dns's Resolver and MX route)
resolves each test zone through Debian's unbound, and each route is asserted: MX order with ties,
implicit MX, null MX (5.1.10), MX to localhost (5.4.4), MX naming us (5.4.6), NXDOMAIN
(permanent), SERVFAIL and a time-out (temporary), a CNAME chain followed and a CNAME loop ended
(temporary), an IPv6-only host, address literals; and the resolver logged a loopback
nameserver, the only one it may use.
"""
import json
import os
import subprocess
import unittest

import netns

SMTPD = os.environ.get("SMTPD_BIN", os.path.join(os.path.dirname(__file__),
                                                 "../../build/asan/runtime/smtpd"))
# tests/tools/dns_resolve, built beside the runtime in every configuration.
RESOLVE = os.environ.get("DNS_RESOLVE_BIN", os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(SMTPD))), "tests/tools/dns_resolve"))


def resolve(*domains, timeout_ms=20000, our_names=()):
    """Runs dns_resolve on `domains`; returns ({domain: result}, stderr)."""
    args = [RESOLVE, "--timeout-ms", str(timeout_ms)]
    for name in our_names:
        args += ["--our-name", name]
    done = subprocess.run(args + list(domains), capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise AssertionError("dns_resolve failed (%d): %s" % (done.returncode, done.stderr))
    results = {}
    for line in done.stdout.splitlines():
        result = json.loads(line)
        results[result["domain"]] = result
    missing = set(domains) - set(results)
    if missing:
        raise AssertionError("no result for %s:\n%s\n%s" % (missing, done.stdout, done.stderr))
    return results, done.stderr


class Resolution(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.results, cls.log = resolve(
            "mx.example", "implicit.example", "nullmx.example", "localmx.example", "nx.example",
            "servfail.example", "cname.example", "cnameloop.example", "v6only.example", "[192.0.2.7]",
            "[IPv6:2001:db8::7]")

    def route(self, domain):
        result = self.results[domain]
        self.assertTrue(result["ok"], result)
        return result

    def refused(self, domain, status, permanent):
        result = self.results[domain]
        self.assertFalse(result["ok"], result)
        self.assertEqual(result["status"], status, result)
        self.assertEqual(result["permanent"], permanent, result)
        return result

    def test_resolver_uses_only_the_loopback_nameserver(self):
        self.assertEqual(netns.resolver_nameservers(self.log), [netns.NAMESERVER])
        self.assertIn("from /etc/resolv.conf", self.log)

    def test_mx_hosts_by_preference_with_ties_in_any_order(self):
        result = self.route("mx.example")
        self.assertFalse(result["implicit"])
        hosts = [tuple(h) for h in result["hosts"]]
        self.assertEqual(sorted(hosts[:2]), [("mx1.mx.example", 10), ("mx2.mx.example", 10)])
        self.assertEqual(hosts[2], ("mx3.mx.example", 20))
        addresses = {tuple(d) for d in result["destinations"]}
        self.assertEqual(addresses, {("mx1.mx.example", "127.0.0.11"),
                                     ("mx2.mx.example", "127.0.0.12"),
                                     ("mx3.mx.example", "127.0.0.13")})
        self.assertEqual(result["destinations"][2], ["mx3.mx.example", "127.0.0.13"])

    def test_ties_are_shuffled_across_runs(self):
        firsts = set()
        for _ in range(40):
            results, _ = resolve("mx.example")
            firsts.add(results["mx.example"]["hosts"][0][0])
            if len(firsts) == 2:
                break
        self.assertEqual(firsts, {"mx1.mx.example", "mx2.mx.example"})

    def test_no_mx_is_the_implicit_mx(self):
        result = self.route("implicit.example")
        self.assertTrue(result["implicit"])
        self.assertEqual(result["hosts"], [["implicit.example", 0]])
        self.assertEqual(result["destinations"], [["implicit.example", "127.0.0.20"]])

    def test_null_mx_is_permanent_5_1_10(self):
        self.refused("nullmx.example", "5.1.10", True)

    def test_mx_to_localhost_is_permanent_5_4_4(self):
        self.refused("localmx.example", "5.4.4", True)

    def test_nxdomain_is_permanent(self):
        result = self.refused("nx.example", "5.1.2", True)
        self.assertIn("NXDOMAIN", result["error"])

    def test_servfail_is_temporary(self):
        result = self.refused("servfail.example", "4.4.3", False)
        self.assertIn("SERVFAIL", result["error"])

    def test_cname_chain_is_followed(self):
        result = self.route("cname.example")
        self.assertEqual(result["hosts"], [["alias.cname.example", 10]])
        self.assertEqual(result["destinations"], [["alias.cname.example", "127.0.0.30"]])

    def test_cname_loop_ends_in_a_temporary_failure(self):
        # libunbound follows a chain within its bound of restarts; a loop is SERVFAIL, not a hang.
        result = self.refused("cnameloop.example", "4.4.3", False)
        self.assertIn("SERVFAIL", result["error"])

    def test_ipv6_only_host_has_its_aaaa(self):
        result = self.route("v6only.example")
        self.assertEqual(result["destinations"], [["host6.v6only.example", "2001:db8::25"]])

    def test_address_literals_need_no_dns(self):
        self.assertEqual(self.route("[192.0.2.7]")["destinations"], [["192.0.2.7", "192.0.2.7"]])
        self.assertEqual(self.route("[IPv6:2001:db8::7]")["destinations"],
                         [["2001:db8::7", "2001:db8::7"]])


class Timeouts(unittest.TestCase):
    def test_a_nameserver_that_never_answers_is_a_temporary_timeout(self):
        results, _ = resolve("slow.example", timeout_ms=1000)
        result = results["slow.example"]
        self.assertFalse(result["ok"], result)
        self.assertFalse(result["permanent"], result)
        self.assertEqual(result["status"], "4.4.3")
        self.assertIn("in time", result["error"])


class OurOwnMx(unittest.TestCase):
    def test_mx_records_of_our_preference_or_worse_are_dropped(self):
        results, _ = resolve("mx.example", our_names=["mx3.mx.example"])
        hosts = sorted(h[0] for h in results["mx.example"]["hosts"])
        self.assertEqual(hosts, ["mx1.mx.example", "mx2.mx.example"])

    def test_being_the_best_mx_is_permanent_5_4_6(self):
        results, _ = resolve("mx.example", our_names=["MX1.mx.example."])
        result = results["mx.example"]
        self.assertFalse(result["ok"], result)
        self.assertEqual((result["status"], result["permanent"]), ("5.4.6", True))


if __name__ == "__main__":
    netns.run_tests()
