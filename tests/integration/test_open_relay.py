"""We are no open relay (issue 14, The client machine grows): with OpenSMTPD's default rules
(`match from any for local action "local"`, `match from local for any action "relay"`), a client
that is not local gets `550 5.7.1` for a remote domain at RCPT, while a local domain is still
accepted; an alias of a local address that expands to a remote one is matched as local mail and
relayed. "Local" is loopback; the remote client here is a process in a network namespace of its
own (`unshare -n`) joined to the test's by a veth pair (198.51.100.1 here, .2 there; RFC 5737
TEST-NET-2), whose socket this process makes by entering that namespace with setns(2) for the
time of one socket(2) call. smtpd also listens on 198.51.100.1.
"""
import ctypes
import os
import socket
import subprocess
import time

import harness
import netns
import relay_support

SERVER_ADDRESS = "198.51.100.1"
CLIENT_ADDRESS = "198.51.100.2"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, "setns: %s" % os.strerror(errno))


class RemoteHost:
    """A namespace of its own (held by `unshare -n sleep`, ended by its PID) at CLIENT_ADDRESS."""

    def __init__(self):
        self.proc = subprocess.Popen(["unshare", "-n", "sleep", "600"])
        self.netns = "/proc/%d/ns/net" % self.proc.pid
        ours = os.readlink("/proc/self/ns/net")
        relay_support.wait_for(lambda: self._readlink() not in (None, ours), 10,
                               "the client namespace")
        run = lambda *a: subprocess.run(list(a), check=True)  # noqa: E731
        inside = ["nsenter", "--net=" + self.netns]
        run("ip", "link", "add", "smtpd-srv", "type", "veth", "peer", "name", "smtpd-cli",
            "netns", str(self.proc.pid))
        run("ip", "addr", "add", SERVER_ADDRESS + "/24", "dev", "smtpd-srv")
        run("ip", "link", "set", "smtpd-srv", "up")
        run(*inside, "ip", "addr", "add", CLIENT_ADDRESS + "/24", "dev", "smtpd-cli")
        run(*inside, "ip", "link", "set", "smtpd-cli", "up")
        run(*inside, "ip", "link", "set", "lo", "up")

    def _readlink(self):
        try:
            return os.readlink(self.netns)
        except OSError:
            return None

    def connect(self, port, timeout=10):
        """A TCP connection from inside the namespace to SERVER_ADDRESS:port."""
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        there = os.open(self.netns, os.O_RDONLY)
        try:
            _setns(there)
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            finally:
                _setns(home)
        finally:
            os.close(there)
            os.close(home)
        sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while True:  # the veth link comes up a moment after `ip link set up`
            try:
                sock.connect((SERVER_ADDRESS, port))
                return sock
            except OSError:
                if time.monotonic() > deadline:
                    sock.close()
                    raise
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        # The veth pair goes with the namespace: wait until our end is gone.
        relay_support.wait_for(lambda: subprocess.run(
            ["ip", "link", "show", "smtpd-srv"], capture_output=True).returncode != 0, 10,
            "the veth pair to go")


class RemoteDialogue(harness.Dialogue):
    def __init__(self, sock):  # pylint: disable=super-init-not-called
        self.sock = sock
        self.buf = b""


@relay_support.skip_in_user_namespace
class OpenRelay(relay_support.RelayTestCase):
    def setUp(self):
        super().setUp()
        self.remote = RemoteHost()
        self.addCleanup(self.remote.stop)

    def remote_dialogue(self, smtpd):
        d = RemoteDialogue(self.remote.connect(smtpd.port))
        self.addCleanup(d.close)
        self.assertEqual(d.reply()[0], 220)
        self.assertEqual(d.command(b"EHLO remote.example\r\n")[0], 250)
        return d

    def test_a_remote_client_cannot_relay_but_can_send_to_a_local_domain(self):
        peer = self.env.peer("mx1", also=["mx2", "mx3"])
        smtpd = self.start_smtpd(listen_also=[SERVER_ADDRESS])
        d = self.remote_dialogue(smtpd)
        self.assertEqual(d.command(b"MAIL FROM:<someone@remote.example>\r\n")[0], 250)
        code, lines = d.command(b"RCPT TO:<bob@mx.example>\r\n")
        self.assertEqual(code, 550, lines)
        self.assertTrue(lines[-1].startswith("550 5.7.1 "), lines)
        self.assertEqual(d.command(b"RCPT TO:<alice@localhost>\r\n")[0], 250)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)
        self.assertEqual(d.command(b"Subject: remote\r\n\r\nremote-local-1\r\n.\r\n")[0], 250)
        message = smtpd.find_delivered(b"remote-local-1")
        self.assertIn(b"from remote.example ([%s])" % CLIENT_ADDRESS.encode(), message)
        self.assertQueueEmpty(smtpd)
        self.assertEqual(peer.sessions(), [])

    def test_a_remote_client_reaches_an_alias_that_expands_to_a_remote_address(self):
        peer = self.env.peer("mx1", also=["mx2", "mx3"])
        smtpd = self.start_smtpd(listen_also=[SERVER_ADDRESS],
                                 vusers={"fwd@localhost": "far@mx.example"})
        d = self.remote_dialogue(smtpd)
        self.assertEqual(d.command(b"MAIL FROM:<someone@remote.example>\r\n")[0], 250)
        self.assertEqual(d.command(b"RCPT TO:<fwd@localhost>\r\n")[0], 250)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)
        self.assertEqual(d.command(b"Subject: alias\r\n\r\nremote-alias-1\r\n.\r\n")[0], 250)
        (tx,) = peer.wait_messages(1)
        self.assertEqual(tx.accepted_rcpts, ["far@mx.example"])
        self.assertEqual(tx.mail_from, "someone@remote.example")
        self.assertIn(b"remote-alias-1", tx.message)
        self.assertQueueEmpty(smtpd)
        self.assertEqual(smtpd.all_delivered(b""), [])

    def test_a_loopback_client_still_relays(self):
        peer = self.env.peer("mx1", also=["mx2", "mx3"])
        smtpd = self.start_smtpd(listen_also=[SERVER_ADDRESS])
        self.submit(smtpd, "alice@localhost", ["bob@mx.example"],
                    b"Subject: local\r\n\r\nlocal-relay-1\r\n")
        (tx,) = peer.wait_messages(1)
        self.assertEqual(tx.accepted_rcpts, ["bob@mx.example"])


if __name__ == "__main__":
    netns.run_tests()
