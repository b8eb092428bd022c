"""`listen ... proxy-v2` on a real smtpd with Debian's haproxy as the real PROXY v2 client
(`send-proxy-v2`): a client bound to 127.0.0.2 talks to haproxy on 127.0.0.1, haproxy to our
listener; the Received: header and the log name 127.0.0.2, the client, not haproxy. A proxy-v2
listener closes on bytes that are not a header; a plain listener answers a PROXY header as an
unrecognised command. Everything stays on 127.0.0.0/8."""
import os
import shutil
import socket
import struct
import subprocess
import time
import unittest

from harness import Dialogue, Smtpd
import refservers  # noqa: E402 (harness puts conformance/ on the path)

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
LOCAL_HEADER = SIGNATURE + b"\x20\x00\x00\x00"  # LOCAL, UNSPEC: a health check


class ProxiedSmtpd(Smtpd):
    """A proxy-v2 listener; its start-up probe speaks first with a LOCAL header."""

    def __init__(self):
        super().__init__(listen_options="proxy-v2")

    def connect_probe(self):
        s = super().connect_probe()
        s.sendall(LOCAL_HEADER)
        return s


def wait_for_port(port, deadline):
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


@unittest.skipUnless(os.access(HAPROXY, os.X_OK), "haproxy is not installed (.ci/deps)")
class HaproxyInFront(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.smtpd = ProxiedSmtpd().start()
        cls.front = refservers.free_port()
        cls.config = os.path.join(cls.smtpd.dir, "haproxy.cfg")
        with open(cls.config, "w") as f:
            f.write("defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n"
                    "  timeout server 30s\n"
                    "frontend front\n  bind 127.0.0.1:%d\n  default_backend smtpd\n"
                    "backend smtpd\n  server ours 127.0.0.1:%d send-proxy-v2\n"
                    % (cls.front, cls.smtpd.port))
        cls.haproxy = subprocess.Popen([HAPROXY, "-db", "-f", cls.config],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for_port(cls.front, time.monotonic() + 20):
            cls.tearDownClass()
            raise AssertionError("haproxy did not listen on 127.0.0.1:%d" % cls.front)

    @classmethod
    def tearDownClass(cls):
        if cls.haproxy.poll() is None:
            cls.haproxy.terminate()
            cls.haproxy.wait(timeout=15)
        cls.smtpd.cleanup()

    def through_haproxy(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(10)
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", self.front))
        d = Dialogue.__new__(Dialogue)
        d.sock, d.buf = s, b""
        self.addCleanup(d.close)
        return d

    def test_received_header_and_log_name_the_client_behind_the_proxy(self):
        d = self.through_haproxy()
        self.assertEqual(d.reply()[0], 220)
        self.assertEqual(d.command(b"EHLO client.example\r\n")[0], 250)
        self.assertEqual(d.command(b"MAIL FROM:<a@example.org>\r\n")[0], 250)
        self.assertEqual(d.command(b"RCPT TO:<b@localhost>\r\n")[0], 250)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)
        self.assertEqual(d.command(b"Subject: proxied\r\n\r\nx\r\n.\r\n")[0], 250)
        message = self.smtpd.find_delivered(b"Subject: proxied")
        header = message.split(b"\n", 2)[2]
        self.assertTrue(header.startswith(b"Received: from client.example ([127.0.0.2])\n"),
                        header[:200])
        self.assertIn("proxy-v2 address=127.0.0.2 proxy=127.0.0.1", self.smtpd.read_log())

    def test_bytes_that_are_not_a_header_close_the_connection_with_a_logged_error(self):
        s = socket.create_connection(("127.0.0.1", self.smtpd.port), timeout=10)
        self.addCleanup(s.close)
        s.sendall(b"EHLO client.example\r\n")
        self.assertEqual(s.recv(512), b"")  # closed, no greeting
        deadline = time.monotonic() + 10
        while "proxy-v2 error" not in self.smtpd.read_log() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn("proxy-v2 error from 127.0.0.1: not a PROXY v2 header",
                      self.smtpd.read_log())


class PlainListener(unittest.TestCase):

    def test_a_proxy_header_is_an_unrecognised_command(self):
        smtpd = Smtpd().start()
        self.addCleanup(smtpd.cleanup)
        d = Dialogue(smtpd.port)
        self.addCleanup(d.close)
        self.assertEqual(d.reply()[0], 220)
        v4 = bytes([192, 0, 2, 7, 127, 0, 0, 1]) + struct.pack(">HH", 40000, 25)
        d.send(SIGNATURE + b"\x21\x11" + struct.pack(">H", len(v4)) + v4 + b"\r\n")
        self.assertEqual(d.reply()[0], 500)


if __name__ == "__main__":
    unittest.main()
