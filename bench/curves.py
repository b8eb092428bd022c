"""`bench.py curves`: the scaling curves of issue 15, ours and Postfix 3.7 side by side. One
dimension varies at a time from a base of BASE_SIZE-octet messages to one recipient over
BASE_SESSIONS concurrent sessions that keep their connections (smtp-source -d): accept throughput
against the message size, the recipients per message (each must be delivered) and the concurrent
sessions; memory (PSS summed over the server's processes) against idle connections, with the
time to the 220 of one more connection. Postfix runs a process per connection: it is measured
up to POSTFIX_MAX_CONNECTIONS, ours alone beyond. Each point is measured alone on a freshly
started server, the two alternating, round after round; a figure is the median over the rounds.
Writes a PNG per curve (matplotlib) and its section of docs/performance.md (sections.py).
Depends on: bench.py (smtp-source, PSS, CPU), relay.py (machine description),
conformance/refservers.py, sections.py, matplotlib; root (Postfix).
"""
import collections
import datetime
import math
import os
import platform
import resource
import socket
import statistics
import sys
import time

import bench
import refservers
import relay
import sections

SECTION = "## Scaling curves (`bench.py curves`)"
# Ends the generated figures; what follows it in the section (notes written by hand) is kept.
END_MARK = "<!-- end of the figures bench.py curves writes -->"
KIB, MIB = 1024, 1024 * 1024
BASE_SIZE = bench.MESSAGE_SIZE
BASE_SESSIONS = 10
POSTFIX_MAX_CONNECTIONS = 1000
# RLIMIT_NOFILE for this process and, inherited, the servers and smtp-source: 10,000 idle
# connections are that many descriptors on each side.
NOFILE = 65536
GREETING_PROBES = 5
GREETING_TIMEOUT = 10.0
NAMES = {"ours": "ours", "postfix": "Postfix 3.7"}

# A curve: its key (also the PNG's name), title, x-axis label, and points (x, messages in a full
# run, messages with --quick; for "idle" the x is the number of connections and no message is
# sent). The counts keep a full run (3 rounds) under 30 minutes on 2 cores, --quick under 3: the
# deliveries of the recipients curve (10,000 at 100 recipients) and Postfix's start, stop and
# process per connection take most of it.
Curve = collections.namedtuple("Curve", "key title xlabel points")
CURVES = [
    Curve("size", "Accept throughput vs message size", "message size",
          [(KIB, 2000, 300), (64 * KIB, 1000, 100), (MIB, 200, 20), (10 * MIB, 30, 4)]),
    Curve("recipients", "Accept throughput vs recipients per message", "recipients per message",
          [(1, 2000, 200), (10, 500, 100), (100, 100, 20)]),
    Curve("sessions", "Accept throughput vs concurrent sessions", "concurrent sessions",
          [(1, 1000, 100), (10, 2000, 200), (100, 2000, 300), (1000, 2000, 1000)]),
    Curve("idle", "Memory vs idle connections", "idle connections",
          [(100, 0, 0), (1000, 0, 0), (10000, 0, 0)]),
]


def make_servers(only):
    """{name: factory} of the servers to measure: ours from bench.SMTPD, Postfix from
    bench.POSTFIX, each with its limits raised for the largest point."""
    makers = {
        # smtp-source -d sends all its messages over the same sessions.
        "ours": lambda: refservers.Ours(bench.SMTPD, extra_config="smtp limit max-mails 1000000"),
        # A process per session, plus the probe's; Postfix refuses messages over 10,240,000
        # octets by default (message_size_limit), ours over 35 MiB.
        "postfix": lambda: refservers.Postfix(
            bench.POSTFIX, process_limit=POSTFIX_MAX_CONNECTIONS + 100,
            extra_main_cf="message_size_limit = %d" % (20 * MIB)),
    }
    return {name: make for name, make in makers.items() if not only or name in only}


