#!/usr/bin/env python3
"""The side-by-side benchmark: our smtpd, OpenSMTPD 6.8 and Postfix 3.7 in one run, alternating,
driven by Postfix's smtp-source over loopback, all delivering to a Maildir. Run on demand (never
in CI), as root, after .ci/build and .ci/refs:

    sudo python3 bench/bench.py [--quick] [--out docs/performance.md]
    sudo python3 bench/bench.py relay [--quick] [--out docs/performance.md]   (bench/relay.py)
    sudo python3 bench/bench.py curves [--quick] [--out docs/performance.md]  (bench/curves.py)

Figures per server: accept throughput with 20 concurrent sessions (a new connection per message,
and reused connections with smtp-source -d), one-session throughput, memory (PSS summed over all
server processes) idle and with 500 idle connections, and server CPU seconds per 1,000 messages.
Each figure is printed with the ratios ours/OpenSMTPD and ours/Postfix; the table goes to
docs/performance.md with the machine and the date; the sections of the other sub-commands in
that file are kept. The binaries come from build/release and build/refs of this checkout, or
from the directories named by the environment variables SMTPD_BENCH_BUILD (a release build
directory) and SMTPD_BENCH_REFS (the directory .ci/refs fills).
"""
import argparse
import datetime
import os
import platform
import socket
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "conformance"))
import refservers  # noqa: E402
import sections  # noqa: E402

BUILD = os.environ.get("SMTPD_BENCH_BUILD") or os.path.join(ROOT, "build/release")
REFS = os.environ.get("SMTPD_BENCH_REFS") or os.path.join(ROOT, "build/refs")
SMTPD = os.path.join(BUILD, "runtime/smtpd")
POSTFIX = os.path.join(REFS, "postfix")
SMTP_SOURCE = os.path.join(POSTFIX, "usr/sbin/smtp-source")
MESSAGE_SIZE = 4096


