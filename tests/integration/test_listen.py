"""`listen on` targets and options on a real smtpd (smtpd.conf(5) LISTENERS): an interface name
binds the interface's addresses (`lo`: 127.0.0.1 and ::1), `inet4` keeps one family, `mask-src`
takes the client out of the Received: header, `hostnames` names us per local address, and
`smtpd -n` refuses a target that names nothing it can use. No host name here reaches a resolver:
the targets are literals, `localhost` and the loopback interface."""
import socket
import subprocess
import unittest

from harness import SMTPD, Dialogue, Smtpd


class ListenOn(Smtpd):
    """Our smtpd with the listen line's target and options given."""

    def __init__(self, target, listen_options="", extra_config=""):
        super().__init__(extra_config=extra_config, listen_options=listen_options)
        self.CONFIG = Smtpd.CONFIG.replace("listen on 127.0.0.1 port", "listen on %s port" % target)


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def greeting(family, address, port):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect((address, port))
        banner = s.recv(512)
        s.sendall(b"QUIT\r\n")
        return banner


def send(port, marker):
    d = Dialogue(port)
    try:
        assert d.reply()[0] == 220
        assert d.command(b"EHLO client.example\r\n")[0] == 250
        assert d.command(b"MAIL FROM:<a@example.org>\r\n")[0] == 250
        assert d.command(b"RCPT TO:<b@localhost>\r\n")[0] == 250
        assert d.command(b"DATA\r\n")[0] == 354
        assert d.command(b"Subject: " + marker + b"\r\n\r\nx\r\n.\r\n")[0] == 250
    finally:
        d.close()


class InterfaceTargets(unittest.TestCase):

    def server(self, *args, **kwargs):
        s = ListenOn(*args, **kwargs)
        self.addCleanup(s.cleanup)
        return s.start()

    def test_lo_binds_the_loopback_addresses_of_both_families(self):
        s = self.server("lo")
        self.assertTrue(greeting(socket.AF_INET, "127.0.0.1", s.port).startswith(b"220 "))
        if has_ipv6_loopback():
            self.assertTrue(greeting(socket.AF_INET6, "::1", s.port).startswith(b"220 "))
        self.assertIn("listening on 127.0.0.1 port %d" % s.port, s.read_log())

    @unittest.skipUnless(has_ipv6_loopback(), "no ::1 here")
    def test_inet4_keeps_the_ipv4_addresses_only(self):
        s = self.server("lo", "inet4")
        self.assertTrue(greeting(socket.AF_INET, "127.0.0.1", s.port).startswith(b"220 "))
        with self.assertRaises(ConnectionRefusedError):
            greeting(socket.AF_INET6, "::1", s.port)

    def test_check_refuses_a_family_the_target_lacks(self):
        s = ListenOn("127.0.0.1", "inet6")
        self.addCleanup(s.cleanup)
        s.prepare()
        r = subprocess.run([SMTPD, "-n", "-f", s.config], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("listen on 127.0.0.1: address 127.0.0.1 has no IPv6 address", r.stderr)


class ListenOptions(unittest.TestCase):

    def server(self, *args, **kwargs):
        s = ListenOn(*args, **kwargs)
        self.addCleanup(s.cleanup)
        return s.start()

    def test_mask_src_leaves_the_client_out_of_the_received_header(self):
        s = self.server("127.0.0.1", "mask-src")
        send(s.port, b"masked-source")
        message = s.find_delivered(b"masked-source")
        header = message.split(b"\n", 2)[2]
        self.assertTrue(header.startswith(b"Received: \n\tby "), header[:200])
        self.assertNotIn(b"client.example", message)
        self.assertNotIn(b"[127.0.0.1]", message)

    def test_without_mask_src_the_received_header_names_the_client(self):
        s = self.server("127.0.0.1")
        send(s.port, b"plain-source")
        header = s.find_delivered(b"plain-source").split(b"\n", 2)[2]
        self.assertTrue(header.startswith(b"Received: from client.example ([127.0.0.1])\n"))

    def test_hostnames_names_us_per_local_address(self):
        s = self.server("lo", "hostname fallback.example hostnames <names>",
                        extra_config="table names { 127.0.0.1 = mx1.example.com }")
        self.assertTrue(greeting(socket.AF_INET, "127.0.0.1", s.port)
                        .startswith(b"220 mx1.example.com "))
        if has_ipv6_loopback():  # an address the table does not name: the listener's hostname
            self.assertTrue(greeting(socket.AF_INET6, "::1", s.port)
                            .startswith(b"220 fallback.example "))
        send(s.port, b"named-by-table")
        self.assertIn(b"\tby mx1.example.com (smtpd)", s.find_delivered(b"named-by-table"))


if __name__ == "__main__":
    unittest.main()
