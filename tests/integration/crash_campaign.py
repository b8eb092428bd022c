#!/usr/bin/env python3
"""The crash campaign: concurrent SMTP clients send messages with unique markers while smtpd is
killed with SIGKILL (its whole process group: every role and delivery child at once) at random
instants and restarted on the same spool and Maildir. With --graceful it is stopped with SIGTERM
instead, and each stop must also end with exit status 0 and no partial file: no queue/*.new or
queue/*.grow, nothing in Maildir/tmp once the daemon and its delivery children are gone. At the
end the daemon runs once more until the queue drains, and the Maildir is checked: every message
that got 250 is there once per recipient, complete; none that got a 4xx/5xx or never finished
DATA is there; one whose reply was lost (connection died after the final dot) is either absent
or complete, at most once.
Used by test_crash_campaign.py (bounded, in CI) and runnable by hand for the long run:
    SMTPD_BIN=build/asan/runtime/smtpd python3 crash_campaign.py --rounds 1000 --seed 7
Depends on: harness.py (refservers.Ours), spool_files.py, the standard library.
Design: docs/arch/crash-campaign.md
"""
import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import spool_files  # noqa: E402


def group_members(pgid):
    """Live (non-zombie) processes of process group `pgid`, from /proc."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(name))
    return out


class CrashSmtpd(harness.Smtpd):
    """Our smtpd in its own session, so one killpg(SIGKILL) takes every process of it and none of
    the test's; start() may be called again after kill() and keeps spool, Maildir, port and log.
    `kill_point` arms SMTPD_KILL_POINT for the next start (test builds only)."""

    def __init__(self, extra_config=""):
        super().__init__(extra_config)
        self.kill_point = None

    def env(self):
        env = dict(os.environ)
        env.pop("SMTPD_KILL_POINT", None)
        if self.kill_point:
            env["SMTPD_KILL_POINT"] = self.kill_point
        return env

    def start(self, timeout=60, kill_point=None):
        self.kill_point = kill_point
        self.prepare()
        if self._log is None:
            self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env(), cwd=self.dir,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise harness.refservers.StartError(
                    "smtpd exited with %d: %s" % (self.proc.returncode, self.log_tail()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.settimeout(10)
                    if s.recv(512).startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        s.recv(512)
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise harness.refservers.StartError("smtpd did not answer 220: " + self.log_tail())

    def kill(self, timeout=15):
        """SIGKILL to the whole process group; returns once no process of it is left."""
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        deadline = time.monotonic() + timeout
        while group_members(pgid):
            if time.monotonic() > deadline:
                raise AssertionError("processes of group %d survive SIGKILL" % pgid)
            time.sleep(0.02)

    def terminate(self, timeout=30):
        """SIGTERM to the parent only, as an administrator stops it; returns its exit status
        once it and every process of its group (delivery children too) are gone."""
        pgid = self.proc.pid
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("smtpd still runs %ds after SIGTERM" % timeout)
        deadline = time.monotonic() + timeout
        while group_members(pgid):
            if time.monotonic() > deadline:
                raise AssertionError("processes of group %d outlive the daemon" % pgid)
            time.sleep(0.02)
        return status

    def partial_files(self):
        """What a stopped daemon left half-written: the files of queue/ that are no message
        (<id>.new being received, <id>.grow being copied) and the entries of Maildir/tmp."""
        left = []
        queue = os.path.join(self.spool, "queue")
        if os.path.isdir(queue):
            left += [os.path.join(queue, n) for n in spool_files.unfinished(self.spool)]
        tmp = os.path.join(self.maildir, "tmp")
        if os.path.isdir(tmp):
            left += [os.path.join(tmp, n) for n in os.listdir(tmp)]
        return left

    def died(self, timeout=30):
        """Waits for the daemon to exit by itself (a kill point), then kills what is left."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("smtpd still runs %ds after its kill point" % timeout)
        finally:
            self.kill()

    def queued(self):
        """The committed messages (none before the queue first made its directory)."""
        queue = os.path.join(self.spool, "queue")
        return spool_files.queued_ids(self.spool) if os.path.isdir(queue) else []

    def unfinished_left(self, timeout=10):
        """What stays in queue/ that is no message (.new, .grow: the queue removes them when it
        starts, after the 220), with no client sending."""
        queue = os.path.join(self.spool, "queue")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.isdir(queue) and not spool_files.unfinished(self.spool):
                return []
            time.sleep(0.05)
        return spool_files.unfinished(self.spool) if os.path.isdir(queue) else ["(no queue/)"]

    def drain(self, timeout=90):
        """Waits until queue/ holds no committed message; returns the ids left otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.queued():
                return []
            time.sleep(0.1)
        return self.queued()


class Message:
    """One transaction: what was sent and what the client saw.
    outcome: "250"; "rejected" (a reply other than 250 at any step); "lost-reply" (the final
    dot was sent, no reply came); "not-sent" (the connection died before the final dot)."""

    def __init__(self, marker, recipients, content):
        self.marker, self.recipients, self.content = marker, recipients, content
        self.outcome = None
        self.reply = ""


def make_content(rng, marker, recipients):
    """A message with CRLF line ends, no line starting with '.', of 0.2 to ~200 KiB."""
    size = int(rng.choice([200, 2000, 8000, 32000, 200000]) * rng.uniform(0.5, 1.0))
    head = ("From: <crash@test>\r\nTo: %s\r\nSubject: crash campaign %s\r\nX-Marker: %s\r\n\r\n"
            % (", ".join("<%s>" % r for r in recipients), marker, marker))
    line = "%s %s\r\n" % (marker, "x" * 60)
    return (head + line * max(1, size // len(line))).encode()


def transaction(d, m, client=None):
    """One MAIL/RCPT/DATA transaction of `m` on dialogue `d`, after EHLO; sets m.outcome, and
    the client's in_tx / awaiting_reply flags while it runs. A dead connection raises OSError or
    EOFError."""
    client = client or argparse.Namespace()
    m.outcome = "not-sent"
    client.in_tx = True
    try:
        steps = [b"MAIL FROM:<crash@test>\r\n"] + [b"RCPT TO:<%s>\r\n" % r.encode()
                                                    for r in m.recipients]
        for command in steps + [b"DATA\r\n"]:
            code, lines = d.command(command)
            if code != (354 if command == b"DATA\r\n" else 250):
                m.outcome, m.reply = "rejected", lines[-1]
                return
        d.send(m.content)
        d.send(b".\r\n")
        m.outcome = "lost-reply"
        client.awaiting_reply = True
        code, lines = d.reply()
        m.outcome = "250" if code == 250 else "rejected"
        m.reply = lines[-1]
    finally:
        client.in_tx = client.awaiting_reply = False


class Client(threading.Thread):
    """Sends messages in a loop, a few per connection, until told to stop; reconnects while the
    daemon is down. in_tx / awaiting_reply say what it is doing right now."""

    def __init__(self, campaign, index, seed):
        super().__init__(daemon=True)
        self.campaign, self.index, self.rng = campaign, index, random.Random(seed)
        self.messages = []
        self.in_tx = False
        self.awaiting_reply = False
        self.seq = 0

    def run(self):
        while not self.campaign.stopping.is_set():
            try:
                d = harness.Dialogue(self.campaign.smtpd.port, timeout=60)
            except OSError:
                time.sleep(0.05)
                continue
            try:
                self.session(d)
            except (OSError, EOFError, ValueError):
                pass
            finally:
                self.in_tx = self.awaiting_reply = False
                d.close()

    def session(self, d):
        if d.reply()[0] != 220 or d.command(b"EHLO crash.test\r\n")[0] != 250:
            return
        for _ in range(self.rng.randint(1, 4)):
            if self.campaign.stopping.is_set():
                return
            self.seq += 1
            marker = "crash-%d-%d-%d" % (self.campaign.seed, self.index, self.seq)
            count = self.rng.choice([1, 1, 2])
            rcpts = ["r%d-%d@%s" % (self.index, i, self.campaign.rcpt_domain)
                     for i in range(count)]
            m = Message(marker, rcpts, make_content(self.rng, marker, rcpts))
            self.messages.append(m)
            transaction(d, m, self)
            if m.outcome != "250":
                return
        d.send(b"QUIT\r\n")


MARKER = re.compile(rb"^X-Marker: (\S+)$", re.M)


def to_lf(data):
    return data.replace(b"\r\n", b"\n")


def judge(messages, found, problems, duplicates_allowed=False):
    """Holds the copies `found` per (marker, recipient) against what the clients saw: a 250
    never lost, nothing without a 250 delivered, a lost reply delivered to all recipients or none,
    and (unless `duplicates_allowed`, RFC 5321 §6.1 at a relay) no recipient twice. Appends to
    `problems`; returns the counts."""
    counts = {"lost": 0, "duplicates": 0, "extra_copies": 0, "delivered_without_250": 0,
              "lost_reply_delivered": 0}
    for m in messages:
        n = [found.get((m.marker, r), 0) for r in m.recipients]
        if any(c > 1 for c in n):
            counts["duplicates"] += 1
            counts["extra_copies"] += sum(c - 1 for c in n if c > 1)
            if not duplicates_allowed:
                problems.append("%s (%s): delivered %s times per recipient"
                                % (m.marker, m.outcome, n))
        if m.outcome == "250" and min(n) == 0:
            counts["lost"] += 1
            problems.append("%s: got 250 but recipients %s are missing"
                            % (m.marker, [r for r, c in zip(m.recipients, n) if c == 0]))
        elif m.outcome == "lost-reply" and max(n) > 0:
            counts["lost_reply_delivered"] += 1
            if min(n) == 0:
                problems.append("%s: reply lost, delivered to only some recipients %s"
                                % (m.marker, n))
        elif m.outcome in ("rejected", "not-sent") and max(n) > 0:
            counts["delivered_without_250"] += 1
            problems.append("%s: %s (%s) but delivered" % (m.marker, m.outcome, m.reply))
    return counts


def check_maildir(maildir, messages):
    """Compares the Maildir with what the clients saw; returns (counts, problems)."""
    by_marker = {m.marker: m for m in messages}
    found = {}  # (marker, recipient) -> number of files
    problems, files = [], 0
    for sub in ("new", "cur"):
        path = os.path.join(maildir, sub)
        for name in sorted(os.listdir(path)) if os.path.isdir(path) else []:
            files += 1
            with open(os.path.join(path, name), "rb") as f:
                data = f.read()
            try:
                _, delivered_to, _, rest = harness.split_delivered(data)
            except AssertionError:
                problems.append("%s: malformed delivery %r" % (name, data[:200]))
                continue
            mark = MARKER.search(rest)
            m = by_marker.get(mark.group(1).decode()) if mark else None
            if m is None:
                problems.append("%s: delivery of no message we sent" % name)
                continue
            rcpt = delivered_to.decode().removeprefix("Delivered-To: ")
            found[(m.marker, rcpt)] = found.get((m.marker, rcpt), 0) + 1
            if rest != to_lf(m.content):
                problems.append("%s: partial or altered delivery of %s (%d of %d bytes)"
                                % (name, m.marker, len(rest), len(to_lf(m.content))))
    counts = judge(messages, found, problems)
    counts["files"] = files
    tmp = os.path.join(maildir, "tmp")
    counts["maildir_tmp_left"] = len(os.listdir(tmp)) if os.path.isdir(tmp) else 0
    return counts, problems


class Campaign:
    rcpt_domain = "localhost"  # the recipients' domain; relay_crash.py relays to another

    def __init__(self, rounds, seed, clients=4, budget=150.0, max_up=1.2, log=print,
                 graceful=False):
        self.rounds, self.seed, self.nclients, self.budget = rounds, seed, clients, budget
        self.max_up, self.log, self.graceful = max_up, log, graceful
        self.stop_problems = []
        self.rng = random.Random(seed)
        self.stopping = threading.Event()
        self.smtpd = self.make_smtpd()
        self.stats = {"seed": seed, "rounds": 0, "kills_in_flight": 0,
                      "kills_awaiting_reply": 0, "tx_in_flight_at_kills": 0,
                      "kills_with_queued_mail": 0, "stops_not_0": 0, "partial_files_left": 0}

    def run(self):
        """Runs the rounds and the final check; returns (stats, problems)."""
        clients = [Client(self, i, self.rng.getrandbits(32)) for i in range(self.nclients)]
        started = time.monotonic()
        try:
            for c in clients:
                c.start()
            for r in range(self.rounds):
                if time.monotonic() - started > self.budget:
                    self.log("time budget of %ds spent after %d rounds" % (self.budget, r))
                    break
                self.smtpd.start()
                time.sleep(self.rng.uniform(0.0, self.max_up))
                in_tx = sum(c.in_tx for c in clients)
                waiting = sum(c.awaiting_reply for c in clients)
                queued = len(self.smtpd.queued())
                self.stop_round(r)
                self.stats["rounds"] += 1
                self.stats["kills_in_flight"] += in_tx > 0
                self.stats["kills_awaiting_reply"] += waiting > 0
                self.stats["tx_in_flight_at_kills"] += in_tx
                self.stats["kills_with_queued_mail"] += queued > 0
            self.stopping.set()
            for c in clients:
                c.join(timeout=90)
            self.smtpd.start()
            left = self.smtpd.drain()
            unfinished = self.smtpd.unfinished_left()
            self.smtpd.stop()
            messages = [m for c in clients for m in c.messages]
            counts, problems = self.check(messages)
            if left:
                problems.append("queue not drained: %s" % left)
            if unfinished:
                problems.append("queue/ keeps partial files after start: %s" % unfinished)
            problems += self.stop_problems
            problems += [line for line in self.smtpd.read_log().splitlines()
                         if "Sanitizer" in line or "runtime error:" in line][:10]
            self.stats.update(counts)
            self.stats["seconds"] = round(time.monotonic() - started, 1)
            self.stats["messages"] = len(messages)
            for outcome in ("250", "rejected", "lost-reply", "not-sent"):
                self.stats[outcome] = sum(m.outcome == outcome for m in messages)
            return self.stats, problems
        finally:
            self.stopping.set()
            if self.smtpd.proc and self.smtpd.proc.poll() is None:
                self.smtpd.kill()

    def make_smtpd(self):
        return CrashSmtpd()

    def check(self, messages):
        """Where the messages went, against what the clients saw: (counts, problems)."""
        return check_maildir(self.smtpd.maildir, messages)

    def stop_round(self, r):
        """SIGKILL, or with `graceful` SIGTERM, whose stop must be clean."""
        if not self.graceful:
            self.smtpd.kill()
            return
        status = self.smtpd.terminate()
        left = self.smtpd.partial_files()
        if status != 0:
            self.stats["stops_not_0"] += 1
            self.stop_problems.append("round %d: SIGTERM gave exit status %s" % (r, status))
        if left:
            self.stats["partial_files_left"] += len(left)
            self.stop_problems.append("round %d: partial files after SIGTERM: %s" % (r, left))

    def cleanup(self, keep=False):
        """Stops what the campaign started; removes its files unless `keep`."""
        if keep:
            self.smtpd.stop()
            print("kept", self.smtpd.dir)
        else:
            self.smtpd.cleanup()


REPORT_KEYS = ["seed", "rounds", "seconds", "messages", "250", "rejected", "lost-reply",
               "not-sent", "kills_in_flight", "kills_awaiting_reply", "tx_in_flight_at_kills",
               "kills_with_queued_mail", "files", "lost", "duplicates", "delivered_without_250",
               "lost_reply_delivered", "maildir_tmp_left", "stops_not_0", "partial_files_left"]


def report(stats, keys=REPORT_KEYS):
    """The counts of a campaign on one line, key=value."""
    return " ".join("%s=%s" % (k, stats.get(k)) for k in keys)


def main(campaign_class=None, report_fn=report, label="crash campaign", rounds=50,
         before=None):
    """The command line of a campaign (relay_crash.py runs its own through here); `before` runs
    once the arguments are parsed (relay_crash.py: enter the private namespace)."""
    p = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=rounds)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--budget", type=float, default=1e9, help="seconds for the kill rounds")
    p.add_argument("--max-up", type=float, default=1.2, help="longest run between kills (s)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--graceful", action="store_true", help="stop with SIGTERM, not SIGKILL")
    a = p.parse_args()
    if before:
        before()
    seed = a.seed if a.seed is not None else random.SystemRandom().getrandbits(31)
    print("%s: seed=%d rounds=%d clients=%d smtpd=%s" % (
        label, seed, a.rounds, a.clients, os.path.abspath(harness.SMTPD)), flush=True)
    c = (campaign_class or Campaign)(a.rounds, seed, a.clients, a.budget, a.max_up,
                                     graceful=a.graceful)
    # SIGTERM unwinds like Ctrl-C, so the daemon's process group is killed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    try:
        stats, problems = c.run()
    finally:
        c.cleanup(keep=a.keep)
    print(report_fn(stats))
    for line in problems[:50]:
        print("PROBLEM:", line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