def smtp_source(port, sessions, messages, reuse, size=MESSAGE_SIZE, recipients=1, timeout=1800):
    """Runs smtp-source against 127.0.0.1:`port` (`sessions` in parallel, `messages` in all of
    about `size` octets, each to `recipients` recipients: rcpt@localhost, or 1rcpt@localhost,
    2rcpt@localhost ...; reuse: smtp-source -d, connections kept between messages); the seconds
    it took. Raises when it fails or runs past `timeout` seconds (it is then killed)."""
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(POSTFIX, "usr/lib/postfix"))
    cmd = [SMTP_SOURCE, "-s", str(sessions), "-m", str(messages), "-l", str(size),
           "-r", str(recipients), "-f", "bench@example.org", "-t", "rcpt@localhost"]
    if reuse:
        cmd.append("-d")
    start = time.monotonic()
    done = subprocess.run(cmd + ["127.0.0.1:%d" % port], env=env, timeout=timeout,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        raise RuntimeError("smtp-source exited with %d: %s" % (
            done.returncode, done.stderr.decode("utf-8", "replace")[-500:].strip()))
    return time.monotonic() - start


def pss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/smaps_rollup" % pid) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pids):
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
        except OSError:
            pass
    return total / ticks


def idle_connections(port, count, timeout=None):
    """`count` connections to 127.0.0.1:`port`, each once its greeting has come (the server
    has set the session up), opened one after the other within `timeout` seconds in all (when
    given; 30 s per connection at most). On a failure the ones opened are closed."""
    deadline = time.monotonic() + timeout if timeout else None
    socks = []
    try:
        for _ in range(count):
            left = 30.0 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("%d of %d connections open after %ds" % (len(socks), count,
                                                                             timeout))
            s = socket.create_connection(("127.0.0.1", port), timeout=min(30.0, left))
            socks.append(s)
            s.recv(512)
    except BaseException:
        for s in socks:
            s.close()
        raise
    return socks


def delivered(server):
    """Messages in the server's Maildir (new/)."""
    new = os.path.join(server.maildir, "new")
    return len(os.listdir(new)) if os.path.isdir(new) else 0


def wait_delivered(server, count, timeout=300):
    """Waits until the Maildir holds `count` messages (bounded); False at the deadline."""
    deadline = time.monotonic() + timeout
    while delivered(server) < count:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


# The system calls counted per message (strace -c), and the ones that make data durable.
SYNC_CALLS = ("fsync", "fdatasync", "sync_file_range", "syncfs", "msync")
COUNTED_CALLS = ("fsync", "fdatasync", "clone", "clone3", "fork", "vfork", "execve", "openat",
                 "mkdir", "rename", "unlink", "sendmsg", "recvmsg", "write", "read")


def syscall_counts(server, messages):
    """System calls per message over `messages` sent in one session and delivered, counted with
    strace -f -c on every process of the server: {name: calls per message}, plus "total"."""
    wait_delivered(server, delivered(server))  # nothing of an earlier run still under way
    before = delivered(server)
    out = os.path.join(server.dir, "strace-counts.txt")
    pids = server.pids()
    tracer = subprocess.Popen(["strace", "-f", "-c", "-o", out] +
                              [a for pid in pids for a in ("-p", str(pid))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)  # attached
    smtp_source(server.port, 1, messages, reuse=True)
    wait_delivered(server, before + messages)
    time.sleep(1)  # the removals after the last delivery
    tracer.send_signal(2)
    tracer.wait(timeout=60)
    counts = {}
    with open(out) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 5 and fields[3].isdigit():
                counts[fields[-1]] = int(fields[3]) / messages
    return counts


def measure(server, scale):
    """All figures for one server, already started."""
    figures = {}
    n = scale["messages"]
    figures["accept_new_conn"] = n / smtp_source(server.port, 20, n, reuse=False)
    figures["accept_reused"] = n / smtp_source(server.port, 20, n, reuse=True)
    figures["one_session"] = scale["single"] / smtp_source(server.port, 1, scale["single"], True)
    # CPU per message counts the deliveries too: wait for the backlog, then for these 1,000.
    wait_delivered(server, 2 * n + scale["single"])
    cpu_before = cpu_seconds(server.pids())
    smtp_source(server.port, 20, 1000, reuse=True)
    wait_delivered(server, 2 * n + scale["single"] + 1000)
    figures["cpu_per_1000"] = cpu_seconds(server.pids()) - cpu_before
    counts = syscall_counts(server, scale["traced"])
    figures["syncs_per_msg"] = sum(counts.get(c, 0) for c in SYNC_CALLS)
    figures["syscalls_per_msg"] = counts.get("total", 0)
    figures["forks_per_msg"] = sum(counts.get(c, 0) for c in ("clone", "clone3", "fork", "vfork"))
    time.sleep(1)
    idle = pss_kib(server.pids())
    socks = idle_connections(server.port, scale["idle"])
    time.sleep(1)
    loaded = pss_kib(server.pids())
    for s in socks:
        s.close()
    figures["pss_idle_kib"] = idle
    figures["pss_busy_kib"] = loaded
    figures["kib_per_conn"] = (loaded - idle) / scale["idle"]
    return figures


ROWS = [
    ("accept_new_conn", "accept, 20 sessions, new connection per message (msg/s)", True),
    ("accept_reused", "accept, 20 reused sessions (msg/s)", True),
    ("one_session", "one session, sequential (msg/s)", True),
    ("cpu_per_1000", "server CPU seconds per 1,000 messages, deliveries included", False),
    ("syncs_per_msg", "syncs per message, one session (fsync, fdatasync; strace -c)", False),
    ("forks_per_msg", "processes made per message, one session (strace -c)", False),
    ("syscalls_per_msg", "system calls per message, one session (strace -c)", False),
    ("pss_idle_kib", "memory idle, PSS of all processes (KiB)", False),
    ("pss_busy_kib", "memory with idle connections open (KiB)", False),
    ("kib_per_conn", "memory per idle connection (KiB)", False),
]


# Issue 15's targets: (figure, label, factor, higher is better). Met when ours >= factor x
# Postfix for a rate, ours <= factor x Postfix for a cost.
TARGETS = [
    ("accept_new_conn", "accept throughput, new connection per message, >= 2x Postfix", 2.0, True),
    ("accept_reused", "accept throughput, reused connections, >= 2x Postfix", 2.0, True),
    ("one_session", "one-session throughput >= 1.5x Postfix", 1.5, True),
    ("cpu_per_1000", "server CPU per message <= 0.5x Postfix", 0.5, False),
]


def target_lines(values):
    """One line per target: the measured figure and whether it is met."""
    out = []
    for key, label, factor, higher in TARGETS:
        ours, postfix = values(key, higher)
        if ours and postfix:
            met = ours >= factor * postfix if higher else ours <= factor * postfix
            out.append("- %s: %.2fx, %s" % (label, ours / postfix, "met" if met else "not met"))
        else:
            out.append("- %s: not measured" % label)
    ours, _ = values("kib_per_conn", False)
    out.append("- memory per idle connection <= 16 KiB: %s" % (
        "not measured" if ours is None else "%.1f KiB, %s" % (ours, "met" if ours <= 16 else "not met")))
    return out


# A section written by hand (where the time goes, what was changed and why), kept as it is.
NOTES = "## Where the time goes"


def ratio(a, b):
    return "%.2f" % (a / b) if a and b else "n/a"


def main(argv):
    if argv[:1] == ["relay"]:
        return relay_main(argv[1:])
    if argv[:1] == ["curves"]:
        return curves_main(argv[1:])
    if argv[:1] == ["tls"]:
        return tls_main(argv[1:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per server")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/performance.md"))
    ap.add_argument("--only", action="append", choices=("ours", "opensmtpd", "postfix"),
                    help="measure only this server (repeatable); for development runs")
    args = ap.parse_args(argv)
    scale = ({"messages": 500, "single": 100, "idle": 50, "traced": 100} if args.quick
             else {"messages": 5000, "single": 1000, "idle": 500, "traced": 500})
    servers = {
        # smtp-source -d sends 250 messages per session: raise the 100-per-session default.
        "ours": lambda: refservers.Ours(SMTPD, extra_config="smtp limit max-mails 100000"),
        "opensmtpd": lambda: refservers.OpenSmtpd(os.path.join(REFS, "opensmtpd"),
                                                  extra_config="smtp limit max-mails 100000"),
        "postfix": lambda: refservers.Postfix(POSTFIX),
    }
    if args.only:
        servers = {name: make for name, make in servers.items() if name in args.only}
    results = {name: [] for name in servers}
    durable = {}
    failures = {}
    for round_no in range(args.rounds):
        for name, make in servers.items():  # alternate: one server at a time, round after round
            server = make()
            try:
                server.start()
                durable[name] = server.durable_250
                figures = measure(server, scale)
                results[name].append(figures)
                print("round %d %-10s %s" % (round_no + 1, name,
                      " ".join("%s=%.1f" % kv for kv in figures.items())), flush=True)
            except Exception as e:  # a reference that cannot run is reported, not fatal
                failures[name] = str(e)
                print("round %d %-10s FAILED: %s" % (round_no + 1, name, e), flush=True)
            finally:
                server.stop()

    def best(name, key, higher):
        values = [r[key] for r in results.get(name, [])]
        if not values:
            return None
        return max(values) if higher else min(values)

    lines = ["| figure | ours | OpenSMTPD 6.8 | Postfix 3.7 | ours/OpenSMTPD | ours/Postfix |",
             "|---|---|---|---|---|---|"]
    for key, label, higher in ROWS:
        o, s, p = (best(n, key, higher) for n in ("ours", "opensmtpd", "postfix"))
        cell = lambda v: "%.1f" % v if v is not None else "n/a"  # noqa: E731
        lines.append("| %s | %s | %s | %s | %s | %s |" % (label, cell(o), cell(s), cell(p),
                                                         ratio(o, s), ratio(o, p)))
    durability = ", ".join("%s: %s" % (n, "durable (fsync before 250)" if d else "not durable")
                           for n, d in durable.items())
    text = "\n".join([
        "# Performance",
        "",
        "Generated by `bench/bench.py` on %s (%s, %d cores, %s). Messages of %d octets from "
        "Postfix's smtp-source over loopback, every server delivering to a Maildir; servers "
        "measured one at a time, alternating, best of %d round(s)%s." % (
            datetime.date.today().isoformat(), platform.platform(), os.cpu_count(),
            platform.machine(), MESSAGE_SIZE, args.rounds, " (--quick counts)" if args.quick else ""),
        "",
        "Whether the 250 is durable: %s." % durability,
        "",
        *lines,
        "",
        *("- %s could not be measured: %s" % (n, e) for n, e in failures.items()),
        "",
        "Targets (reported, never asserted):",
        "",
        *target_lines(lambda key, higher: (best("ours", key, higher), best("postfix", key, higher))),
        ""])
    print(text)
    import curves  # the sections of bench.py relay, curves and tls are kept
    import relay
    import tls
    text += sections.kept_sections(args.out, (NOTES, tls.SECTION, relay.SECTION, curves.SECTION))
    with open(args.out, "w") as f:
        f.write(text)
    return 0


def sub_command_parser(prog, section, quick_help, rounds):
    """The options bench.py relay and bench.py curves share."""
    ap = argparse.ArgumentParser(prog=prog)
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--rounds", type=int, default=rounds, help="alternating rounds per MTA")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/performance.md"),
                    help="Markdown file whose %s section is replaced ('' for none)" % section)
    ap.add_argument("--only", action="append", choices=("ours", "postfix"),
                    help="measure only this MTA (repeatable)")
    return ap


def relay_main(argv):
    """bench.py relay: end-to-end relay throughput and latency, ours and Postfix (relay.py)."""
    ap = sub_command_parser("bench.py relay", "relay", "300 messages, one round (< 1 minute)", 2)
    import relay
    return relay.main(ap.parse_args(argv))


def curves_main(argv):
    """bench.py curves: scaling curves, ours and Postfix (curves.py)."""
    ap = sub_command_parser("bench.py curves", "curves",
                            "about a tenth of the messages, one round (< 3 minutes)", 3)
    ap.add_argument("--plots", help="directory of the PNG plots (default: perf/ beside --out)")
    import curves
    return curves.main(ap.parse_args(argv))


def tls_main(argv):
    """bench.py tls: accept throughput with STARTTLS, ours and Postfix (tls.py)."""
    ap = sub_command_parser("bench.py tls", "tls", "400 messages, one round (< 1 minute)", 2)
    import tls
    return tls.main(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
