"""The queue's on-disk spool as the integration tests read and plant it (runtime/spool/, issue 15):
queue/<id> is one file per committed message: a 32-byte header, two envelope slots of S bytes
each, the content from offset 32 + 2*S. The current envelope is the valid slot (generation > 0,
its FNV-1a 64 check matching) with the larger generation. Names in queue/ with a '.' are never
messages: <id>.new is being received, <id>.grow is a copy with bigger slots (both removed at
start). All integers little-endian. Depends on: the standard library only.
"""
import os
import struct

MAGIC = b"smtpdq1\n"
HEADER = struct.Struct("<8sIIQQ")  # magic, S, zero, content offset, check
SLOT_HEAD = struct.Struct("<QIIQ")  # generation, L, zero, check
DEFAULT_SLOT_SIZE = 32752  # the content then starts at 65536

_FNV_BASIS = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK = (1 << 64) - 1


def fnv1a64(data):
    """FNV-1a 64 of `data`, the check of the header and of each slot."""
    h = _FNV_BASIS
    for b in data:
        h = ((h ^ b) * _FNV_PRIME) & _MASK
    return h


def _slot_check(generation, length, text):
    return fnv1a64(struct.pack("<QII", generation, length, 0) + text)


def encode_slot(generation, text, slot_size=DEFAULT_SLOT_SIZE):
    """One slot of `slot_size` bytes holding `text` at `generation`, padded with zeros."""
    if len(text) > slot_size - SLOT_HEAD.size:
        raise ValueError("an envelope of %d bytes does not fit a slot of %d"
                         % (len(text), slot_size))
    head = SLOT_HEAD.pack(generation, len(text), 0, _slot_check(generation, len(text), text))
    return (head + text).ljust(slot_size, b"\0")


def encode_header(slot_size=DEFAULT_SLOT_SIZE):
    """The 32-byte file header for slots of `slot_size` bytes."""
    first = struct.pack("<8sIIQ", MAGIC, slot_size, 0, HEADER.size + 2 * slot_size)
    return first + struct.pack("<Q", fnv1a64(first))


def _decode_slot(slot):
    """The envelope text of a valid slot, None for an invalid one."""
    generation, length, _, check = SLOT_HEAD.unpack_from(slot)
    if generation == 0 or length > len(slot) - SLOT_HEAD.size:
        return None
    text = slot[SLOT_HEAD.size:SLOT_HEAD.size + length]
    if check != fnv1a64(slot[:16] + text):
        return None
    return generation, text


def decode_queued(data):
    """(envelope text, content) of the bytes of a queue file; ValueError when it is corrupt."""
    if len(data) < HEADER.size:
        raise ValueError("%d bytes: shorter than the header" % len(data))
    magic, slot_size, _, content, check = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError("bad magic %r" % magic)
    if check != fnv1a64(data[:24]):
        raise ValueError("the header check does not match")
    if slot_size < SLOT_HEAD.size or content != HEADER.size + 2 * slot_size:
        raise ValueError("slot size %d, content offset %d" % (slot_size, content))
    if len(data) < content:
        raise ValueError("%d bytes: truncated before the content at %d" % (len(data), content))
    slots = [_decode_slot(data[HEADER.size + i * slot_size:HEADER.size + (i + 1) * slot_size])
             for i in (0, 1)]
    valid = [s for s in slots if s is not None]
    if not valid:
        raise ValueError("no valid envelope slot")
    return max(valid, key=lambda s: s[0])[1], data[content:]


def read_queued(path):
    """(envelope text, content) of the queue file at `path`; ValueError when it is corrupt."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return decode_queued(data)
    except ValueError as e:
        raise ValueError("%s: %s" % (path, e)) from None


def write_queued(path, envelope_text, content, slot_size=DEFAULT_SLOT_SIZE):
    """Writes a valid queue file (mode 0600): `envelope_text` in slot 0 at generation 1, slot 1
    never written, then `content`, as a committed message for a test to plant."""
    data = (encode_header(slot_size) + encode_slot(1, envelope_text, slot_size)
            + b"\0" * slot_size + content)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "wb") as f:
        f.write(data)


def _names(spool):
    return sorted(os.listdir(os.path.join(spool, "queue")))


def queued_ids(spool):
    """The ids of the committed messages in spool/queue, sorted."""
    return [n for n in _names(spool) if "." not in n]


def queued_envelopes(spool):
    """{message id: envelope text} of every committed message. A file removed meanwhile is
    skipped: gone, or corrupt because it was moved to free/ and emptied while being read."""
    out = {}
    queue = os.path.join(spool, "queue")
    for msgid in queued_ids(spool):
        path = os.path.join(queue, msgid)
        try:
            out[msgid] = read_queued(path)[0]
        except FileNotFoundError:
            pass
        except ValueError:
            if os.path.exists(path):
                raise
    return out


def receiving(spool):
    """The names in spool/queue ending in ".new" that hold more than a header: messages being
    received, or left by a crash. A file of the header alone is one the queue began ahead for
    the next session (runtime/queue/ready_messages.hpp): nothing was received into it."""
    return [n for n in _names(spool) if n.endswith(".new") and not _begun_ahead(spool, n)]


def _begun_ahead(spool, name):
    try:
        with open(os.path.join(spool, "queue", name), "rb") as f:
            data = f.read(HEADER.size + 1)
    except FileNotFoundError:
        return True  # taken or dropped meanwhile: not left behind
    return len(data) == HEADER.size and data.startswith(MAGIC)


def unfinished(spool):
    """Every name in spool/queue that is no message (it has a '.'): .new and .grow files."""
    return [n for n in _names(spool) if "." in n]