def raise_nofile(wanted):
    """Raises RLIMIT_NOFILE of this process, which the servers and smtp-source it starts
    inherit, towards `wanted` (as `ulimit -n` before starting an MTA would): the hard limit
    too where this process may (root, outside a sandbox), else the soft one up to the hard one;
    the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            unlimited = hard == resource.RLIM_INFINITY
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (wanted, hard if unlimited else max(hard, wanted)))
        except (ValueError, OSError):  # the hard limit may not be raised here
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def send_timeout(messages, size, recipients):
    """Seconds smtp-source may take before it counts as hung (far above the slowest rate seen)."""
    return 60 + messages * (0.05 + 0.005 * recipients + size / (2.0 * MIB))


def throughput(server, size, recipients, sessions, messages):
    """Sends `messages` of `size` octets to `recipients` each over `sessions` concurrent sessions,
    waits (bounded) until every recipient is delivered; the figures."""
    cpu_before = bench.cpu_seconds(server.pids())
    elapsed = bench.smtp_source(server.port, sessions, messages, reuse=True, size=size,
                                recipients=recipients,
                                timeout=send_timeout(messages, size, recipients))
    expected = messages * recipients
    bench.wait_delivered(server, expected, timeout=send_timeout(messages, size, recipients) +
                         0.02 * expected)
    cpu = bench.cpu_seconds(server.pids()) - cpu_before
    return {"msg_per_s": messages / elapsed, "rcpt_per_s": expected / elapsed,
            "mib_per_s": messages * size / MIB / elapsed, "cpu_ms": 1000.0 * cpu / messages,
            "delivered": bench.delivered(server) / expected}


def greeting_ms(port, timeout=GREETING_TIMEOUT):
    """Milliseconds from the connect() of a new session on 127.0.0.1:`port` to the end of its
    220 reply; None when none comes within `timeout` seconds."""
    start = time.monotonic()
    deadline = start + timeout
    data = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            while not complete_reply(data) and time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = s.recv(512)
                if not chunk:
                    return None
                data += chunk
            elapsed = time.monotonic() - start
            s.sendall(b"QUIT\r\n")
    except OSError:
        return None
    return 1000.0 * elapsed if complete_reply(data) and data.startswith(b"220") else None


def complete_reply(data):
    """Whether `data` ends with the last line of a reply ("220 ...", not "220-...")."""
    if not data.endswith(b"\r\n"):
        return False
    return data[:-2].rsplit(b"\r\n", 1)[-1][3:4] == b" "


def idle_memory(server, connections):
    """PSS of the server's processes idle and with `connections` idle sessions open (each
    opened once the one before had its greeting), and the time to the 220 of one more session
    with them open (GREETING_PROBES probes, one after the other)."""
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if limit != resource.RLIM_INFINITY and limit < connections + 100:
        raise RuntimeError("RLIMIT_NOFILE is %d here, too low for %d connections" % (
            limit, connections))
    time.sleep(1)  # the start-up settles
    idle = bench.pss_kib(server.pids())
    socks = bench.idle_connections(server.port, connections, timeout=60 + 0.05 * connections)
    try:
        time.sleep(1)
        loaded = bench.pss_kib(server.pids())
        probes = [greeting_ms(server.port) for _ in range(GREETING_PROBES)]
    finally:
        for s in socks:
            s.close()
    times = [math.inf if p is None else p for p in probes]  # inf: no 220 in time
    return {"pss_mib": loaded / 1024.0, "added_mib": (loaded - idle) / 1024.0,
            "kib_per_conn": (loaded - idle) / connections,
            "greeting_ms": statistics.median(times), "greeting_max_ms": max(times)}


def measure_point(server, curve, x, messages):
    """The figures of one point of `curve` on the started `server`."""
    if curve.key == "size":
        return throughput(server, x, 1, BASE_SESSIONS, messages)
    if curve.key == "recipients":
        return throughput(server, BASE_SIZE, x, BASE_SESSIONS, messages)
    if curve.key == "sessions":
        return throughput(server, BASE_SIZE, 1, x, messages)
    return idle_memory(server, x)


def measure_alone(make, curve, x, messages):
    """Starts a server from `make`, measures one point on it, stops it and removes its files;
    a failure carries the end of the server's log."""
    server = make()
    try:
        server.start()
        return measure_point(server, curve, x, messages)
    except Exception as e:
        raise RuntimeError("%s; log: %s" % (e, server.log_tail(500).strip())) from e
    finally:
        server.cleanup()


def applies(name, curve, x):
    """Whether server `name` is measured at this point (Postfix: a process per connection)."""
    return not (name == "postfix" and curve.key == "idle" and x > POSTFIX_MAX_CONNECTIONS)


