"""A real Postfix 3.7 relays into our smtpd.

Mail is submitted with smtplib to Postfix (extracted by .ci/refs into build/refs/postfix, run by
conformance/refservers.py); Postfix's own smtp(8) client relays it (`relayhost`) to our smtpd,
which delivers it to a Maildir. The test proves that:

  * every message Postfix accepts arrives, once, in our Maildir (one message, then 20 in a row);
  * it arrives intact: the submitted headers and body, byte for byte (CRLF stored as LF), with a
    line starting with a dot, a lone ".", and a ~120 KB body of lines up to 990 characters;
  * our trace headers name the original envelope (Return-Path: the submitter's sender,
    Delivered-To: the recipient) and Postfix as the client (HELO name, 127.0.0.1), above
    Postfix's own Received header for the same queue id;
  * Postfix's side agrees: its log says `status=sent` via our port for each queue id it
    announced, and its queue ends empty.

SKIPs (with the reason) only when not root or Postfix is not extracted.
"""
import os
import re
import smtplib
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../integration"))
from harness import Smtpd, split_delivered  # noqa: E402
import refservers  # noqa: E402  (on sys.path through harness)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
POSTFIX = os.path.join(ROOT, "build/refs/postfix")
POSTFIX_MASTER = os.path.join(POSTFIX, "usr/lib/postfix/sbin/master")

SENDER = "alice@example.org"
RECIPIENT = "bob@localhost"            # `localhost` is local to our smtpd, remote to Postfix below
POSTFIX_NAME = "relay.postfix.test"    # Postfix's myhostname, hence the HELO our smtpd sees
DELIVERY_TIMEOUT = 60                  # seconds to wait for a message to reach the Maildir
BATCH = 20


def relay_main_cf(port):
    """main.cf lines (they override refservers' defaults): trust loopback submitters, deliver
    nothing locally (not even `localhost`) and send everything to our smtpd."""
    return "\n".join([
        "myhostname = " + POSTFIX_NAME,
        "mynetworks = 127.0.0.0/8",
        "virtual_mailbox_domains =",
        "relayhost = [127.0.0.1]:%d" % port,
        # A refused or failed relay must show up as a deferral now, not after minutes.
        "queue_run_delay = 1s",
        "minimal_backoff_time = 1s",
        "maximal_backoff_time = 2s",
    ]) + "\n"


def message(marker, body_lines):
    """A complete message (CRLF lines) with every header Postfix would otherwise add itself."""
    headers = [
        "From: Alice <%s>" % SENDER,
        "To: Bob <%s>" % RECIPIENT,
        "Subject: relay test %s" % marker,
        "Date: Mon, 01 Jan 2024 00:00:00 +0000",
        "Message-ID: <%s@example.org>" % marker,
        "X-Marker: %s" % marker,
    ]
    return ("\r\n".join(headers + [""] + body_lines) + "\r\n").encode("ascii")


def tricky_body():
    """Dot lines (which the SMTP hops must stuff and unstuff), blank lines, trailing blanks,
    long lines, and enough of them to need many TCP segments."""
    lines = [".a line that starts with a dot", ".", "..two dots", "", "trailing blanks   ",
             "\ttab-indented", "x" * 990]
    for i in range(1500):
        lines.append("%05d %s" % (i, "abcdefghijklmnopqrstuvwxyz0123456789" * (i % 3 + 1)))
        if i % 100 == 0:
            lines.append(".dot line %d" % i)
    lines.append("last line")
    return lines


def header_block(data, start):
    """The end offset of the (folded) header field starting at data[start:]."""
    end = data.index(b"\n", start) + 1
    while data[end:end + 1] in (b" ", b"\t"):
        end = data.index(b"\n", end) + 1
    return end


@unittest.skipUnless(os.geteuid() == 0, "SKIP: Postfix needs root (own users, master as root)")
@unittest.skipUnless(os.access(POSTFIX_MASTER, os.X_OK),
                     "SKIP: Postfix not extracted at build/refs/postfix (run .ci/refs)")
class PostfixRelayTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # Class cleanups run even when setUpClass fails half-way: no server outlives the test.
        cls.smtpd = Smtpd()
        cls.addClassCleanup(cls.smtpd.cleanup)
        cls.smtpd.start()
        cls.postfix = refservers.Postfix(POSTFIX, process_limit=20,
                                          extra_main_cf=relay_main_cf(cls.smtpd.port))
        cls.addClassCleanup(cls.postfix.cleanup)
        cls.postfix.start()

    # -- helpers

    def submit(self, messages):
        """Submits (marker, bytes) pairs to Postfix in one session; returns the queue ids."""
        ids = {}
        with smtplib.SMTP("127.0.0.1", self.postfix.port, timeout=30) as s:
            s.ehlo("submitter.test")
            for marker, data in messages:
                self.assertEqual(s.mail(SENDER)[0], 250)
                self.assertEqual(s.rcpt(RECIPIENT)[0], 250)
                code, reply = s.data(data)
                self.assertEqual(code, 250, reply)
                m = re.search(rb"queued as ([0-9A-Za-z]+)", reply)
                self.assertIsNotNone(m, reply)
                ids[marker] = m.group(1).decode()
        return ids

    def wait_delivered(self, markers):
        """Polls our Maildir until each marker is in exactly one file; returns marker -> bytes."""
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while True:
            found = {m: self.smtpd.all_delivered(m.encode()) for m in markers}
            if all(found.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        missing = [m for m, files in found.items() if not files]
        self.assertFalse(missing, "%d of %d messages not relayed within %ds\nPostfix:\n%s\n"
                         "ours:\n%s" % (len(missing), len(markers), DELIVERY_TIMEOUT,
                                        self.postfix.log_tail(), self.smtpd.read_log()[-3000:]))
        for m, files in found.items():
            self.assertEqual(len(files), 1, "%s delivered %d times" % (m, len(files)))
        return {m: files[0] for m, files in found.items()}

    def assert_relayed_intact(self, delivered, submitted, queue_id):
        """delivered = our trace headers + Postfix's Received + exactly what was submitted."""
        return_path, delivered_to, received, rest = split_delivered(delivered)
        self.assertEqual(return_path, b"Return-Path: <%s>" % SENDER.encode())
        self.assertEqual(delivered_to, b"Delivered-To: %s" % RECIPIENT.encode())
        self.assertEqual(received.group("helo"), POSTFIX_NAME.encode())
        self.assertTrue(rest.startswith(b"Received: from "), rest[:300])
        theirs = rest[:header_block(rest, 0)]
        self.assertIn(b"by %s (Postfix) with ESMTP id %s" % (POSTFIX_NAME.encode(),
                                                               queue_id.encode()), theirs)
        self.assertEqual(rest[len(theirs):], submitted.replace(b"\r\n", b"\n"))

    def postfix_log(self):
        with open(os.path.join(self.postfix.dir, "postfix.log"), errors="replace") as f:
            return f.read()

    def assert_postfix_sent(self, queue_ids):
        """Postfix logged status=sent through our port for every id, and its queue is empty."""
        relay = "relay=127.0.0.1[127.0.0.1]:%d" % self.smtpd.port
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while True:
            log = self.postfix_log()
            unsent = [q for q in queue_ids
                      if not re.search(r"%s: to=<%s>, %s, .*status=sent"
                                       % (q, re.escape(RECIPIENT), re.escape(relay)), log)]
            queued = self.postfix_queue_files()
            if (not unsent and not queued) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertFalse(unsent, "no status=sent for %s\n%s" % (unsent, log[-3000:]))
        self.assertFalse(queued, "Postfix queue not empty: %s" % queued)

    def postfix_queue_files(self):
        """Every message file still in Postfix's queues (relative to its queue directory)."""
        out = []
        for sub in ("maildrop", "incoming", "active", "deferred", "hold", "corrupt"):
            for dirpath, _, files in os.walk(os.path.join(self.postfix.queue_dir, sub)):
                out += [os.path.relpath(os.path.join(dirpath, f), self.postfix.queue_dir)
                        for f in files]
        return out

    # -- tests

    def test_one_message_arrives_byte_for_byte(self):
        marker = uuid.uuid4().hex
        data = message(marker, tricky_body())
        self.assertGreater(len(data), 90000)
        ids = self.submit([(marker, data)])
        delivered = self.wait_delivered([marker])
        self.assert_relayed_intact(delivered[marker], data, ids[marker])
        self.assert_postfix_sent(ids.values())

    def test_batch_all_arrive(self):
        batch = []
        for i in range(BATCH):
            marker = uuid.uuid4().hex
            batch.append((marker, message(marker, ["message %d of %d" % (i + 1, BATCH), ".",
                                                   ".%s" % marker, "end"])))
        ids = self.submit(batch)
        self.assertEqual(len(set(ids.values())), BATCH)
        delivered = self.wait_delivered([m for m, _ in batch])
        for marker, data in batch:
            self.assert_relayed_intact(delivered[marker], data, ids[marker])
        self.assert_postfix_sent(ids.values())
        self.assertTrue(self.smtpd.queue_is_empty(), "our queue not empty")


if __name__ == "__main__":
    unittest.main(verbosity=2)
