"""`bench.py tls`: accept throughput with STARTTLS (issue 15: "measure with STARTTLS on as well",
most real sessions being TLS), ours and Postfix 3.7, alternating, each delivering to a Maildir.
Both servers get a self-signed ECDSA P-256 certificate made at run time (the key type decides
the handshake's cost, so it is the same for both). One asyncio client with SESSIONS concurrent
sessions: each connects, reads the 220, sends EHLO and STARTTLS, makes the handshake (TLS 1.3,
no verification), sends EHLO again, then its messages (MAIL, RCPT and DATA pipelined, then the
content); either all its share on one connection (reused) or a new connection, with its own
handshake, per message. Throughput is messages over the time to the last 250; server CPU per
1,000 messages is read once the Maildir has them all. The client runs on the same two cores.
Depends on: conformance/refservers.py, bench/bench.py's helpers, bench/sections.py, the
standard library; root (Postfix).
"""
import asyncio
import datetime
import os
import platform
import ssl
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "conformance"))
import refservers  # noqa: E402

import sections  # noqa: E402

SECTION = "## STARTTLS (`bench.py tls`)"
END_MARK = "<!-- end of the figures bench.py tls writes -->"
SESSIONS = 20
MESSAGE_SIZE = 4096
TIMEOUT = 60  # seconds for any one reply


