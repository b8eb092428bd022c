"""spool_files.py against the one-file spool format (runtime/spool/, issue 15): what write_queued
plants reads back, the check of the header and of each slot is FNV-1a 64, the valid slot with the
larger generation is the current envelope, a damaged slot falls back to the other one, and a file
without a valid header or slot is refused. The daemon's own files are read through the same code
by the tests that inspect its queue. No daemon runs here. Depends on: spool_files.py.
"""
import os
import stat
import struct
import tempfile
import unittest
from unittest import mock

import spool_files as sf

ENVELOPE = b"version 1\nid 00000000feedface\ncreated 1\nrcpt b@localhost\nattempts 0\n"
CONTENT = b"Received: from c.example\r\nSubject: t\r\n\r\nbody\r\n"
S = sf.DEFAULT_SLOT_SIZE


class Fnv1a64(unittest.TestCase):
    def test_the_published_vectors(self):
        self.assertEqual(sf.fnv1a64(b""), 0xCBF29CE484222325)
        self.assertEqual(sf.fnv1a64(b"a"), 0xAF63DC4C8601EC8C)
        self.assertEqual(sf.fnv1a64(b"foobar"), 0x85944171F73967E8)


class QueueFile(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        self.path = os.path.join(d.name, "00000000feedface")

    def data(self):
        with open(self.path, "rb") as f:
            return bytearray(f.read())

    def rewrite(self, data):
        with open(self.path, "wb") as f:
            f.write(data)

    def put_slot(self, index, generation, text, slot_size=S):
        data = self.data()
        at = 32 + index * slot_size
        data[at:at + slot_size] = sf.encode_slot(generation, text, slot_size)
        self.rewrite(data)

    def flip(self, offset):
        data = self.data()
        data[offset] ^= 0x01
        self.rewrite(data)

    def test_a_written_file_reads_back_with_its_content_at_65536(self):
        sf.write_queued(self.path, ENVELOPE, CONTENT)
        self.assertEqual(sf.read_queued(self.path), (ENVELOPE, CONTENT))
        data = self.data()
        self.assertEqual(data[:8], b"smtpdq1\n")
        self.assertEqual(struct.unpack_from("<IIQ", data, 8), (S, 0, 65536))
        self.assertEqual(bytes(data[65536:]), CONTENT)
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)

    def test_a_bigger_slot_moves_the_content(self):
        big = ENVELOPE + b"rcpt x@localhost\n" * 3000
        sf.write_queued(self.path, big, CONTENT, slot_size=65536)
        self.assertEqual(sf.read_queued(self.path), (big, CONTENT))
        self.assertEqual(bytes(self.data()[32 + 2 * 65536:]), CONTENT)

    def test_an_envelope_larger_than_its_slot_is_refused(self):
        with self.assertRaises(ValueError):
            sf.write_queued(self.path, b"x" * (S - 23), CONTENT)
        sf.write_queued(self.path, b"x" * (S - 24), CONTENT)
        self.assertEqual(sf.read_queued(self.path)[0], b"x" * (S - 24))

    def test_the_slot_with_the_larger_generation_is_current(self):
        sf.write_queued(self.path, ENVELOPE, CONTENT)
        self.put_slot(1, 2, b"second")
        self.assertEqual(sf.read_queued(self.path), (b"second", CONTENT))
        self.put_slot(0, 3, b"third")
        self.assertEqual(sf.read_queued(self.path), (b"third", CONTENT))

    def test_a_flipped_byte_in_the_newer_slot_falls_back_to_the_older(self):
        sf.write_queued(self.path, ENVELOPE, CONTENT)
        self.put_slot(1, 2, b"second")
        self.flip(32 + S + 24 + 3)  # in slot 1's text
        self.assertEqual(sf.read_queued(self.path), (ENVELOPE, CONTENT))
        self.put_slot(1, 2, b"second")
        self.flip(32 + S + 8)  # slot 1's length
        self.assertEqual(sf.read_queued(self.path), (ENVELOPE, CONTENT))

    def test_a_file_without_a_valid_slot_is_corrupt(self):
        sf.write_queued(self.path, ENVELOPE, CONTENT)
        self.flip(32 + 24)  # slot 0's text; slot 1 was never written
        with self.assertRaisesRegex(ValueError, "no valid envelope slot"):
            sf.read_queued(self.path)
        sf.write_queued(self.path, ENVELOPE, CONTENT)
        data = self.data()
        data[32:40] = bytes(8)  # generation 0: never written, whatever the check says
        self.rewrite(data)
        with self.assertRaises(ValueError):
            sf.read_queued(self.path)

    def test_a_length_past_the_slot_is_invalid(self):
        sf.write_queued(self.path, b"tiny", CONTENT, slot_size=64)
        data = self.data()
        head = struct.pack("<QII", 1, 41, 0)  # 41 > 64 - 24
        data[32:56] = head + struct.pack("<Q", sf.fnv1a64(head + bytes(data[56:96])))
        self.rewrite(data)
        with self.assertRaises(ValueError):
            sf.read_queued(self.path)

    def test_a_damaged_header_is_refused(self):
        for offset in (0, 8, 12, 16, 24):
            sf.write_queued(self.path, ENVELOPE, CONTENT)
            self.flip(offset)
            with self.assertRaises(ValueError, msg="byte %d" % offset):
                sf.read_queued(self.path)
        # consistent checks, wrong values
        first = struct.pack("<8sIIQ", b"smtpdq2\n", S, 0, 32 + 2 * S)
        self.rewrite(first + struct.pack("<Q", sf.fnv1a64(first)))
        with self.assertRaisesRegex(ValueError, "magic"):
            sf.read_queued(self.path)
        first = struct.pack("<8sIIQ", sf.MAGIC, S, 0, 65535)
        self.rewrite(first + struct.pack("<Q", sf.fnv1a64(first)))
        with self.assertRaisesRegex(ValueError, "content offset"):
            sf.read_queued(self.path)

    def test_a_short_or_empty_file_is_corrupt(self):
        sf.write_queued(self.path, ENVELOPE, b"")
        self.assertEqual(sf.read_queued(self.path), (ENVELOPE, b""))
        self.rewrite(self.data()[:65535])
        with self.assertRaisesRegex(ValueError, "truncated"):
            sf.read_queued(self.path)
        self.rewrite(b"")
        with self.assertRaises(ValueError):
            sf.read_queued(self.path)


