"""The delivery methods end to end, through the real daemon: messages sent with smtplib and
delivered to an mbox file named by an alias, piped into mda commands (whose format specifiers must
never let an address run a command), handed to a real Dovecot over LMTP, fanned out by an alias to
a file and a user, and, when a recipient fails for good, reported to a local sender with an
RFC 3464 notice (never to the null sender).

Run as root, deliveries run as the recipient's user (here root, or _smtpd for the files of the
alias table); run as a normal user (as_normal_user.sh), everything runs as that user. Either way
the recipient user is the one running the tests and every directory is made by it, 0755 (0777
where an alias table's file is created, since that runs as the unprivileged user).
"""
import email
import email.policy
import os
import pwd
import re
import smtplib
import time
import unittest

import harness
import dovecot
import spool_files

USER = pwd.getpwuid(os.getuid()).pw_name
ESCAPED = "!#$%&'*?^`{|}~"  # smtpd.conf(5): each becomes ':' unless the "raw" modifier is given


def wait_for(predicate, timeout=20, step=0.05):
    """Polls predicate() until it returns something true; returns that, or None at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)


def escaped(value):
    return "".join(":" if c in ESCAPED else c for c in value)


class DeliverySmtpd(harness.Smtpd):
    """Our smtpd with one action per delivery method, chosen by the recipient's domain:

    localhost       alias table (files, users, fan-out), else the user's Maildir
    mda.test        mda "cd <dir>/mda && cat > out-%{rcpt.user}.txt"
    raw.test        the same with %{rcpt.user:raw}, file raw-<user>.txt
    dest.test       mda writing dest-%{dest.user}-rcpt-%{rcpt.user}.txt
    temp.test       mda exiting 75 (EX_TEMPFAIL)
    fail.test       mda exiting 67 (EX_NOUSER)
    lmtp.test       lmtp to the Dovecot unix socket, RCPT TO the user name
    lmtptcp.test    lmtp to Dovecot on 127.0.0.1:<port>, rcpt-to (the original address)
    """

    CONFIG = """\
