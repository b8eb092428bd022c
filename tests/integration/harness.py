"""Integration-test harness: starts a real smtpd process on a free loopback port with a temporary
configuration, spool and Maildir, and stops it by its PID at the end.

The configuration accepts mail for localhost and this host's name and delivers every recipient
to one Maildir through a virtual catch-all mapping to the user running the tests.
"""
import os
import pwd
import re
import signal
import socket
import subprocess
import tempfile
import time
import unittest

SMTPD = os.environ.get("SMTPD_BIN", os.path.join(os.path.dirname(__file__), "../../build/asan/runtime/smtpd"))

CONFIG = """\
# integration test configuration
maildir_path = "{maildir}"
table vusers {{ "@" = "{user}" }}
listen on 127.0.0.1 port {port}
action "local" maildir $maildir_path virtual <vusers>
match from any for local action "local"
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Smtpd:
    """One smtpd process with its own directory tree."""

    def __init__(self, config_template=CONFIG):
        self.dir = tempfile.TemporaryDirectory(prefix="smtpd-it-")
        self.port = free_port()
        self.maildir = os.path.join(self.dir.name, "Maildir")
        self.spool = os.path.join(self.dir.name, "spool")
        self.config = os.path.join(self.dir.name, "smtpd.conf")
        self.log_path = os.path.join(self.dir.name, "smtpd.log")
        user = pwd.getpwuid(os.getuid()).pw_name
        with open(self.config, "w") as f:
            f.write(config_template.format(maildir=self.maildir, user=user, port=self.port))
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [SMTPD, "-d", "-v", "-f", self.config, "-S", self.spool],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("smtpd exited with %d:\n%s" % (self.proc.returncode, self.read_log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.recv(512)
                    s.sendall(b"QUIT\r\n")
                    s.recv(512)
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("smtpd did not start listening:\n" + self.read_log())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()

    def cleanup(self):
        self.stop()
        self.dir.cleanup()

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
        queue = os.path.join(self.spool, "queue")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not os.listdir(queue):
                return True
            time.sleep(0.05)
        return False


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
    rb"\tby \S+ \(smtpd\) with E?SMTP id (?P<id>[0-9a-f]{16})"
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

    config_template = CONFIG

    @classmethod
    def setUpClass(cls):
        cls.smtpd = Smtpd(cls.config_template).start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def dialogue(self):
        d = Dialogue(self.smtpd.port)
        self.addCleanup(d.close)
        code, _ = d.reply()
        self.assertEqual(code, 220)
        return d
