"""makemap(8) and newaliases(8) as personalities of smtpctl: the .db file ours writes is read
back by ours (`makemap -U`) and used by `smtpd -n`; OpenSMTPD 6.8's file in the corpus
(tests/conf/files/aliases-db.db) is dumped by ours; `smtpctl makemap` is the same program;
newaliases rebuilds the database of the configuration's `aliases` table.
"""
import os
import subprocess
import tempfile
import unittest

from harness import SMTPD, SMTPCTL

CORPUS_DB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../conf/files/aliases-db.db")


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, **kw)


class MakemapTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.d = self.dir.name
        for name in ("makemap", "newaliases"):
            os.symlink(os.path.abspath(SMTPCTL), os.path.join(self.d, name))

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.d, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def test_aliases_db_is_read_back_and_accepted_by_smtpd_n(self):
        src = self.write("aliases", "Root: bob\nlist: bob, alice@example.com\n")
        r = run([self.path("makemap"), "-t", "aliases", "-o", self.path("aliases.db"), src])
        self.assertEqual(r.returncode, 0, r.stderr)
        dump = run([self.path("makemap"), "-U", self.path("aliases.db")])
        self.assertEqual(sorted(dump.stdout.splitlines()),
                         ["list\tbob, alice@example.com", "root\tbob"])
        conf = self.write("smtpd.conf", "table aliases db:%s\nlisten on localhost\n"
                          "action \"local\" mbox alias <aliases>\n"
                          "match for local action \"local\"\n" % self.path("aliases.db"))
        r = run([SMTPD, "-n", "-f", conf])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_opensmtpd_makemap_file_is_dumped_by_ours(self):
        dump = run([SMTPCTL, "makemap", "-U", CORPUS_DB])
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn("root\tbob", dump.stdout.splitlines())
        self.assertIn("bounces\t\"|/usr/local/bin/handle-bounce\"", dump.stdout.splitlines())

    def test_set_duplicates_and_bad_aliases(self):
        src = self.write("domains", "Example.ORG\nexample.net\n")
        r = run([self.path("makemap"), "-t", "set", src])
        self.assertEqual(r.returncode, 0, r.stderr)
        dump = run([self.path("makemap"), "-U", src + ".db"])
        self.assertEqual(sorted(dump.stdout.splitlines()),
                         ["example.net\t<set>", "example.org\t<set>"])
        dup = self.write("dup", "a b\nA c\n")
        r = run([self.path("makemap"), dup])
        self.assertEqual(r.returncode, 1)
        self.assertIn("dup:2: duplicate entry for a", r.stderr)
        self.assertFalse(os.path.exists(dup + ".db"))
        bad = self.write("bad", "x a,,b\n")
        r = run([self.path("makemap"), "-t", "aliases", bad])
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad:1: invalid entry", r.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "newaliases needs root, as OpenSMTPD's")
    def test_newaliases_rebuilds_the_aliases_table_of_the_config(self):
        src = self.write("aliases", "postmaster: root\n")
        conf = self.write("smtpd.conf", "table aliases db:%s.db\nlisten on localhost\n"
                          "action \"local\" mbox alias <aliases>\n"
                          "match for local action \"local\"\n" % src)
        r = run([self.path("newaliases"), "-f", conf])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "%s: 1 aliases" % src)
        dump = run([self.path("makemap"), "-U", src + ".db"])
        self.assertEqual(dump.stdout.splitlines(), ["postmaster\troot"])


if __name__ == "__main__":
    unittest.main()
