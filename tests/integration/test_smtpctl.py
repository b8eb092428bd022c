"""smtpctl(8) against a real daemon on its control socket: show queue (empty, and listing a
message an mda keeps deferring, in OpenSMTPD's envelope layout), pause/resume mda, schedule and
remove by msgid, evpid or all (test_smtpctl_queue.py), stop, the mailq name, usage and
connection errors; the control role survives garbage, truncated frames, frames of another
type and oversized requests from a client; and, run as root, a client of another uid (nobody)
gets "permission denied" and cannot stop the daemon.

Every test starts its own daemon (pause and stop change its state). Run as a normal user
(as_normal_user.sh) the daemon runs as that user, and that user is the one allowed.
"""
import os
import re
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import harness
import test_delivery_methods as methods

ROOT = os.geteuid() == 0
MESSAGES_HPP = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "../../runtime/ipc/messages.hpp")


def ipc_vocabulary():
    """(kIpcVersion, {MsgType name: wire number}, {ControlVerb name: wire value}) read from
    runtime/ipc/messages.hpp, so that the raw frames below follow a version bump."""
    with open(MESSAGES_HPP) as f:
        text = f.read()
    version = int(re.search(r"kIpcVersion = (\d+);", text).group(1))
    body = re.search(r"enum class MsgType : std::uint16_t \{(.*?)\};", text, re.S).group(1)
    names = re.findall(r"(\w+)(?: = 1)?,", body)
    verbs = re.findall(r"(\w+),?",
                       re.search(r"enum class ControlVerb : std::uint8_t \{(.*?)\};", text,
                                 re.S).group(1))
    return (version, {name: i + 1 for i, name in enumerate(names)},
            {name: i for i, name in enumerate(verbs)})


IPC_VERSION, MSG_TYPES, VERBS = ipc_vocabulary()
# The fields of a show queue line (smtpctl.8), OpenSMTPD's.
FIELDS = ("evpid", "family", "agent", "flags", "sender", "rcpt", "dest", "created", "expires",
          "last_try", "attempts", "runstate", "seconds", "error")


def envelope_fields(line):
    """A show queue line as a dict of FIELDS; asserts it has exactly those."""
    values = line.split("|")
    assert len(values) == len(FIELDS), line
    return dict(zip(FIELDS, values))


def frame(type_name, body=b"", version=None, flags=0):
    """One IPC frame (docs/arch/ipc.md): u32 length, u16 version, u16 type, u16 flags, body."""
    return struct.pack("<IHHH", 10 + len(body), IPC_VERSION if version is None else version,
                       MSG_TYPES[type_name], flags) + body


def ipc_string(value):
    return struct.pack("<I", len(value)) + value


def control_request(verb, args=(), request_id=1):
    body = struct.pack("<QB", request_id, VERBS[verb]) + struct.pack("<I", len(args))
    for a in args:
        body += ipc_string(a)
    return frame("ControlRequest", body)


def read_control_reply(sock):
    """Reads one ControlReply frame; returns (id, ok, [lines])."""
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise EOFError("closed after %r" % data)
            data += chunk
        return data
    length, version, type_, flags = struct.unpack("<IHHH", exactly(10))
    assert (version, type_, flags) == (IPC_VERSION, MSG_TYPES["ControlReply"], 0), \
        (version, type_, flags)
    body = exactly(length - 10)
    request_id, ok, count = struct.unpack_from("<QBI", body)
    offset, lines = 13, []
    for _ in range(count):
        (size,) = struct.unpack_from("<I", body, offset)
        lines.append(body[offset + 4:offset + 4 + size].decode())
        offset += 4 + size
    return request_id, bool(ok), lines


