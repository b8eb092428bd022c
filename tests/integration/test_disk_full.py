"""A full or unwritable spool: the client gets a temporary failure (452 4.3.1 when the spool is
full, RFC 3463 §3.4 "mail system full"; 451 when queue/ cannot be written), nothing that got
250 is lost, no half-received file (queue/<id>.new) is left behind, the server keeps serving once
space or permissions come back, and a free/ it cannot use (emptied files kept for reuse) costs
nothing but the reuse. The spool is a small tmpfs the test mounts (and unmounts) itself; the
queue runs as _smtpq, so a chmod made by root does take effect on it. Root only.
Depends on: harness.py, spool_files.py, mount(8).
"""
import os
import subprocess
import time
import unittest

import harness
import spool_files

ROOT = os.geteuid() == 0
KIB = 1024


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def body(marker, size):
    line = ("%s %s\r\n" % (marker, "y" * 70)).encode()
    return b"Subject: %s\r\n\r\n" % marker.encode() + line * (size // len(line))


@unittest.skipUnless(ROOT, "mounting a tmpfs and changing the spool's modes need root")
class FullSpool(unittest.TestCase):
    def start(self, size="1m", inodes=None):
        s = harness.Smtpd()
        self.addCleanup(s.cleanup)
        os.makedirs(s.spool)
        options = "size=%s,mode=0700" % size + (",nr_inodes=%d" % inodes if inodes else "")
        mount = subprocess.run(["mount", "-t", "tmpfs", "-o", options,
                                "smtpd-test-spool", s.spool], capture_output=True, text=True)
        if mount.returncode != 0:
            self.skipTest("cannot mount a tmpfs: " + mount.stderr.strip())
        self.addCleanup(self.unmount, s)
        self.smtpd = s.start()
        # The 220 comes from the dispatcher; the queue makes its directories on its own time.
        deadline = time.monotonic() + 10
        while not all(os.path.isdir(os.path.join(s.spool, d)) for d in ("queue", "free")):
            self.assertLess(time.monotonic(), deadline, "the queue made no spool directories")
            time.sleep(0.05)
        return s

    @staticmethod
    def unmount(s):
        s.stop()
        if subprocess.run(["umount", s.spool], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", s.spool], capture_output=True)

    def fill(self, leave):
        """A root-owned file in the spool that leaves `leave` bytes free; returns its path."""
        path = os.path.join(self.smtpd.spool, "filler")
        with open(path, "wb") as f:
            room = free_bytes(self.smtpd.spool) - leave
            try:
                while room > 0:
                    room -= f.write(b"\0" * min(room, 64 * KIB))
                    f.flush()
            except OSError:  # ENOSPC: full, as asked for leave=0
                pass
        return path

    def open_data(self, marker):
        """A dialogue at the DATA stage of a message to one local recipient."""
        d = harness.Dialogue(self.smtpd.port, timeout=30)
        self.addCleanup(d.close)
        self.assertEqual(d.reply()[0], 220)
        self.assertEqual(d.command(b"EHLO full.test\r\n")[0], 250)
        self.assertEqual(d.command(b"MAIL FROM:<s@test>\r\n")[0], 250)
        self.assertEqual(d.command(b"RCPT TO:<%s@localhost>\r\n" % marker.encode())[0], 250)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)
        return d

    def send(self, marker, size):
        d = self.open_data(marker)
        d.send(body(marker, size))
        return d.command(b".\r\n")

    def assert_no_space(self, reply):
        code, lines = reply
        self.assertEqual(code, 452, lines)
        self.assertTrue(lines[-1].startswith("452 4.3.1 "), lines)

    def assert_serving(self, marker):
        self.assertEqual(self.send(marker, 4 * KIB)[0], 250)
        self.smtpd.find_delivered(marker.encode())

    def assert_nothing_being_received(self):
        """No queue/<id>.new is left (within 5 s: the queue drops a failed one on its own time)."""
        spool = self.smtpd.spool
        deadline = time.monotonic() + 5
        while spool_files.receiving(spool) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(spool_files.receiving(spool), [])

    def test_a_message_larger_than_the_spool_gets_452_on_the_same_connection(self):
        self.start("1m")
        d = self.open_data("huge")
        d.send(body("huge", 2048 * KIB))
        self.assert_no_space(d.command(b".\r\n"))
        # The session is back in Greeted: the next transaction on it is served.
        self.assertEqual(d.command(b"MAIL FROM:<s@test>\r\n")[0], 250)
        self.assertEqual(d.command(b"RCPT TO:<after@localhost>\r\n")[0], 250)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)
        d.send(body("after-huge", 4 * KIB))
        self.assertEqual(d.command(b".\r\n")[0], 250)
        self.smtpd.find_delivered(b"after-huge")
        self.assertEqual(self.smtpd.all_delivered(b"\nhuge y"), [])
        self.assert_nothing_being_received()

    def test_a_full_spool_gets_452_and_serves_again_once_space_is_freed(self):
        self.start("1m")
        filler = self.fill(leave=0)
        self.assert_no_space(self.send("full", 4 * KIB))
        self.assert_nothing_being_received()
        os.unlink(filler)
        self.assert_serving("freed")
        self.assertEqual(self.smtpd.all_delivered(b"full y"), [])

    def test_a_spool_without_inodes_gets_452_when_the_file_cannot_be_created(self):
        s = self.start("1m", inodes=16)
        fillers = []
        try:
            while True:
                fillers.append(os.path.join(s.spool, "inode-%d" % len(fillers)))
                open(fillers[-1], "wb").close()
        except OSError:  # ENOSPC: no inode left, so the queue cannot create queue/<id>.new
            fillers.pop()
        self.assert_no_space(self.send("no-inode", 4 * KIB))
        self.assertIn("cannot create a message: No space left on device", s.read_log())
        for path in fillers:
            os.unlink(path)
        self.assert_serving("inodes-freed")
        self.assertEqual(s.all_delivered(b"no-inode y"), [])

    def test_concurrent_messages_past_the_free_space_each_get_250_or_452(self):
        self.start("2m")
        filler = self.fill(leave=250 * KIB)
        dialogues = []
        for i in range(5):  # 5 x 100 KiB being received at once: the last ones cannot fit
            d = self.open_data("concurrent-%d" % i)
            d.send(body("concurrent-%d" % i, 100 * KIB))
            time.sleep(0.3)
            dialogues.append(d)
        # The dots in reverse order: the failed files are dropped first, giving their space back.
        replies = {i: dialogues[i].command(b".\r\n") for i in reversed(range(5))}
        accepted = [i for i, (code, _) in replies.items() if code == 250]
        for i, reply in replies.items():
            if i not in accepted:
                self.assert_no_space(reply)
        self.assertTrue(accepted, replies)
        self.assertLess(len(accepted), 5, replies)
        for i in accepted:
            self.smtpd.find_delivered(b"concurrent-%d " % i)
        self.assertTrue(self.smtpd.queue_is_empty())
        for i in set(range(5)) - set(accepted):
            self.assertEqual(self.smtpd.all_delivered(b"concurrent-%d " % i), [])
        self.assert_nothing_being_received()
        os.unlink(filler)
        self.assert_serving("after-concurrent")

    def test_an_unwritable_free_directory_costs_only_the_reuse(self):
        # free/ keeps the emptied files of delivered messages for the next ones. One the queue
        # can neither take from nor put back into: each message gets a new file and is unlinked
        # once delivered, accepted, delivered once and gone from queue/ all the same.
        s = self.start("1m")
        self.assert_serving("fills-free")
        self.assertTrue(s.queue_is_empty())
        free = os.path.join(s.spool, "free")
        deadline = time.monotonic() + 5
        while not os.listdir(free) and time.monotonic() < deadline:
            time.sleep(0.05)
        kept = sorted(os.listdir(free))
        self.assertTrue(kept, "no emptied file in free/ after a delivery")
        os.chmod(free, 0o500)
        try:
            for i in range(3):
                self.assert_serving("no-free-%d" % i)
            self.assertTrue(s.queue_is_empty(), s.read_log())
            self.assertEqual(sorted(os.listdir(free)), kept)
        finally:
            os.chmod(free, 0o700)
        self.assert_nothing_being_received()
        self.assert_serving("free-restored")
        self.assertTrue(s.queue_is_empty(), s.read_log())
        for i in range(3):
            self.assertEqual(len(s.all_delivered(b"no-free-%d y" % i)), 1)

    def test_an_unwritable_queue_directory_gets_451_and_leaves_no_partial_file(self):
        s = self.start("1m")
        queue = os.path.join(s.spool, "queue")
        os.chmod(queue, 0o500)
        try:
            code, lines = self.send("no-queue", 4 * KIB)
            self.assertEqual(code, 451, lines)
            self.assertTrue(lines[-1].startswith("451 4.3.0 "), lines)
            self.assert_nothing_being_received()
        finally:
            os.chmod(queue, 0o700)
        self.assert_serving("queue-restored")
        self.assertEqual(s.all_delivered(b"no-queue y"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