def message(n):
    """A MESSAGE_SIZE message, dot-stuffing not needed, with its end of data."""
    head = "From: <bench@example.org>\r\nTo: <rcpt@localhost>\r\nSubject: tls bench %d\r\n\r\n" % n
    line = "tls bench message %d %s\r\n" % (n, "x" * 40)
    body = (line * (MESSAGE_SIZE // len(line) + 1))[:MESSAGE_SIZE - len(head) - 2] + "\r\n"
    return (head + body + ".\r\n").encode()


async def reply(reader):
    """One reply (all its lines); its code."""
    while True:
        line = await asyncio.wait_for(reader.readline(), TIMEOUT)
        if not line:
            raise EOFError("connection closed")
        if line[3:4] != b"-":
            return int(line[:3])


async def expect(reader, code, what):
    got = await reply(reader)
    if got != code:
        raise RuntimeError("%s: %d, not %d" % (what, got, code))


async def tls_session(port, context):
    """A connection past STARTTLS and the second EHLO: (reader, writer)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
    await expect(reader, 220, "greeting")
    writer.write(b"EHLO bench.example.org\r\n")
    await expect(reader, 250, "EHLO")
    writer.write(b"STARTTLS\r\n")
    await expect(reader, 220, "STARTTLS")
    await asyncio.wait_for(writer.start_tls(context, server_hostname="localhost"), TIMEOUT)
    writer.write(b"EHLO bench.example.org\r\n")
    await expect(reader, 250, "EHLO after STARTTLS")
    return reader, writer


async def send(reader, writer, n):
    writer.write(b"MAIL FROM:<bench@example.org>\r\nRCPT TO:<rcpt@localhost>\r\nDATA\r\n")
    codes = [await reply(reader) for _ in range(3)]
    if codes != [250, 250, 354]:
        raise RuntimeError("message %d: replies %s" % (n, codes))
    writer.write(message(n))
    await expect(reader, 250, "message %d: end of data" % n)


async def close(writer):
    writer.write(b"QUIT\r\n")
    try:
        await asyncio.wait_for(writer.drain(), TIMEOUT)
    finally:
        writer.close()


async def reused(port, context, numbers):
    reader, writer = await tls_session(port, context)
    for n in numbers:
        await send(reader, writer, n)
    await close(writer)


async def one_per_connection(port, context, numbers):
    for n in numbers:
        reader, writer = await tls_session(port, context)
        await send(reader, writer, n)
        await close(writer)


def client_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def submit(port, count, per_connection):
    """Sends `count` messages over SESSIONS concurrent sessions; the seconds it took."""
    context = client_context()
    session = one_per_connection if per_connection else reused

    async def run():
        await asyncio.gather(*(session(port, context, range(i, count, SESSIONS))
                               for i in range(SESSIONS)))
    start = time.monotonic()
    asyncio.run(run())
    return time.monotonic() - start


def ec_certificate(directory):
    """A self-signed P-256 certificate and key made now: (cert, key)."""
    cert, key = os.path.join(directory, "bench.crt"), os.path.join(directory, "bench.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def servers():
    """name -> a function making the server, not started."""
    build = os.environ.get("SMTPD_BENCH_BUILD", os.path.join(ROOT, "build/release"))
    refs = os.environ.get("SMTPD_BENCH_REFS", os.path.join(ROOT, "build/refs"))

    def ours():
        server = refservers.Ours(os.path.join(build, "runtime/smtpd"),
                                 extra_config="smtp limit max-mails 100000")
        cert, key = ec_certificate(server.dir)
        server.extra_config += '\npki localhost cert "%s"\npki localhost key "%s"\n' % (cert, key)
        server.listen_options = "tls pki localhost"
        return server
    return {"ours": ours,
            "postfix": lambda: refservers.Postfix(os.path.join(refs, "postfix"), tls=True)}


def measure(server, count):
    """The figures of one started server."""
    import bench  # its helpers: cpu_seconds, wait_delivered, delivered
    figures = {}
    figures["reused"] = count / submit(server.port, count, per_connection=False)
    figures["new_conn"] = (count // 4) / submit(server.port, count // 4, per_connection=True)
    bench.wait_delivered(server, count + count // 4)
    before = bench.cpu_seconds(server.pids())
    submit(server.port, count, per_connection=False)
    bench.wait_delivered(server, 2 * count + count // 4)
    figures["cpu_per_1000"] = (bench.cpu_seconds(server.pids()) - before) * 1000 / count
    return figures


ROWS = [("reused", "STARTTLS once per session, 20 reused sessions (msg/s)", True),
        ("new_conn", "STARTTLS and a new connection per message, 20 sessions (msg/s)", True),
        ("cpu_per_1000", "server CPU seconds per 1,000 messages over TLS, deliveries included",
         False)]


def report(results, count, rounds, quick):
    def best(name, key, higher):
        values = [r[key] for r in results.get(name, [])]
        if not values:
            return None
        return max(values) if higher else min(values)
    cell = lambda v: "%.1f" % v if v is not None else "n/a"  # noqa: E731
    lines = ["| figure | ours | Postfix 3.7 | ours/Postfix |", "|---|---|---|---|"]
    for key, label, higher in ROWS:
        o, p = best("ours", key, higher), best("postfix", key, higher)
        lines.append("| %s | %s | %s | %s |" % (label, cell(o), cell(p),
                                                 "%.2f" % (o / p) if o and p else "n/a"))
    return "\n".join([
        SECTION, "",
        "Generated on %s (%s, %d cores). %d messages of %d octets over %d concurrent sessions "
        "with STARTTLS (TLS 1.3, ECDSA P-256 certificates on both servers), a quarter of them "
        "with a new connection and handshake each; each server alone, alternating, best of %d "
        "round(s)%s; the asyncio client shares the two cores." % (
            datetime.date.today().isoformat(), platform.platform(), os.cpu_count(), count,
            MESSAGE_SIZE, SESSIONS, rounds, " (--quick counts)" if quick else ""),
        "", *lines, "", END_MARK, ""])


def main(args):
    count = 400 if args.quick else 4000
    rounds = 1 if args.quick else args.rounds
    makers = {n: m for n, m in servers().items() if not args.only or n in args.only}
    results = {name: [] for name in makers}
    for round_no in range(rounds):
        for name, make in makers.items():
            server = make()
            try:
                server.start()
                figures = measure(server, count)
                results[name].append(figures)
                print("round %d %-8s %s" % (round_no + 1, name, " ".join(
                    "%s=%.1f" % kv for kv in figures.items())), flush=True)
            except Exception as e:  # a server that cannot run is reported, not fatal
                print("round %d %-8s FAILED: %s" % (round_no + 1, name, e), flush=True)
            finally:
                server.stop()
    text = report(results, count, rounds, args.quick)
    print(text)
    if args.out:
        sections.replace_section(args.out, SECTION, END_MARK, text)
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    print("run it as: python3 bench/bench.py tls [--quick]", file=sys.stderr)
    sys.exit(2)
