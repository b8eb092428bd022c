"""`bench.py relay`: end-to-end relay throughput and latency (issue 14, Benchmark). Messages are
submitted on the relaying MTA's local listener (127.0.0.1) for sink.example, whose MX
(mx.sink.example, 127.0.0.40 port 25) is Postfix's smtp-sink; the relaying MTA is ours, then
Postfix, alternating, in one run. Everything runs inside the private network and mount namespace
of tests/integration/netns.py (its own lo, resolv.conf and unbound with the test zones): both
MTAs find the MX through that unbound, ours through libunbound and Postfix through the C
library's resolver (smtp_dns_support_level = enabled: the same DNS, no transport map). No name
is ever resolved outside the namespace.

The submitter is one asyncio client here: SESSIONS connections, each sending its share of the
messages one after the other (MAIL, RCPT and DATA pipelined, then the content), each message
with a unique recipient b<n>@sink.example. smtp-sink (-d) writes each message it accepted to
a file on tmpfs; the file's mtime is the arrival time. Per message the latency is arrival minus
the instant its MAIL was sent, both on the kernel's coarse real-time clock (a 4 ms tick: the
file times' clock); the throughput is the messages over the time from the first MAIL
to the last arrival. Depends on: conformance/refservers.py, tests/integration/netns.py and
relay_env.py, bench/sections.py, the standard library; root (Postfix, smtp-sink's privilege
drop).
"""
import asyncio
import datetime
import os
import platform
import re
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "conformance"))
sys.path.insert(0, os.path.join(ROOT, "tests/integration"))
import bench  # noqa: E402  (cpu_seconds; bench.py imports this module only when it runs)
import netns  # noqa: E402
import refservers  # noqa: E402
import relay_env  # noqa: E402
import sections  # noqa: E402

POSTFIX = bench.POSTFIX
DOMAIN = "sink.example"
SINK_ADDRESS = "127.0.0.40"
LOCAL_DATA = ["%s. IN MX 10 mx.%s." % (DOMAIN, DOMAIN), "mx.%s. IN A %s" % (DOMAIN, SINK_ADDRESS)]
MESSAGE_SIZE = 4096
# smtp-sink speaks ESMTP with PIPELINING (its EHLO reply ends with an empty "250 " line, which
# both clients take). -c: running counters of sessions and messages on its standard output (relay_env's log file).
SINK_OPTIONS = ["-c"]
SESSIONS = 20
# The paced run: messages offered at this rate (below what either MTA relays here), so that its
# latency is the relay's own and not the time spent behind a backlog.
PACED_RATE = 50.0

class RelayingOurs(refservers.Ours):
    """Our smtpd with OpenSMTPD's default relay rule (`match from local for any action "relay"`)."""

    CONFIG = relay_env.RELAY_CONFIG

    def __init__(self):
        # 20 sessions send all messages over reused connections: raise the 100-per-session limit.
        super().__init__(bench.SMTPD, extra_config="smtp limit max-mails 1000000")

    def start(self, timeout=30):
        super().start(timeout)
        netns.resolver_nameservers(self.log_tail(100000))  # raises unless on loopback
        return self


def relaying_postfix():
    """Postfix relaying for 127.0.0.0/8 through MX lookups in the namespace's DNS."""
    return refservers.Postfix(POSTFIX, extra_main_cf="\n".join([
        "mynetworks = 127.0.0.0/8",
        "smtp_dns_support_level = enabled",
        "smtp_host_lookup = dns",
        "smtpd_client_message_rate_limit = 0",
    ]))