def run(makers, curves, rounds, quick):
    """Every point of `curves`, each server alone, alternating (the order flips each round);
    ({(curve key, x): {name: [figures per round]}}, [failure lines])."""
    results = {(c.key, x): {n: [] for n in makers} for c in curves for x, _, _ in c.points}
    failures = []
    for round_no in range(rounds):
        order = list(makers) if round_no % 2 == 0 else list(makers)[::-1]
        for curve in curves:
            for x, full, short in curve.points:
                for name in (n for n in order if applies(n, curve, x)):
                    where = "round %d %s %s %s" % (round_no + 1, name, curve.key, label(curve, x))
                    began = time.monotonic()
                    try:
                        figures = measure_alone(makers[name], curve, x, short if quick else full)
                    except Exception as e:  # reported, not fatal: the other points still run
                        failures.append("%s: %s" % (where, e))
                        print("%s FAILED: %s" % (where, e), flush=True)
                        continue
                    results[(curve.key, x)][name].append(figures)
                    print("%s %s (%.0f s)" % (where, " ".join("%s=%s" % (k, cell(v)) for k, v in
                                                             figures.items()),
                                              time.monotonic() - began), flush=True)
    return results, failures


def label(curve, x):
    """The x of a point as the tables and plots show it."""
    if curve.key == "size":
        return "%d MiB" % (x // MIB) if x >= MIB else "%d KiB" % (x // KIB)
    return "{:,}".format(x)


def cell(value, digits=1):
    """A figure for a table: n/a when not measured; an infinite time is a 220 that never came."""
    if value is None:
        return "n/a"
    return "none in %.0f s" % GREETING_TIMEOUT if value == math.inf else "%.*f" % (digits, value)


def median(results, curve, x, name, key):
    """The median over the rounds of figure `key` at one point (the least share delivered),
    or None."""
    values = [r[key] for r in results[(curve.key, x)].get(name, []) if r.get(key) is not None]
    if not values:
        return None
    return min(values) if key == "delivered" else statistics.median(values)


# The columns of each curve's table: (figure, heading, digits); each shown for ours and Postfix,
# the first with the ratio ours/Postfix.
THROUGHPUT = ("msg_per_s", "msg/s", 1)
CPU = ("cpu_ms", "CPU ms/msg", 2)
DELIVERED = ("delivered", "delivered", 3)
COLUMNS = {
    "size": [THROUGHPUT, ("mib_per_s", "MiB/s", 1), CPU, DELIVERED],
    "recipients": [THROUGHPUT, ("rcpt_per_s", "rcpt/s", 1), CPU, DELIVERED],
    "sessions": [THROUGHPUT, CPU, DELIVERED],
    "idle": [("pss_mib", "PSS MiB", 1), ("kib_per_conn", "KiB/conn", 1),
             ("greeting_ms", "220 in ms (median)", 1), ("greeting_max_ms", "220 in ms (max)", 1)],
}


def table(results, curve, names):
    """The Markdown table of one curve."""
    columns = COLUMNS[curve.key]
    heads = [curve.xlabel]
    for i, (_, heading, _) in enumerate(columns):
        heads += ["%s %s" % (heading, "ours" if n == "ours" else "Postfix") for n in names]
        if i == 0 and len(names) == 2:
            heads.append("ours/Postfix")
    lines = ["| %s |" % " | ".join(heads), "|%s" % ("---|" * len(heads))]
    for x, _, _ in curve.points:
        row = [label(curve, x)]
        for i, (key, _, digits) in enumerate(columns):
            values = [median(results, curve, x, n, key) for n in names]
            row += [cell(v, digits) for v in values]
            if i == 0 and len(names) == 2:
                row.append("%.2f" % (values[0] / values[1]) if all(values) else "n/a")
        lines.append("| %s |" % " | ".join(row))
    return "\n".join(lines)


# A fitted cost that changes by less than this factor either way over a whole curve is called
# flat: the noise of a point (a loaded 2-core machine) is well within it.
FLAT = 1.5


def growth_word(slope, span):
    """How a cost grows, from the slope of log(cost) against log(x) and the span of x (last
    over first): flat when the fitted line changes by less than FLAT over the span."""
    fitted = span ** slope
    if fitted < 1 / FLAT:
        return "falling"
    if fitted <= FLAT:
        return "flat"
    if slope < 0.85:
        return "sublinear"
    return "linear" if slope <= 1.15 else "worse than linear"


def growth(points):
    """For [(x, cost)] (costs > 0, x rising): the cost factor from the first to the last point,
    the slope of the least-squares line through (log x, log cost) of all points, and the spans
    between neighbours steeper than linear."""
    logs = [(math.log(x), math.log(c)) for x, c in points]
    mx = statistics.mean(lx for lx, _ in logs)
    my = statistics.mean(ly for _, ly in logs)
    slope = (sum((lx - mx) * (ly - my) for lx, ly in logs) /
             sum((lx - mx) ** 2 for lx, _ in logs))
    steep = [(a[0], b[0]) for a, b in zip(points, points[1:])
             if math.log(b[1] / a[1]) / math.log(b[0] / a[0]) > 1.15]
    return points[-1][1] / points[0][1], slope, steep


# What each curve's sentence calls its cost, and how the cost is derived from a point's figures.
COSTS = {
    "size": ("time per message (the inverse of the throughput)", "msg_per_s", True),
    "recipients": ("time per message", "msg_per_s", True),
    "sessions": ("time per message", "msg_per_s", True),
    "idle": ("memory added by the open connections (PSS)", "added_mib", False),
}


def sentence(results, curve, names):
    """One sentence saying how the cost grows along `curve`, from the medians only."""
    what, key, inverse = COSTS[curve.key]
    parts = []
    for name in names:
        points = []
        for x, _, _ in curve.points:
            value = median(results, curve, x, name, key)
            if value is not None and value > 0:
                points.append((x, 1.0 / value if inverse else value))
        if len(points) < 2:
            parts.append("%s: too few points measured" % NAMES[name])
            continue
        factor, slope, steep = growth(points)
        word = growth_word(slope, points[-1][0] / points[0][0])
        part = "%s ×%s from %s to %s (%s; log-log slope %.2f)" % (
            NAMES[name], "{:,.0f}".format(factor) if factor >= 100 else "%.3g" % factor,
            label(curve, points[0][0]), label(curve, points[-1][0]), word, slope)
        if steep and word != "worse than linear":
            part += ", worse than linear from %s" % ", from ".join(
                "%s to %s" % (label(curve, a), label(curve, b)) for a, b in steep)
        parts.append(part)
    return "How the %s changes with the %s: %s." % (what, curve.xlabel, "; ".join(parts))


DEBIAN_PACKAGES = "/usr/lib/python3/dist-packages"


def pyplot():
    """matplotlib's pyplot, drawing to files only. When this interpreter is not Debian's
    (pyenv, a venv), Debian's python3-matplotlib is looked for in DEBIAN_PACKAGES too; when
    neither has it, exits saying how to get it."""
    try:
        import matplotlib
    except ImportError:
        if DEBIAN_PACKAGES not in sys.path and os.path.isdir(DEBIAN_PACKAGES):
            sys.path.append(DEBIAN_PACKAGES)  # last: this interpreter's own packages first
        try:
            import matplotlib
        except Exception as e:  # missing, or built for another Python
            raise SystemExit(
                "bench.py curves draws its plots with matplotlib, which %s cannot import (%s): "
                "apt-get install -y python3-matplotlib and run it with Debian's /usr/bin/python3, "
                "or pip install matplotlib for this interpreter" % (sys.executable, e))
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


# The panels of each curve's PNG: (figure, y-axis label); the x axis logarithmic.
PANELS = {
    "size": [("msg_per_s", "messages/s"), ("mib_per_s", "MiB/s")],
    "recipients": [("msg_per_s", "messages/s"), ("rcpt_per_s", "recipients/s")],
    "sessions": [("msg_per_s", "messages/s"), ("cpu_ms", "server CPU ms per message")],
    "idle": [("pss_mib", "PSS with the connections open (MiB)"),
             ("greeting_ms", "time to the 220 of one more (ms)")],
}


def scale_y(ax):
    """A logarithmic y axis where the plotted values span a factor of 10 or more, else a linear
    one from 0 (a log axis over a narrow span reads as a steep change)."""
    values = [y for line in ax.get_lines() for y in line.get_ydata()]
    if values and max(values) >= 10 * min(values):
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0, top=1.1 * max(values, default=1))