table vusers {{ "@" = "{user}" }}
table aliases file:{dir}/aliases
table lmtpusers {{ "@" = "alice" }}
table lmtpbase {{ alice = "{uid}:{gid}:{dir}/alice" }}
listen on 127.0.0.1 port {port}
action "local" maildir "{maildir}" alias <aliases>
action "mda" mda "cd {mda} && cat > out-%{{rcpt.user}}.txt" virtual <vusers>
action "raw" mda "cd {mda} && cat > raw-%{{rcpt.user:raw}}.txt" virtual <vusers>
action "dest" mda "cd {mda} && cat > dest-%{{dest.user}}-rcpt-%{{rcpt.user}}.txt" virtual <vusers>
action "temp" mda "cat >/dev/null; echo mailbox busy; exit 75" virtual <vusers>
action "fail" mda "cat >/dev/null; echo no such mailbox here; exit 67" virtual <vusers>
action "lmtp" lmtp "{lmtp_socket}" virtual <lmtpusers> userbase <lmtpbase>
action "lmtptcp" lmtp "{lmtp_tcp}" rcpt-to virtual <lmtpusers> userbase <lmtpbase>
match from any for domain "mda.test" action "mda"
match from any for domain "raw.test" action "raw"
match from any for domain "dest.test" action "dest"
match from any for domain "temp.test" action "temp"
match from any for domain "fail.test" action "fail"
match from any for domain "lmtp.test" action "lmtp"
match from any for domain "lmtptcp.test" action "lmtptcp"
match from any for local action "local"
"""

    def __init__(self, lmtp_socket="/nonexistent/lmtp", lmtp_tcp="127.0.0.1:9"):
        super().__init__()
        self.lmtp_socket = lmtp_socket
        self.lmtp_tcp = lmtp_tcp
        self.mbox_dir = os.path.join(self.dir, "mbox")
        self.mda_dir = os.path.join(self.dir, "mda")
        os.makedirs(self.mbox_dir)
        os.chmod(self.mbox_dir, 0o777)  # the files of an alias table are written as _smtpd
        os.makedirs(self.mda_dir)
        os.chmod(self.mda_dir, 0o755)
        os.makedirs(os.path.join(self.dir, "alice"))
        self.aliases = {
            "box": self.mbox("box"),
            "second": self.mbox("second"),
            "nullbox": self.mbox("nullbox"),
            "fan": "%s, %s" % (self.mbox("fan"), USER),
            "sender": USER,
            "redir": "target@dest.test",
        }

    def mbox(self, name):
        return os.path.join(self.mbox_dir, name + ".mbox")

    def prepare(self):
        if not os.access(self.binary, os.X_OK):
            raise harness.refservers.StartError("no smtpd binary at %s" % self.binary)
        with open(os.path.join(self.dir, "aliases"), "w") as f:
            for key, value in self.aliases.items():
                f.write("%s: %s\n" % (key, value))
        os.chmod(os.path.join(self.dir, "aliases"), 0o644)
        with open(self.config, "w") as f:
            f.write(self.CONFIG.format(maildir=self.maildir, port=self.port, user=USER,
                                       dir=self.dir, uid=os.getuid(), gid=os.getgid(),
                                       mda=self.mda_dir, lmtp_socket=self.lmtp_socket,
                                       lmtp_tcp=self.lmtp_tcp))

    def queued(self):
        return spool_files.queued_ids(self.spool)


class DeliveryTestCase(unittest.TestCase):
    DOVECOT = False
    SMTPD = None  # the DeliverySmtpd class to run; DeliverySmtpd when None

    @classmethod
    def setUpClass(cls):
        cls.dovecot = None
        kwargs = {}
        if cls.DOVECOT:
            if not dovecot.available():
                raise unittest.SkipTest("no Dovecot (dovecot-core, dovecot-lmtpd)")
            cls.dovecot = dovecot.Dovecot(users=["alice"])
            kwargs = {"lmtp_socket": cls.dovecot.socket_path, "lmtp_tcp": cls.dovecot.tcp}
        # binary briefly missing while someone rebuilds it: retry a little
        for attempt in range(30):
            if os.access(harness.SMTPD, os.X_OK) or attempt == 29:
                break
            time.sleep(1)
        cls.smtpd = (cls.SMTPD or DeliverySmtpd)(**kwargs)
        try:
            cls.smtpd.start()
        except Exception:
            cls.smtpd.cleanup()
            if cls.dovecot:
                cls.dovecot.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()
        if cls.dovecot:
            cls.dovecot.cleanup()

    def send(self, sender, recipients, message):
        c = smtplib.SMTP("127.0.0.1", self.smtpd.port, local_hostname="client.example",
                         timeout=15)
        try:
            refused = c.sendmail(sender, recipients, message)
            c.quit()
        finally:
            c.close()
        self.assertEqual(refused, {})

    def log(self):
        return self.smtpd.read_log()

    def wait_log(self, pattern, timeout=20):
        """Waits for a log line matching the regular expression; returns the match."""
        rx = re.compile(pattern, re.M)
        found = wait_for(lambda: rx.search(self.log()), timeout)
        if not found:
            self.fail("no log line matching %r in 20s; log:\n%s" % (pattern, self.log()))
        return found

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def wait_log_count(self, pattern, count, timeout=20):
        """Waits (bounded) until at least `count` log lines match; returns how many do."""
        def matches():
            return len(re.findall(pattern, self.log(), re.M))
        wait_for(lambda: matches() >= count, timeout)
        return matches()

    def wait_file(self, path, predicate=lambda data: bool(data), timeout=20):
        def ready():
            try:
                data = self.read(path)
            except OSError:
                return None
            return data if predicate(data) else None
        data = wait_for(ready, timeout)
        if data is None:
            self.fail("%s not written as expected within %ds; log:\n%s"
                      % (path, timeout, self.log()))
        return data

    def assertQueueDrains(self):
        if not self.smtpd.queue_is_empty(timeout=20):
            self.fail("queue still holds %s; log:\n%s" % (self.smtpd.queued(), self.log()))


FROM_LINE = re.compile(rb"^From (\S+) [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$")


class Mbox(DeliveryTestCase):
    """An alias value "/file" appends to that file in mbox format."""

    def test_alias_file_gets_an_mbox_message(self):
        body = (b"From: s@localhost\r\nTo: box@localhost\r\nSubject: mbox-one\r\n\r\n"
                b"first line\r\nFrom me to you\r\n>From already quoted\r\nFromage\r\nlast")
        self.send("s@localhost", ["box@localhost"], body)
        # The file grows while the delivery writes it: read it once the queue is empty (the
        # recipient leaves the envelope only after its delivery ended).
        self.assertQueueDrains()
        data = self.read(self.smtpd.mbox("box"))
        self.wait_log(r"evpid=\w+ from=<[^>]*> to=<box@localhost> .* result=Ok")
        lines = data.split(b"\n")
        self.assertRegex(lines[0], FROM_LINE, data)
        self.assertEqual(FROM_LINE.match(lines[0]).group(1), b"s@localhost")
        self.assertEqual(lines[1], b"Return-Path: <s@localhost>")
        self.assertEqual(lines[2], b"Delivered-To: box@localhost")
        m = harness.RECEIVED.match(b"\n".join(lines[3:]))
        self.assertTrue(m, data)
        rest = b"\n".join(lines[3:])[m.end():]
        self.assertNotIn(b"\r", data)
        # mboxo quoting: "From " at a line start gets a '>', nothing else is touched.
        self.assertEqual(rest, b"From: s@localhost\nTo: box@localhost\nSubject: mbox-one\n\n"
                               b"first line\n>From me to you\n>From already quoted\nFromage\n"
                               b"last\n\n")
        self.assertQueueDrains()

    def test_null_sender_from_line(self):
        self.send("<>", ["nullbox@localhost"], b"Subject: mbox-null\r\n\r\nx\r\n")
        self.assertQueueDrains()
        data = self.read(self.smtpd.mbox("nullbox"))
        first, return_path = data.split(b"\n")[:2]
        self.assertEqual(FROM_LINE.match(first).group(1), b"MAILER-DAEMON", data)
        self.assertEqual(return_path, b"Return-Path: <>")
        self.assertQueueDrains()

    def test_two_messages_append(self):
        for n in (1, 2):
            self.send("s@localhost", ["second@localhost"],
                      b"Subject: mbox-append-%d\r\n\r\nbody %d\r\n" % (n, n))
            self.assertQueueDrains()
        data = self.read(self.smtpd.mbox("second"))
        starts = [line for line in data.split(b"\n") if line.startswith(b"From ")]
        self.assertEqual(len(starts), 2, data)
        first, second = data.split(b"\n\nFrom ", 1)
        self.assertIn(b"mbox-append-1", first)
        self.assertIn(b"mbox-append-2", second)
        self.assertTrue(first.endswith(b"body 1"), data)
        self.assertTrue(data.endswith(b"body 2\n\n"), data)
        self.assertQueueDrains()


class Mda(DeliveryTestCase):
    """mda commands: their output file, format specifiers as single shell words, exit codes."""

    def out(self, name):
        return os.path.join(self.smtpd.mda_dir, name)

    def test_message_is_piped_into_the_command(self):
        body = b"Subject: mda-plain\r\n\r\nline 1\r\n..dot\r\nFrom me\r\n"
        self.send("s@localhost", ["bob@mda.test"], body)
        data = self.wait_file(self.out("out-bob.txt"), lambda d: d.endswith(b"From me\n"))
        self.wait_log(r"evpid=\w+ from=<[^>]*> to=<bob@mda.test> .* result=Ok")
        return_path, delivered_to, received, rest = harness.split_delivered(data)
        self.assertEqual(return_path, b"Return-Path: <s@localhost>")
        self.assertEqual(delivered_to, b"Delivered-To: bob@mda.test")
        # smtplib stuffed "..dot" to "...dot"; the command gets it back unstuffed, unquoted.
        self.assertEqual(rest, b"Subject: mda-plain\n\nline 1\n..dot\nFrom me\n")
        self.assertQueueDrains()

    def check_no_injection(self, local, prefix, expected_name):
        """Sends to local@<domain>; the mda must deliver to the literal file or fail, and the
        command hidden in the address must never run (it would create a "pwned" file)."""
        domain = "raw.test" if prefix == "raw" else "mda.test"
        address = "%s@%s" % (local, domain)
        marker = b"mda-injection " + local.encode()
        self.send("s@localhost", [address], b"Subject: x\r\n\r\n" + marker + b"\r\n")
        result = self.wait_log(r"to=<%s> .* result=(Ok|PermFail)" % re.escape(address))
        time.sleep(0.2)
        stray = [n for n in os.listdir(self.smtpd.mda_dir) if n.startswith("pwned")]
        self.assertEqual(stray, [], "a command in the address ran; log:\n" + self.log())
        if result.group(1) == "Ok":
            data = self.read(self.out(expected_name))
            self.assertIn(marker, data)
        self.assertQueueDrains()
        return result.group(1)

    def test_backquotes_in_the_address_are_not_run(self):
        local = "x`touch${IFS}pwned1`y"
        self.assertEqual(self.check_no_injection(local, "out", "out-%s.txt" % escaped(local)),
                         "Ok")

    def test_pipe_and_dollar_in_the_address_are_not_run(self):
        for n, local in enumerate(("a|touch${IFS}pwned2", "$HOME", "a&touch${IFS}pwned3&b")):
            with self.subTest(local=local):
                self.assertEqual(
                    self.check_no_injection(local, "out", "out-%s.txt" % escaped(local)), "Ok")

    def test_raw_values_are_still_one_shell_word(self):
        for local in ("x'`touch${IFS}pwned4`'y", "a'|touch${IFS}pwned5|'b",
                      "'&touch${IFS}pwned6&'"):
            with self.subTest(local=local):
                self.assertEqual(self.check_no_injection(local, "raw", "raw-%s.txt" % local),
                                 "Ok")

    def test_quoted_local_part_is_one_shell_word(self):
        # A quoted-string local part may hold spaces, ';' and '(': still one quoted word.
        local = '"a;touch pwned7;$(touch pwned8) b"'
        address = local + "@mda.test"
        c = smtplib.SMTP("127.0.0.1", self.smtpd.port, timeout=15)
        try:
            c.ehlo("client.example")
            c.mail("s@localhost")
            # RFC 5321 §4.1.2: a Quoted-string local part is valid and this one is ours: it
            # must be accepted (a refusal here would be a regression, not a way out).
            code, text = c.rcpt(address)
            self.assertEqual(code, 250, text)
            c.data(b"Subject: x\r\n\r\nquoted-local\r\n")
            c.quit()
        finally:
            c.close()
        self.wait_log(r"to=<%s> .* result=Ok" % re.escape(address))
        time.sleep(0.2)
        stray = [n for n in os.listdir(self.smtpd.mda_dir) if n.startswith("pwned")]
        self.assertEqual(stray, [], "a command in the address ran; log:\n" + self.log())
        # rcpt.user keeps the quotes; '$' is escaped to ':'
        data = self.read(self.out("out-%s.txt" % escaped(local)))
        self.assertIn(b"quoted-local", data)
        self.assertQueueDrains()

    def test_dest_is_the_address_after_alias_expansion(self):
        # smtpd.conf(5): "dest  the recipient address after alias and virtual expansion". The
        # alias "redir" names the address target@dest.test, whose action is the mda: rcpt.user
        # is "redir", dest.user must be "target".
        self.send("s@localhost", ["redir@localhost"], b"Subject: x\r\n\r\nmda-dest\r\n")
        self.wait_log(r"to=<redir@localhost> .* result=\w+")
        self.assertQueueDrains()
        made = sorted(n for n in os.listdir(self.smtpd.mda_dir) if n.startswith("dest-"))
        self.assertEqual(made, ["dest-target-rcpt-redir.txt"], self.log())

    def test_exit_67_is_a_permanent_failure(self):
        self.send("<>", ["gone@fail.test"], b"Subject: mda-67\r\n\r\nx\r\n")
        m = self.wait_log(r"to=<gone@fail.test> .* result=PermFail stat=(.*)$")
        self.assertTrue(m.group(1).startswith("5.1.1 mda exited 67 (user unknown)"), m.group(1))
        self.assertIn("no such mailbox here", m.group(1))
        self.assertQueueDrains()


class MdaTempFail(DeliveryTestCase):
    """An mda exiting 75 leaves the message queued, to be retried."""

    def test_exit_75_leaves_the_message_queued(self):
        self.send("s@localhost", ["later@temp.test"], b"Subject: mda-75\r\n\r\nx\r\n")
        m = self.wait_log(r"evpid=(\w+) from=<[^>]*> to=<later@temp.test> .* "
                          r"result=TempFail attempt=1 stat=(.*)$")
        self.assertIn("exited 75", m.group(2))
        self.assertIn("mailbox busy", m.group(2))
        self.assertEqual(self.smtpd.queued(), [m.group(1)], self.log())
        self.assertNotIn("PermFail", self.log())
        self.assertNotIn("notice sent", self.log())
        # not retried at once (the first retry is a minute later)
        time.sleep(1)
        self.assertEqual(self.smtpd.queued(), [m.group(1)])
        self.assertNotIn("attempt=2", self.log())


class MdaTempFailOfOneRecipient(DeliveryTestCase):
    """A recipient that fails for now does not hold up the others of the same message."""

    def test_the_other_recipients_are_delivered_and_only_the_deferred_one_stays(self):
        self.send("s@localhost", ["later@temp.test", "bob@mda.test"],
                  b"Subject: mixed\r\n\r\nmixed-recipients\r\n")
        m = self.wait_log(r"evpid=(\w+) from=<[^>]*> to=<bob@mda.test> .* result=Ok")
        self.wait_file(os.path.join(self.smtpd.mda_dir, "out-bob.txt"),
                       lambda data: b"mixed-recipients" in data)
        self.wait_log(r"to=<later@temp.test> .* result=TempFail attempt=1")
        self.assertEqual(self.smtpd.queued(), [m.group(1)], self.log())
        # The queue rewrites the envelope after both results are in: wait for that state (the
        # log lines come from other processes and say nothing about when it is on disk).
        path = os.path.join(self.smtpd.spool, "queue", m.group(1))

        def envelope_text():
            try:
                return spool_files.read_queued(path)[0].decode()
            except OSError:
                return None

        def envelope_lines():
            text = envelope_text()
            if text is None:
                return None
            lines = text.splitlines()
            rcpts = [line.split()[1] for line in lines if line.startswith("rcpt ")]
            return lines if rcpts == ["later@temp.test"] else None

        lines = wait_for(envelope_lines)
        self.assertIsNotNone(lines, "the envelope still lists other recipients: %s\nlog:\n%s"
                             % (envelope_text() or "(gone)",
                                self.log()))
        # the envelope names the listener the message came in on
        self.assertIn("listener 127.0.0.1:%d" % self.smtpd.port, lines)


class Lmtp(DeliveryTestCase):
    """lmtp actions handing the message to a real Dovecot."""

    DOVECOT = True

    def wait_dovecot(self, marker):
        found = wait_for(lambda: [m for m in self.dovecot.delivered("alice") if marker in m])
        if not found:
            self.fail("nothing with %r in Dovecot's Maildir; smtpd log:\n%s\ndovecot log:\n%s"
                      % (marker, self.log(), self.dovecot.log()))
        self.assertEqual(len(found), 1)
        return found[0]

    def test_unix_socket(self):
        body = b"Subject: lmtp-unix\r\n\r\nover the socket\r\n.leading dot\r\n"
        self.send("s@localhost", ["anyone@lmtp.test"], body)
        got = self.wait_dovecot(b"lmtp-unix")
        self.wait_log(r"to=<anyone@lmtp.test> user=alice .* result=Ok")
        self.assertIn(b"Return-Path: <s@localhost>", got)
        self.assertIn(b"Delivered-To: alice", got)
        self.assertIn(b"\nover the socket\n.leading dot\n", got.replace(b"\r\n", b"\n"))
        self.assertQueueDrains()

    def test_tcp_with_rcpt_to(self):
        self.send("s@localhost", ["alice@lmtptcp.test"], b"Subject: lmtp-tcp\r\n\r\nx\r\n")
        got = self.wait_dovecot(b"lmtp-tcp")
        self.wait_log(r"to=<alice@lmtptcp.test> user=alice .* result=Ok")
        self.assertIn(b"Return-Path: <s@localhost>", got)
        self.assertIn(b"Delivered-To: alice@lmtptcp.test", got)
        self.assertQueueDrains()

    def test_rcpt_to_sends_the_original_address(self):
        # Without rcpt-to Dovecot would get "alice" and deliver; with it, it gets the address,
        # which it does not know: a permanent failure carrying Dovecot's reply.
        self.send("s@localhost", ["bob@lmtptcp.test"], b"Subject: lmtp-unknown\r\n\r\nx\r\n")
        m = self.wait_log(r"to=<bob@lmtptcp.test> user=alice .* "
                          r"result=PermFail stat=(.*)$")
        self.assertRegex(m.group(1), r"^55\d 5\.1\.1 <bob@lmtptcp.test>")
        self.assertEqual([x for x in self.dovecot.delivered("alice") if b"lmtp-unknown" in x], [])
        self.assertQueueDrains()

    def test_the_notice_of_an_lmtp_refusal_carries_its_status(self):
        self.send("sender@localhost", ["bob@lmtptcp.test"],
                  b"Subject: lmtp-status\r\n\r\nlmtp-status-notice\r\n")
        notice = self.smtpd.find_delivered(b"Final-Recipient: rfc822; bob@lmtptcp.test")
        self.assertIn(b"Status: 5.1.1", notice)
        self.assertIn(b"Action: failed", notice)


class FanOut(DeliveryTestCase):
    """One alias, two values: a file and a user; both get the message."""

    def test_alias_to_a_file_and_a_user(self):
        self.send("s@localhost", ["fan@localhost"], b"Subject: fan-out\r\n\r\nboth\r\n")
        data = self.wait_file(self.smtpd.mbox("fan"), lambda d: b"fan-out" in d)
        self.assertRegex(data.split(b"\n", 1)[0], FROM_LINE)
        maildir = self.smtpd.find_delivered(b"fan-out")
        return_path, delivered_to, _, rest = harness.split_delivered(maildir)
        self.assertEqual(return_path, b"Return-Path: <s@localhost>")
        self.assertEqual(delivered_to, b"Delivered-To: fan@localhost")
        self.assertEqual(rest, b"Subject: fan-out\n\nboth\n")
        self.assertQueueDrains()
        # Each delivery logs its result from another process, after its file is written: wait
        # (bounded) for both lines, then check there are exactly two.
        self.assertEqual(self.wait_log_count(r"to=<fan@localhost> .* result=Ok", 2), 2, self.log())


def split_notice(raw):
    """A delivered notice: (return_path, delivered_to, message). A notice is made here, so it has
    no Received header."""
    return_path, delivered_to, rest = raw.split(b"\n", 2)
    return return_path, delivered_to, email.message_from_bytes(rest, policy=email.policy.compat32)


class Bounce(DeliveryTestCase):
    """A permanent failure is reported to a local sender, never to the null sender."""

    def test_failure_notice_to_a_local_sender(self):
        original = (b"From: sender@localhost\r\nTo: gone@fail.test\r\nSubject: doomed-message\r\n"
                    b"Message-ID: <doomed@client.example>\r\n\r\nplease bounce me\r\n")
        self.send("sender@localhost", ["gone@fail.test"], original)
        m = self.wait_log(r"evpid=(\w+) from=<[^>]*> to=<gone@fail.test> .* result=PermFail")
        self.wait_log(r"queue: msgid=%s failure notice sent to <sender@localhost>" % m.group(1))
        raw = self.smtpd.find_delivered(b"doomed-message")
        return_path, delivered_to, msg = split_notice(raw)
        self.assertEqual(return_path, b"Return-Path: <>")
        self.assertEqual(delivered_to, b"Delivered-To: sender@localhost")
        self.assertRegex(msg["From"], r"<MAILER-DAEMON@[^>]+>")
        self.assertEqual(msg["To"], "<sender@localhost>")
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        self.assertEqual(msg["Auto-Submitted"], "auto-replied")
        parts = msg.get_payload()
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/delivery-status", "message/rfc822"])
        self.assertIn("gone@fail.test", parts[0].get_payload())
        groups = parts[1].get_payload()  # the per-message group, then one per recipient
        self.assertEqual(len(groups), 2, parts[1].as_string())
        self.assertTrue(groups[0]["Reporting-MTA"].startswith("dns; "))
        self.assertIsNotNone(groups[0]["Arrival-Date"])
        rcpt = groups[1]
        self.assertEqual(rcpt["Final-Recipient"], "rfc822; gone@fail.test")
        self.assertEqual(rcpt["Action"], "failed")
        # sysexits EX_NOUSER (67) is RFC 3463's 5.1.1, bad destination mailbox address
        self.assertEqual(rcpt["Status"], "5.1.1")
        self.assertIn("exited 67 (user unknown)", rcpt["Diagnostic-Code"])
        returned = parts[2].get_payload()[0]
        self.assertEqual(returned["Subject"], "doomed-message")
        self.assertEqual(returned["Message-ID"], "<doomed@client.example>")
        self.assertIn("please bounce me", returned.get_payload())
        self.assertQueueDrains()

    def test_no_notice_for_the_null_sender(self):
        self.send("<>", ["nonotice@fail.test"],
                  b"Subject: null-sender-fails\r\n\r\nno notice for me\r\n")
        m = self.wait_log(r"evpid=(\w+) from=<[^>]*> to=<nonotice@fail.test> .* result=PermFail")
        msgid = m.group(1)
        self.assertQueueDrains()
        time.sleep(1)
        log = self.log()
        self.assertNotRegex(log, r"msgid=%s \w+ notice" % msgid)
        self.assertNotIn("notice sent to <>", log)
        self.assertNotIn(b"null-sender-fails",
                         b"".join(m for m in self.smtpd.all_delivered(b"MAILER-DAEMON")))
        self.assertEqual(self.smtpd.all_delivered(b"null-sender-fails"), [], log)
        self.assertEqual(self.smtpd.queued(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