def message(n):
    head = ("From: <bench@localhost>\r\nTo: <b%d@%s>\r\nSubject: relay bench %d\r\n"
            "Message-ID: <relay-bench-%d@localhost>\r\n\r\n" % (n, DOMAIN, n, n))
    line = "relay bench message %d %s\r\n" % (n, "x" * 40)
    body = (line * (MESSAGE_SIZE // len(line) + 1))[:MESSAGE_SIZE - len(head) - 2] + "\r\n"
    return (head + body).encode()


async def _reply(reader):
    """One reply (all its lines); its code."""
    while True:
        line = await reader.readline()
        if not line:
            raise EOFError("connection closed")
        if line[3:4] != b"-":
            return int(line[:3])


async def _session(port, numbers, started, due):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        if await _reply(reader) != 220:
            raise RuntimeError("no 220 greeting")
        writer.write(b"EHLO bench.localhost\r\n")
        if await _reply(reader) != 250:
            raise RuntimeError("EHLO refused")
        for n in numbers:
            wait = due(n) - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            started[n] = arrival_clock()
            writer.write(b"MAIL FROM:<bench@localhost>\r\nRCPT TO:<b%d@%s>\r\nDATA\r\n"
                         % (n, DOMAIN.encode()))
            codes = [await _reply(reader) for _ in range(3)]
            if codes != [250, 250, 354]:
                raise RuntimeError("message %d: replies %s" % (n, codes))
            writer.write(message(n) + b".\r\n")
            code = await _reply(reader)
            if code != 250:
                raise RuntimeError("message %d: end of data %d" % (n, code))
        writer.write(b"QUIT\r\n")
        await writer.drain()
    finally:
        writer.close()


# Linux's CLOCK_REALTIME_COARSE (not in Python's time module): the clock the kernel stamps file
# times with, up to one tick behind CLOCK_REALTIME. The MAIL instant is read from it too, so that
# a latency is never the difference of two clocks (with a fast relay, time.time() against the
# file's mtime came out negative); a latency has that clock's granularity (a tick: 4 ms at HZ=250).
CLOCK_REALTIME_COARSE = 5


def arrival_clock():
    return time.clock_gettime(CLOCK_REALTIME_COARSE)


def submit(port, count, sessions, rate=None):
    """Sends `count` messages over `sessions` connections, as fast as they are accepted or
    (rate) message n not before n/rate seconds after the start; {n: time its MAIL was sent}."""
    started = {}
    t0 = time.time()

    def due(n):
        return t0 + n / rate if rate else 0.0

    async def run():
        await asyncio.gather(*(_session(port, range(i, count, sessions), started, due)
                               for i in range(sessions)))
    asyncio.run(run())
    return started


def arrivals(dump_dir):
    """{n: arrival time} of the complete messages smtp-sink dumped, and how many copies
    there were beyond the first (a relay must send each message once)."""
    out = {}
    extra = 0
    for name in os.listdir(dump_dir):
        path = os.path.join(dump_dir, name)
        try:
            with open(path, "rb") as f:
                data = f.read()
            mtime = os.stat(path).st_mtime
        except FileNotFoundError:
            continue  # an aborted transaction's file, removed by smtp-sink
        if not data.endswith(b"\n\n"):
            continue  # still being written
        for line in data.split(b"\n", 8):
            if line.startswith(b"X-Rcpt-Args: <b"):
                n = int(line[len(b"X-Rcpt-Args: <b"):].split(b"@")[0])
                extra += n in out
                out[n] = min(mtime, out.get(n, mtime))
    return out, extra


def sink_sessions(log):
    """The number of SMTP sessions in smtp-sink's last -c counter line ("sess=N quit=N mesg=M")."""
    found = re.findall(r"sess=(\d+) quit=\d+ mesg=\d+", log)
    return int(found[-1]) if found else 0


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def measure(server, env, count, rate=None):
    """Submits `count` messages to the started `server` (at `rate` per second, or as fast as it
    takes them); waits until the sink has them all; the figures."""
    sink = env.sink(SINK_ADDRESS, options=SINK_OPTIONS)
    try:
        cpu_before = bench.cpu_seconds(server.pids())
        started = submit(server.port, count, SESSIONS, rate)
        deadline = time.monotonic() + 60 + count / 20.0
        got, extra = {}, 0
        while time.monotonic() < deadline:
            got, extra = arrivals(sink.dump_dir)
            if len(got) >= count:
                break
            time.sleep(0.2)
        cpu = bench.cpu_seconds(server.pids()) - cpu_before
        time.sleep(0.5)  # the last sessions end (QUIT) and the counters are written
        got, extra = arrivals(sink.dump_dir)
    finally:
        sink.stop()
    if len(got) < count:
        raise RuntimeError("the sink got %d of %d messages" % (len(got), count))
    sessions = sink_sessions(sink.log())
    latencies = [(got[n] - started[n]) * 1000.0 for n in started]
    span = max(got.values()) - min(started.values())
    return {"msg_per_s": count / span, "p50_ms": percentile(latencies, 50),
            "p90_ms": percentile(latencies, 90), "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies), "mean_ms": statistics.mean(latencies),
            "cpu_per_1000": cpu * 1000.0 / count,
            "msgs_per_conn": count / sessions if sessions else 0.0, "duplicates": float(extra)}


def measure_both(server, env, count, paced):
    """The saturated run (`count` messages) and the paced one (`paced` at PACED_RATE); one
    dict, the paced figures prefixed "paced_"."""
    figures = measure(server, env, count)
    for key, value in measure(server, env, paced, PACED_RATE).items():
        if key in ("p50_ms", "p90_ms", "p99_ms", "max_ms", "duplicates"):
            figures["paced_" + key] = value
    figures["duplicates"] += figures.pop("paced_duplicates")
    return figures


ROWS = [("msg_per_s", "end-to-end throughput, as fast as accepted (msg/s)"),
        ("p50_ms", "latency p50 then, MAIL sent to arrival at the sink (ms)"),
        ("p90_ms", "latency p90 then (ms)"), ("p99_ms", "latency p99 then (ms)"),
        ("max_ms", "latency max then (ms)"),
        ("paced_p50_ms", "latency p50 at %d msg/s offered (ms)" % PACED_RATE),
        ("paced_p90_ms", "latency p90 at %d msg/s (ms)" % PACED_RATE),
        ("paced_p99_ms", "latency p99 at %d msg/s (ms)" % PACED_RATE),
        ("paced_max_ms", "latency max at %d msg/s (ms)" % PACED_RATE),
        ("cpu_per_1000", "relaying MTA CPU seconds per 1,000 messages (saturated run)"),
        ("msgs_per_conn", "messages per connection to the sink (saturated run)"),
        ("duplicates", "copies at the sink beyond the first, all runs (must be 0)")]


def report(results, count, paced, rounds, quick, load):
    def best(name, key):
        """The median over the rounds (the worst for duplicates)."""
        values = [r[key] for r in results[name]]
        if not values:
            return None
        return max(values) if key == "duplicates" else statistics.median(values)

    lines = ["| figure | ours | Postfix 3.7 | ours/Postfix |", "|---|---|---|---|"]
    for key, label in ROWS:
        o, p = best("ours", key), best("postfix", key)
        cell = lambda v: "%.1f" % v if v is not None else "n/a"  # noqa: E731
        lines.append("| %s | %s | %s | %s |" % (label, cell(o), cell(p),
                                                "%.2f" % (o / p) if o and p else "n/a"))
    o, p = best("ours", "msg_per_s"), best("postfix", "msg_per_s")
    per_round = "; ".join("%s %s" % (n, ", ".join("%.1f" % r["msg_per_s"] for r in results[n]))
                          for n in ("ours", "postfix") if results[n])
    goal = "not measured"
    if o and p:
        goal = "%.2fx, %s" % (o / p, "met" if o >= 1.5 * p else "not met")
    return "\n".join([
        "## Relay, end to end (`bench.py relay`)",
        "",
        "Generated on %s (%s, %d cores of %s, %s; load average %s at the start, %s at the end). "
        "Per MTA and round: %d messages of %d octets as fast as they are accepted, then %d "
        "offered at %d msg/s%s, submitted by %d concurrent sessions (connections "
        "reused, MAIL/RCPT/DATA pipelined) on the relaying MTA's local listener, for %s, whose "
        "MX is Postfix's smtp-sink on %s:25 (dumping to tmpfs; ESMTP with PIPELINING, which both "
        "use); each MTA measured alone, "
        "alternating, %d round(s), each figure the median over the rounds. Inside a private network namespace with its own "
        "unbound: ours finds the MX through libunbound, Postfix through the C library's "
        "resolver (`smtp_dns_support_level = enabled`), the same DNS, no transport map. Both "
        "fsync their queue before the 250." % (
            datetime.date.today().isoformat(), platform.platform(), os.cpu_count(),
            cpu_model(), platform.machine(), load[0], load[1], count, MESSAGE_SIZE,
            paced, PACED_RATE, " (--quick)" if quick else "", SESSIONS, DOMAIN, SINK_ADDRESS, rounds),
        "",
        *lines,
        "",
        "Throughput per round (msg/s): %s." % per_round,
        "",
        "Goal (reported, never asserted): relay throughput >= 1.5x Postfix: %s." % goal,
        "",
        END_MARK,
        ""])


SECTION = "## Relay, end to end"
# Ends the generated figures; what follows it in the section (notes written by hand) is kept.
END_MARK = "<!-- end of the figures bench.py relay writes -->"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "an unknown CPU"


def loadavg():
    return "%.1f/%.1f/%.1f" % os.getloadavg()


def main(args):
    if os.geteuid() != 0:
        print("bench.py relay needs root (Postfix, smtp-sink, the namespace)", file=sys.stderr)
        return 2
    netns.enter(LOCAL_DATA)
    count, paced = (300, 100) if args.quick else (3000, 500)
    rounds = 1 if args.quick else args.rounds
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    servers = {"ours": RelayingOurs, "postfix": relaying_postfix}
    if args.only:
        servers = {n: m for n, m in servers.items() if n in args.only}
    results = {"ours": [], "postfix": []}
    load_start = loadavg()
    for round_no in range(rounds):
        for name, make in servers.items():
            env = relay_env.RelayEnv(directory=shm)
            server = make()
            try:
                server.start()
                figures = measure_both(server, env, count, paced)
                results[name].append(figures)
                print("round %d %-8s %s" % (round_no + 1, name, " ".join(
                    "%s=%.1f" % kv for kv in figures.items())), flush=True)
            except Exception as e:  # reported, not fatal: the other MTA is still measured
                print("round %d %-8s FAILED: %s\n%s" % (round_no + 1, name, e,
                                                        server.log_tail(2000)), flush=True)
            finally:
                server.cleanup()
                env.stop()
    text = report(results, count, paced, rounds, args.quick, (load_start, loadavg()))
    print(text)
    if args.out:
        sections.replace_section(args.out, SECTION, END_MARK, text)
    return 0 if results["ours"] or results["postfix"] else 1