def plot(path, results, curve, names):
    """Draws `curve` (ours and Postfix, one panel per figure of PANELS) into the PNG `path`."""
    plt = pyplot()
    from matplotlib.ticker import NullLocator
    panels = PANELS[curve.key]
    fig, axes = plt.subplots(1, len(panels), figsize=(10, 3.8))
    xs = [x for x, _, _ in curve.points]
    for ax, (key, ylabel) in zip(axes, panels):
        for name, marker in zip(names, ("o", "s")):
            points = [(x, median(results, curve, x, name, key)) for x in xs]
            points = [(x, y) for x, y in points if y is not None and 0 < y < math.inf]
            if points:
                ax.plot(*zip(*points), marker=marker, label=NAMES[name])
        ax.set_xscale("log")
        scale_y(ax)
        ax.set_xticks(xs)
        ax.set_xticklabels([label(curve, x) for x in xs])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel(curve.xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend()
    fig.suptitle(curve.title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def method(context):
    """The paragraph that opens the section: machine, method, how to read the tables."""
    return (
        "Generated on %s (%s, %d cores of %s, %s; load average %s at the start, %s at the end). "
        "One dimension varied at a time from a base of %d-octet messages to one recipient over "
        "%d concurrent sessions that keep their connections (Postfix's smtp-source -d), every "
        "recipient delivered to a Maildir; each point measured alone on a freshly started "
        "server, ours and Postfix 3.7 alternating, %d round(s)%s, each figure the median over "
        "the rounds (the recipients curve at 1 and the sessions curve at %d are the same "
        "configuration measured twice: their difference is the noise). Throughput: messages "
        "(or recipients, or MiB) over smtp-source's run time; "
        "server CPU per message: all the server's processes from the first message until every "
        "recipient is in the Maildir. Memory: PSS summed over the server's processes with the "
        "idle connections open, each opened once the one before had its 220; Postfix, a "
        "process per connection, up to %s connections, ours alone beyond; the time to the 220 "
        "of one more session with them open, %d probes one after the other. In the tables: "
        "server CPU ms/msg, deliveries included; delivered, the share of the recipients in the "
        "Maildir at the end (1.000: all). RLIMIT_NOFILE %d for the servers and the client. "
        "Each curve's sentence gives its cost's factor from the first point to the last and "
        "the slope of the least-squares line through its points on log-log scales: flat when "
        "that line changes by less than a factor of 1.5 either way over the curve (falling "
        "when it drops more), "
        "else sublinear below a slope of 0.85, linear up to 1.15, worse than linear above." % (
            datetime.date.today().isoformat(), platform.platform(), os.cpu_count(),
            relay.cpu_model(), platform.machine(), context["load"][0], context["load"][1],
            BASE_SIZE, BASE_SESSIONS, context["rounds"],
            " (--quick counts)" if context["quick"] else "", BASE_SESSIONS,
            "{:,}".format(POSTFIX_MAX_CONNECTIONS), GREETING_PROBES, context["nofile"]))


def report(results, failures, names, context):
    """The section of docs/performance.md: the method, then per curve its table, its plot and
    its sentence, then the failures. `context`: rounds, quick, nofile, load, plots ({key: link})."""
    out = [SECTION, "", method(context), ""]
    for curve in CURVES:
        out += ["### %s" % curve.title, "", table(results, curve, names), ""]
        if curve.key in context["plots"]:
            out += ["![%s](%s)" % (curve.title, context["plots"][curve.key]), ""]
        out += [sentence(results, curve, names), ""]
    out += ["- could not be measured: %s" % f for f in failures]
    out += ["" if failures else None, END_MARK, ""]
    return "\n".join(line for line in out if line is not None)


def draw_plots(results, names, out, plots_dir):
    """One PNG per curve in `plots_dir` (default: perf/ beside `out`; none without either);
    {curve key: the link to it from `out`'s directory}."""
    if not out and not plots_dir:
        return {}
    base = os.path.dirname(os.path.abspath(out)) if out else os.getcwd()
    plots_dir = plots_dir or os.path.join(base, "perf")
    os.makedirs(plots_dir, exist_ok=True)
    links = {}
    for curve in CURVES:
        path = os.path.join(plots_dir, "curve-%s.png" % curve.key)
        plot(path, results, curve, names)
        links[curve.key] = os.path.relpath(path, base)
    return links


def main(args):
    """bench.py curves: measures, prints and writes the section and the plots."""
    if os.geteuid() != 0:
        print("bench.py curves needs root (Postfix, its users and its master)")
        return 2
    pyplot()  # before the measurements: a missing matplotlib is said at once
    makers = make_servers(args.only)
    names = [n for n in ("ours", "postfix") if n in makers]
    nofile = raise_nofile(NOFILE)
    load_start = relay.loadavg()
    started = time.monotonic()
    rounds = 1 if args.quick else args.rounds
    results, failures = run(makers, CURVES, rounds, args.quick)
    print("measured in %.0f s" % (time.monotonic() - started), flush=True)
    plots = draw_plots(results, names, args.out, args.plots)
    text = report(results, failures, names, {"rounds": rounds, "quick": args.quick,
                                             "nofile": nofile, "plots": plots,
                                             "load": (load_start, relay.loadavg())})
    print(text)
    if args.out:
        sections.replace_section(args.out, SECTION, END_MARK, text)
    return 0 if any(r for point in results.values() for r in point.values()) else 1
