"""What the relay test modules share (issue 14, Tests): a real smtpd relaying from its local
listener (`match from local for any action "relay"`, OpenSMTPD's default rule), submission over
a raw socket, and the three places a result shows: the peer (relay_env.py), the queue (the
envelopes in the spool's queue files, read by spool_files.py, and `smtpctl show queue`) and the
notices delivered to the local sender's Maildir. Every wait is bounded. Used inside netns.run_tests(): see test_relay.py for the zones.
"""
import re
import subprocess
import time
import unittest

import harness
from harness import wait_for  # noqa: F401  (relay tests take it from here)
import relay_env
import spool_files

class RelaySmtpd(harness.Smtpd):
    """harness.Smtpd with relay_env.relay_config(). `vusers` adds entries before the catch-all
    ("fwd@localhost": "far@mx.example": an alias to a remote address); `relay_options` follow
    `relay`; each address of `listen_also` gets a listener on the same port."""

    def __init__(self, extra_config="", listen_options="", vusers=None, relay_options="",
                 listen_also=(), extra_args=()):
        super().__init__(extra_config=extra_config, listen_options=listen_options,
                         extra_args=extra_args)
        self.vusers = vusers or {}
        self.relay_options = relay_options
        self.listen_also = listen_also

    def prepare(self):
        self.CONFIG = relay_env.relay_config(
            vusers="".join('"%s" = "%s", ' % kv for kv in self.vusers.items()),
            listen_also="".join("listen on %s port %d\n" % (a, self.port)
                                for a in self.listen_also),
            relay_options=self.relay_options)
        super().prepare()


def in_user_namespace():
    with open("/proc/self/uid_map") as f:
        return f.read().split()[:2] != ["0", "0"]


skip_in_user_namespace = unittest.skipIf(
    in_user_namespace(), "smtpd cannot start as the root of a user namespace")


def unescape(value):
    """An envelope value with its %XX escapes decoded (spool/envelope.hpp)."""
    return re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), value)


class RelayTestCase(unittest.TestCase):
    """One RelayEnv per test; smtpd instances started by the test are stopped at its end."""

    def setUp(self):
        self.env = relay_env.RelayEnv()
        self.addCleanup(self.env.stop)

    def start_smtpd(self, **kw):
        smtpd = RelaySmtpd(**kw).start()
        self.addCleanup(smtpd.cleanup)
        return smtpd

    def dialogue(self, smtpd, ehlo=True):
        d = harness.Dialogue(smtpd.port)
        self.addCleanup(d.close)
        self.assertEqual(d.reply()[0], 220)
        if ehlo:
            self.assertEqual(d.command(b"EHLO client.example\r\n")[0], 250)
        return d

    def submit(self, smtpd, sender, recipients, body, mail_params=b"", raw_data=False,
               rcpt_params=b""):
        """One transaction; `body` is sent as is followed by ".\r\n" (raw_data: `body` already
        holds its own end of data). Returns the reply to the end of data."""
        d = self.dialogue(smtpd)
        code, text = d.command(b"MAIL FROM:<%s>%s\r\n" % (sender.encode(), mail_params))
        self.assertEqual(code, 250, text)
        for r in recipients:
            self.assertEqual(d.command(b"RCPT TO:<%s>%s\r\n" % (r.encode(), rcpt_params))[0],
                             250, r)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)
        reply = d.command(body if raw_data else body + b".\r\n")
        if not raw_data:
            self.assertEqual(reply[0], 250, reply)
        return reply

    # The queue.

    def envelopes(self, smtpd):
        """{message id: raw envelope bytes} of every committed message."""
        return spool_files.queued_envelopes(smtpd.spool)

    def queued_rcpts(self, smtpd):
        """Every recipient address still in a queued envelope, sorted."""
        found = []
        for data in self.envelopes(smtpd).values():
            for line in data.split(b"\n"):
                if line.startswith(b"rcpt "):
                    found.append(unescape(line.split(b" ")[1]).decode("utf-8", "replace"))
        return sorted(found)

    def assertEnvelopesClean(self, smtpd):
        """Every envelope line is a `key value` of printable ASCII: no raw byte of a remote
        reply (CR, LF, control, 8-bit) reaches the file (CVE-2020-8794)."""
        keys = {b"version", b"id", b"created", b"helo", b"client", b"local", b"listener",
                b"sender", b"auth-user", b"tls", b"body", b"smtputf8", b"ret", b"envid",
                b"auth-param", b"size", b"rcpt", b"attempts", b"last-try", b"last-warn",
                b"error"}
        for msgid, data in self.envelopes(smtpd).items():
            self.assertTrue(data.endswith(b"\n"), msgid)
            for line in data[:-1].split(b"\n"):
                self.assertIn(line.split(b" ", 1)[0], keys, (msgid, line[:200]))
                self.assertTrue(all(0x20 <= b < 0x7F for b in line), (msgid, line[:200]))

    def envelope_error(self, smtpd):
        """The decoded `error` of the one queued message."""
        (data,) = self.envelopes(smtpd).values()
        for line in data.split(b"\n"):
            if line.startswith(b"error "):
                return unescape(line[len(b"error "):]).decode("utf-8", "replace")
        return ""

    def smtpctl(self, smtpd, *words):
        r = subprocess.run([harness.SMTPCTL, "-s", smtpd.socket] + list(words),
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual((r.returncode, r.stderr), (0, ""), "smtpctl %s" % " ".join(words))
        return r.stdout.splitlines()

    def show_queue(self, smtpd):
        """`smtpctl show queue` (OpenSMTPD's 14 fields: evpid|family|mta|auth|sender|rcpt|
        dest|created|expires|last-try|attempts|state|seconds|error) as
        [[evpid, sender, rcpt, attempts, error], ...]; an evpid's first 16 digits are the msgid
        (smtpctl(8), QUEUE IDS)."""
        lines = [line.split("|", 13) for line in self.smtpctl(smtpd, "show", "queue")]
        return [[f[0], f[4], f[5], f[10], f[13]] for f in lines]

    def wait_queued(self, smtpd, rcpts, attempts=1, timeout=30):
        """Waits until `show queue` lists exactly `rcpts` (sorted), each after `attempts`
        attempts; returns the lines."""
        def ready():
            lines = self.show_queue(smtpd)
            ok = sorted(l[2] for l in lines) == sorted(rcpts) and \
                all(int(l[3]) >= attempts for l in lines)
            return lines if ok else None
        try:
            return wait_for(ready, timeout, "the queue to hold %s" % rcpts)
        except AssertionError:
            self.fail("queue: %r, not %s\nlog:\n%s" % (self.show_queue(smtpd), rcpts,
                                                       smtpd.read_log()[-6000:]))

    def assertQueueEmpty(self, smtpd, timeout=20):
        self.assertTrue(smtpd.queue_is_empty(timeout),
                        "still queued: %r\nlog:\n%s" % (self.show_queue(smtpd),
                                                        smtpd.read_log()[-6000:]))
        self.assertEqual(self.show_queue(smtpd), [])

    def assertNoNotice(self, smtpd, marker):
        self.assertEqual(smtpd.all_delivered(marker), [])

    def assertRunning(self, smtpd):
        self.assertIsNone(smtpd.proc.poll(), "smtpd exited; log:\n" + smtpd.read_log()[-6000:])
