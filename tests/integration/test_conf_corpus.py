"""Our `smtpd -n` on every configuration of the corpus tests/conf/ (valid/, invalid/) against
the verdict recorded in each file's header (OpenSMTPD 6.8's, or the one its `# follows:` line
gives): a valid file exits 0; an invalid one exits non-zero and its first error names the file
and the recorded line. tests/conf/KNOWN_GAPS lists the files where ours disagrees today; the
list may only shrink: a listed file that now agrees fails too, asking for its removal.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

from harness import SMTPD

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../conf"))
import record  # noqa: E402  (tests/conf/record.py: the header format and the corpus listing)

KNOWN_GAPS = os.path.join(record.CONF, "KNOWN_GAPS")


def known_gaps():
    """{corpus path: reason} from KNOWN_GAPS (lines `path  reason`, # comments)."""
    gaps = {}
    with open(KNOWN_GAPS) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                path, _, reason = line.partition(" ")
                gaps[path] = reason.strip()
    return gaps


def ours_disagrees(rel):
    """None when ours gives the recorded verdict on `rel`, else what ours said instead."""
    with open(os.path.join(record.CONF, rel)) as f:
        header = record.parse_header(f.read())
    with tempfile.TemporaryDirectory() as d:
        path = record.instantiate(rel, d)
        r = subprocess.run([SMTPD, "-n", "-f", path], capture_output=True, text=True, timeout=30)
        return judge(header, path, d, r)


def judge(header, path, d, r):
    """None when the result `r` of `smtpd -n -f path` (copy of tests/conf in `d`) is the verdict
    of `header`, else what ours said instead."""
    said = [l for l in r.stderr.splitlines() if l.strip()]
    first = said[0].replace(path, "FILE").replace(d + "/", "") if said else "(nothing)"
    if header["valid"]:
        return None if r.returncode == 0 else "exit %d: %s" % (r.returncode, first)
    if r.returncode == 0:
        return "accepted (exit 0), expected an error at line %d" % header["line"]
    # The error names the copy, or for an error in an included file that file in the copy.
    named = os.path.join(d, header["in"]) if header["in"] else path
    m = re.match(r"^" + re.escape(named) + r":(\d+):", said[0]) if said else None
    if not m or int(m.group(1)) != header["line"]:
        return "expected %s:%d, got: %s" % (header["in"] or "FILE", header["line"], first)
    return None


class ConfCorpusTest(unittest.TestCase):

    def test_known_gaps_name_corpus_files(self):
        files = set(record.corpus_files())
        for path in known_gaps():
            self.assertIn(path, files, "KNOWN_GAPS names %s, which is not in the corpus" % path)

    def test_corpus_is_large_enough(self):
        files = record.corpus_files()
        self.assertGreaterEqual(len([f for f in files if f.startswith("valid/")]), 30)
        self.assertGreaterEqual(len([f for f in files if f.startswith("invalid/")]), 30)

    def test_every_file_gets_its_recorded_verdict(self):
        gaps = known_gaps()
        for rel in record.corpus_files():
            with self.subTest(file=rel):
                wrong = ours_disagrees(rel)
                if rel in gaps:
                    self.assertIsNotNone(wrong, "%s now gets its recorded verdict: remove it from "
                                         "tests/conf/KNOWN_GAPS" % rel)
                else:
                    self.assertIsNone(wrong, "%s: ours disagrees with the recorded verdict (%s); "
                                      "fix the parser (or, if accepted as a gap, list it in "
                                      "tests/conf/KNOWN_GAPS)" % (rel, wrong))


if __name__ == "__main__":
    unittest.main()
