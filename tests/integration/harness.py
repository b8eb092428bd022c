"""Integration-test harness: starts a real smtpd process on a free loopback port with a temporary
configuration, spool and Maildir, and stops it by its PID at the end.

The configuration accepts mail for localhost and this host's name and delivers every recipient
to one Maildir through a virtual catch-all mapping to the user running the tests.
"""
import os
import re
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../conformance"))
import refservers  # noqa: E402
import spool_files  # noqa: E402

SMTPD = os.environ.get("SMTPD_BIN", os.path.join(os.path.dirname(__file__), "../../build/asan/runtime/smtpd"))
# smtpctl(8), built beside smtpd.
SMTPCTL = os.environ.get("SMTPCTL_BIN", os.path.join(os.path.dirname(SMTPD), "smtpctl"))


def wait_for(predicate, timeout=30, what="condition"):
    """Polls predicate (bounded); returns its first true value or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Smtpd(refservers.Ours):
    """Our smtpd with -v, started and stopped by conformance/refservers.py, plus what the tests
    read back: the log, the Maildir, the queue."""

    def __init__(self, extra_config="", listen_options="", extra_args=()):
        super().__init__(SMTPD, verbose=True, extra_config=extra_config,
                         listen_options=listen_options, extra_args=extra_args)

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def find_delivered(self, marker, timeout=20):
        """Waits for the one file in Maildir/new that contains `marker`; returns its bytes."""
        new = os.path.join(self.maildir, "new")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.all_delivered(marker)
            if found:
                if len(found) > 1:
                    raise AssertionError("%d messages contain %r" % (len(found), marker))
                return found[0]
            time.sleep(0.05)
        raise AssertionError("no message with %r in %s\nlog:\n%s" % (marker, new, self.read_log()))

    def all_delivered(self, marker):
        """Every delivered file containing `marker`, oldest first."""
        new = os.path.join(self.maildir, "new")
        out = []
        if os.path.isdir(new):
            for n in sorted(os.listdir(new)):
                with open(os.path.join(new, n), "rb") as f:
                    data = f.read()
                if marker in data:
                    out.append(data)
        return out

    def queue_is_empty(self, timeout=20):
        """Whether queue/ holds no committed message (a file being received is none) within
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not spool_files.queued_ids(self.spool):
                return True
            time.sleep(0.05)
        return False


AUTH_USER = refservers.AUTH_USER
AUTH_PASSWORD = refservers.AUTH_PASSWORD


class TlsSmtpd(Smtpd):
    """Our smtpd with a certificate made at run time, a credentials table, and the listener
    options given (e.g. "tls pki mx.test auth-optional <creds>")."""

    def __init__(self, listen_options, extra_args=()):
        super().__init__(listen_options=listen_options, extra_args=extra_args)
        self.use_certificate_and_credentials()
        self.implicit_tls = "smtps" in listen_options.split()

    def connect_probe(self):
        raw = super().connect_probe()
        if not self.implicit_tls:
            return raw
        ctx = ssl.create_default_context(cafile=self.cert)
        return ctx.wrap_socket(raw, server_hostname="mx.test")


class Dialogue:
    """A raw SMTP client on a socket: send bytes, read whole replies."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        """Reads one reply (all its lines); returns (code, [lines])."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError("connection closed; got %r" % (lines,))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("latin-1"))
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), lines

    def command(self, data):
        self.send(data)
        return self.reply()

    def closed(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


# The Received: header we add, with the variable parts (id, date) as patterns.
RECEIVED = re.compile(
    rb"Received: from (?P<helo>\S+) \(\[127\.0\.0\.1\]\)\n"
    rb"\tby \S+ \(smtpd\) with (?P<proto>E?SMTPS?A?) id (?P<id>[0-9a-f]{16})( \([^)]*\))?"
    rb"(\n\tfor <[^>]+>)?;\n"
    rb"\t[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}\n")


def split_delivered(message):
    """Splits a delivered file into (return_path, delivered_to, received_match, rest)."""
    lines = message.split(b"\n", 2)
    m = RECEIVED.match(lines[2])
    if not m:
        raise AssertionError("no Received header in %r" % message[:400])
    return lines[0], lines[1], m, lines[2][m.end():]


class SmtpdTestCase(unittest.TestCase):
    """Starts one smtpd for the test class."""

    EXTRA_CONFIG = ""  # smtpd.conf lines a test class adds

    @classmethod
    def setUpClass(cls):
        cls.smtpd = Smtpd(cls.EXTRA_CONFIG).start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def dialogue(self):
        d = Dialogue(self.smtpd.port)
        self.addCleanup(d.close)
        code, _ = d.reply()
        self.assertEqual(code, 220)
        return d