def closed_by_peer(sock, timeout=10):
    """True when the daemon closes the connection (EOF or reset) within `timeout`."""
    sock.settimeout(timeout)
    try:
        while True:
            if sock.recv(4096) == b"":
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class SmtpctlTestCase(methods.DeliveryTestCase):
    """A fresh DeliverySmtpd (mda.test delivers to a file, temp.test always exits 75) per test."""

    @classmethod
    def setUpClass(cls):
        if not os.access(harness.SMTPCTL, os.X_OK):
            raise harness.refservers.StartError("no smtpctl binary at %s (build the smtpctl "
                                                "target)" % harness.SMTPCTL)

    @classmethod
    def tearDownClass(cls):
        pass

    def setUp(self):
        self.smtpd = methods.DeliverySmtpd()
        self.addCleanup(self.smtpd.cleanup)
        self.smtpd.start()
        # start() returns at the first 220, which the parent allows only once every role has
        # greeted it, control after opening its socket: the socket is there already.
        self.assertTrue(self.control_accepts(),
                        "no control socket at %s; log:\n%s" % (self.smtpd.socket, self.log()))

    def control_accepts(self):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(self.smtpd.socket)
            return True
        except OSError:
            return False

    def smtpctl(self, *words, argv0=None, sock=None, as_user=None, timeout=60):
        argv = [argv0 or harness.SMTPCTL, "-s", sock or self.smtpd.socket] + list(words)
        if as_user:
            argv = ["setpriv", "--reuid=" + as_user, "--regid=nogroup", "--clear-groups"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def ok(self, *words, **kwargs):
        """Runs smtpctl; asserts exit 0 and nothing on stderr; returns stdout's lines."""
        r = self.smtpctl(*words, **kwargs)
        self.assertEqual((r.returncode, r.stderr), (0, ""),
                         "smtpctl %s: %r\nlog:\n%s" % (" ".join(words), r, self.log()))
        return r.stdout.splitlines()

    def schedule_until_due(self, target, count=1):
        """`smtpctl schedule target` until it reports `count` messages scheduled: the
        scheduler counts a message whose delivery result it has not yet read as in flight."""
        expected = ["%d message%s scheduled" % (count, "s" if count > 1 else "")]
        if methods.wait_for(lambda: self.ok("schedule", target) == expected) is None:
            self.fail("schedule %s never said %r; log:\n%s" % (target, expected, self.log()))

    def assertRunning(self):
        self.assertIsNone(self.smtpd.proc.poll(), "smtpd exited; log:\n" + self.log())

    def queue_lines(self, predicate, timeout=20):
        """Polls `smtpctl show queue` until its lines satisfy predicate; returns them."""
        lines = methods.wait_for(lambda: (lambda ls: ls if predicate(ls) else None)(
            self.ok("show", "queue")), timeout)
        if lines is None:
            self.fail("show queue never as expected: %r\nlog:\n%s"
                      % (self.ok("show", "queue"), self.log()))
        return lines

    def envelopes(self):
        """`smtpctl show queue`, each line as a dict of FIELDS."""
        return [envelope_fields(line) for line in self.ok("show", "queue")]

    def wait_envelopes(self, predicate, timeout=20):
        """Polls show queue until its envelopes (dicts) satisfy predicate; returns them."""
        self.queue_lines(lambda lines: predicate([envelope_fields(ln) for ln in lines]), timeout)
        return self.envelopes()

    def wait_attempted(self, rcpts, attempts="1"):
        """Waits until show queue lists exactly `rcpts`, each after `attempts` attempts and not in
        flight (the attempt is over); returns {rcpt: envelope}."""
        def done(envs):
            return (sorted(e["rcpt"] for e in envs) == sorted(rcpts) and
                    all(e["attempts"] == attempts and e["runstate"] == "pending" for e in envs))
        return {e["rcpt"]: e for e in self.wait_envelopes(done)}

    def hold_a_message(self):
        """Queues a message whose mda exits 75; returns its id once its first attempt failed."""
        self.send("holder@localhost", ["later@temp.test"], b"Subject: held\r\n\r\nheld\r\n")
        self.wait_log(r"to=<later@temp.test> .* result=TempFail attempt=1")
        # The log line comes from the delivery's side; the queue records the attempt after it:
        # wait until the queue itself lists the message with its first attempt.
        self.wait_attempted(["later@temp.test"])
        (msgid,) = self.smtpd.queued()
        return msgid


class ShowQueue(SmtpctlTestCase):
    def test_an_empty_queue_lists_nothing(self):
        self.assertEqual(self.ok("show", "queue"), [])

    def test_a_deferred_message_is_listed_in_opensmtpds_envelope_layout(self):
        before = int(time.time())
        msgid = self.hold_a_message()
        (line,) = self.ok("show", "queue")
        e = envelope_fields(line)
        self.assertRegex(e["evpid"], "^%s[0-9a-f]{8}$" % msgid)
        self.assertEqual((e["family"], e["agent"], e["flags"], e["sender"], e["rcpt"], e["dest"]),
                         ("inet4", "mda", "", "holder@localhost", "later@temp.test",
                          "later@temp.test"), line)
        created = int(e["created"])
        self.assertTrue(before - 1 <= created <= time.time(), line)
        self.assertEqual(int(e["expires"]), created + 4 * 24 * 3600, line)  # default queue ttl
        self.assertTrue(created <= int(e["last_try"]) <= time.time(), line)
        self.assertEqual((e["attempts"], e["runstate"]), ("1", "pending"), line)
        # the first retry comes 5 minutes (plus jitter) after the failed attempt
        self.assertTrue(0 < int(e["seconds"]) <= 330, line)
        self.assertIn("exited 75", e["error"])

    def test_abbreviated_words_work(self):
        msgid = self.hold_a_message()
        self.assertTrue(self.ok("sh", "q")[0].startswith(msgid))

    def test_mailq_is_show_queue(self):
        msgid = self.hold_a_message()
        with tempfile.TemporaryDirectory() as d:
            os.chmod(d, 0o755)
            mailq = os.path.join(d, "mailq")
            os.symlink(os.path.abspath(harness.SMTPCTL), mailq)
            # the same lines, but for the seconds to the next retry, which count down between
            # the two commands
            def timeless(lines):
                return [dict(envelope_fields(ln), seconds=None) for ln in lines]
            (line,) = self.ok(argv0=mailq)
            self.assertTrue(line.startswith(msgid))
            self.assertEqual(timeless([line]), timeless(self.ok("show", "queue")))
            r = self.smtpctl("show", "queue", argv0=mailq)  # mailq takes no command
            self.assertEqual(r.returncode, 1)
            self.assertIn("usage:", r.stderr)


class PauseResume(SmtpctlTestCase):
    def test_paused_mda_holds_a_new_message_until_resumed_and_scheduled(self):
        self.assertEqual(self.ok("pause", "mda"), ["command succeeded"])
        self.send("s@localhost", ["paused@mda.test"], b"Subject: paused\r\n\r\nwhile-paused\r\n")
        out = os.path.join(self.smtpd.mda_dir, "out-paused.txt")
        self.wait_envelopes(lambda envs: any(e["rcpt"] == "paused@mda.test" for e in envs))
        # Not delivered while paused: it is still listed, with no attempt, and no file exists.
        time.sleep(1)
        (e,) = self.envelopes()
        self.assertEqual((e["sender"], e["rcpt"], e["attempts"]),
                         ("s@localhost", "paused@mda.test", "0"))
        self.assertFalse(os.path.exists(out))
        self.assertNotIn("to=<paused@mda.test>", self.log())

        self.assertEqual(self.ok("resume", "mda"), ["command succeeded"])
        # resume starts what became due; schedule finds it due or already delivered
        (scheduled,) = self.ok("schedule", "all")
        self.assertIn(scheduled, ("0 message scheduled", "1 message scheduled"))
        self.wait_file(out, lambda data: b"while-paused" in data)
        self.assertQueueDrains()
        self.assertEqual(self.ok("show", "queue"), [])

    def test_schedule_all_retries_a_deferred_message_now(self):
        self.hold_a_message()
        self.assertNotIn("attempt=2", self.log())
        self.schedule_until_due("all")
        self.wait_log(r"to=<later@temp.test> .* result=TempFail attempt=2")
        self.wait_attempted(["later@temp.test"], attempts="2")


class Stop(SmtpctlTestCase):
    def test_stop_stops_the_daemon_with_status_0(self):
        self.assertEqual(self.ok("stop"), ["command succeeded"])
        try:
            status = self.smtpd.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.fail("smtpd still running 20s after stop; log:\n" + self.log())
        self.assertEqual(status, 0, self.log())
        self.assertIn("stop requested by smtpctl", self.log())
        self.assertEqual(self.smtpd.pids(), [])


class Errors(SmtpctlTestCase):
    def test_a_bad_command_prints_usage_and_fails(self):
        for words in (["frobnicate"], ["show"], ["s"], ["pause", "smtp"], []):
            r = self.smtpctl(*words)
            self.assertEqual(r.returncode, 1, words)
            self.assertEqual(r.stdout, "", words)
            self.assertIn("usage: smtpctl", r.stderr, words)
            self.assertRegex(r.stderr, r"^smtpctl: (unknown|incomplete|ambiguous|missing) command",
                             words)
        self.assertRunning()

    def test_a_missing_socket_is_a_clear_error(self):
        path = os.path.join(self.smtpd.dir, "nonexistent", "smtpd.sock")
        r = self.smtpctl("show", "queue", sock=path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, "smtpctl: connect to %s: No such file or directory\n" % path)

    def test_a_socket_nobody_listens_on_is_connection_refused(self):
        path = os.path.join(self.smtpd.dir, "dead.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.bind(path)  # bound, never listening
            r = self.smtpctl("show", "queue", sock=path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "smtpctl: connect to %s: Connection refused\n" % path)


class HostileClient(SmtpctlTestCase):
    """Whatever a client sends, control drops that client only; the daemon keeps answering."""

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.connect(self.smtpd.socket)
        return s

    def assertDroppedAndStillServing(self, data, half_close=False):
        s = self.connect()
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        self.assertTrue(closed_by_peer(s), "control kept the connection after %r" % data[:40])
        self.assertRunning()
        self.assertEqual(self.ok("show", "queue"), [])
        self.assertRunning()

    def test_garbage_bytes(self):
        self.assertDroppedAndStillServing(b"\xff" * 64 + b"GET / HTTP/1.0\r\n\r\n")

    def test_a_length_below_the_header(self):
        self.assertDroppedAndStillServing(struct.pack("<I", 3) + b"\0" * 12)

    def test_a_truncated_frame(self):
        whole = control_request("ShowQueue")
        self.assertDroppedAndStillServing(whole[:-3], half_close=True)

    def test_a_frame_of_another_type(self):
        # Shutdown is what the parent sends its children: from a client it must stop nothing.
        self.assertDroppedAndStillServing(frame("Shutdown"))
        self.assertDroppedAndStillServing(frame("ControlReply", struct.pack("<QBI", 1, 1, 0)))

    def test_a_wrong_version(self):
        body = control_request("Stop")[10:]
        self.assertDroppedAndStillServing(frame("ControlRequest", body, version=IPC_VERSION + 1))

    def test_an_unknown_verb(self):
        body = struct.pack("<QBI", 1, len(VERBS), 0)
        self.assertDroppedAndStillServing(frame("ControlRequest", body))

    def test_a_frame_flagged_with_an_fd_it_does_not_carry(self):
        body = control_request("Stop")[10:]
        self.assertDroppedAndStillServing(frame("ControlRequest", body, flags=1))

    def test_too_many_arguments(self):
        self.assertDroppedAndStillServing(control_request("Pause", [b"mda"] * 17))

    def test_an_oversized_argument(self):
        self.assertDroppedAndStillServing(control_request("Pause", [b"m" * 1025]))

    def test_a_valid_request_on_the_raw_socket_is_answered(self):
        s = self.connect()
        s.settimeout(30)
        s.sendall(control_request("ShowQueue", request_id=42))
        self.assertEqual(read_control_reply(s), (42, True, []))
        # the connection stays open for another request
        s.sendall(control_request("Schedule", [b"all"], request_id=43))
        self.assertEqual(read_control_reply(s), (43, True, ["0 message scheduled"]))
        s.sendall(control_request("Remove", [b"not-an-id"], request_id=44))
        self.assertEqual(read_control_reply(s), (44, False, ["invalid envelope or message id"]))


class ManPage(unittest.TestCase):
    """docs/man/smtpctl.8 lists every command the usage lists, and no other."""

    def test_the_man_page_lists_the_commands_of_the_usage(self):
        r = subprocess.run([harness.SMTPCTL, "-h"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r)
        listed = r.stdout.split("commands:\n", 1)[1].splitlines()
        commands = sorted(re.split(r"\s{2,}", line.strip())[0] for line in listed)
        self.assertIn("show queue", commands)
        page = os.path.join(os.path.dirname(MESSAGES_HPP), "../../docs/man/smtpctl.8")
        with open(page) as f:
            # ".It Ic remove Ar id" is the usage's "remove <id>"
            documented = sorted(re.sub(r" Ar (\w+)$", r" <\1>", item)
                                for item in re.findall(r"^\.It Ic (.+)$", f.read(), re.M))
        self.assertEqual(documented, commands)


@unittest.skipUnless(ROOT, "needs root to run a client as another uid (nobody)")
class OtherUser(SmtpctlTestCase):
    """Run as root, the daemon admits root only: nobody is refused every verb."""

    def test_smtpctl_stop_as_nobody_is_permission_denied(self):
        r = self.smtpctl("stop", as_user="nobody")
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual((r.stdout, r.stderr), ("", "permission denied\n"))
        self.assertRunning()
        self.assertRegex(self.log(), r"control: uid 65534 may not stop: permission denied")
        self.assertEqual(self.ok("show", "queue"), [])
        self.assertRunning()

    def test_show_queue_as_nobody_is_permission_denied(self):
        self.hold_a_message()
        r = self.smtpctl("show", "queue", as_user="nobody")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", "permission denied\n"))

    def test_a_raw_client_that_became_nobody_is_refused_and_kept(self):
        """A forked child drops to uid 65534, sends Stop then ShowQueue on one connection, and
        reports both replies through a pipe."""
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                os.close(read_end)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(30)
                    s.connect(self.smtpd.socket)
                    s.sendall(control_request("Stop", request_id=7))
                    first = read_control_reply(s)
                    s.sendall(control_request("ShowQueue", request_id=8))
                    second = read_control_reply(s)
                os.write(write_end, repr((first, second)).encode())
                status = 0
            except BaseException as e:  # reported through the pipe: the child must not unwind
                os.write(write_end, repr(e).encode())
            finally:
                os._exit(status)
        os.close(write_end)
        with os.fdopen(read_end) as f:
            report = f.read()
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, report)
        self.assertEqual(report, repr(((7, False, ["permission denied"]),
                                       (8, False, ["permission denied"]))))
        self.assertRunning()
        self.assertEqual(self.ok("show", "queue"), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