class SpoolNames(unittest.TestCase):
    def setUp(self):
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        self.spool = d.name
        self.queue = os.path.join(self.spool, "queue")
        os.mkdir(self.queue)
        sf.write_queued(os.path.join(self.queue, "0000000000000001"), ENVELOPE, CONTENT)
        for name in ("0000000000000002.new", "0000000000000003.grow"):
            with open(os.path.join(self.queue, name), "wb") as f:
                f.write(b"partial")

    def test_only_names_without_a_dot_are_messages(self):
        self.assertEqual(sf.queued_ids(self.spool), ["0000000000000001"])
        self.assertEqual(sf.queued_envelopes(self.spool), {"0000000000000001": ENVELOPE})
        self.assertEqual(sf.receiving(self.spool), ["0000000000000002.new"])
        self.assertEqual(sf.unfinished(self.spool),
                         ["0000000000000002.new", "0000000000000003.grow"])

    def test_a_file_begun_ahead_holds_only_a_header_and_is_not_being_received(self):
        with open(os.path.join(self.queue, "0000000000000004.new"), "wb") as f:
            f.write(sf.encode_header())
        self.assertEqual(sf.receiving(self.spool), ["0000000000000002.new"])
        with open(os.path.join(self.queue, "0000000000000004.new"), "ab") as f:
            f.write(b"R")  # one octet received: it is
        self.assertEqual(sf.receiving(self.spool),
                         ["0000000000000002.new", "0000000000000004.new"])

    def test_a_file_gone_since_the_listing_is_skipped_and_a_corrupt_one_raises(self):
        listed = ["0000000000000001", "00000000000000ff"]
        with mock.patch.object(sf, "queued_ids", return_value=listed):
            self.assertEqual(sf.queued_envelopes(self.spool), {"0000000000000001": ENVELOPE})
        with open(os.path.join(self.queue, "0000000000000004"), "wb") as f:
            f.write(b"not a queue file")
        with self.assertRaisesRegex(ValueError, "0000000000000004"):
            sf.queued_envelopes(self.spool)


if __name__ == "__main__":
    unittest.main(verbosity=2)
