#!/usr/bin/env python3
"""smtpconf: plays RFC-tagged SMTP dialogue cases against any SMTP server.

usage: smtpconf.py --host H --port P [--domain D] [--maildir DIR] [--tls] [--auth]
                   [--json report.json] [--known-failures FILE] [--only ID-PREFIX] CASES...

CASES are files or folders of *.smtp files (format: conformance/README.md). Prints one line per
case (PASS / FAIL / SKIP, id, RFC section, reason), then "N passed, M failed, K skipped".
With --known-failures, exits 1 when a case fails that is not listed there, or a listed case
passes (the list may only shrink); without it, exits 1 when any case fails.
Python 3 standard library only.
"""
import argparse
import base64
import codecs
import json
import os
import re
import socket
import ssl
import sys
import time

HEADER_KEYS = ("id", "rfc", "level", "quote", "requires", "note")
LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
REPEAT = re.compile(r"\{(.+?)\*(\d+)\}")


class CaseError(Exception):
    """The case file itself is malformed."""


class Fail(Exception):
    """The server did not behave as the case expects."""


def b64(data):
    return base64.b64encode(data.encode("utf-8")).decode("ascii")


def expand(text, facts, case_id):
    """Substitutes {domain}, {id} and the AUTH placeholders, and expands {X*N} into N copies of
    X. {auth_plain} is the RFC 4616 PLAIN response for the configured user, {auth_user} and
    {auth_pass} the base64 LOGIN responses, {auth_bad_plain} a PLAIN response with a wrong
    password."""
    user, password = facts.get("auth_user") or "", facts.get("auth_pass") or ""
    for key, value in (("{domain}", facts["domain"]), ("{id}", case_id),
                       ("{auth_plain}", b64("\0%s\0%s" % (user, password))),
                       ("{auth_bad_plain}", b64("\0%s\0%s-wrong" % (user, password))),
                       ("{auth_user}", b64(user)), ("{auth_pass}", b64(password))):
        text = text.replace(key, value)
    return REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text)


def to_bytes(text):
    """Decodes backslash escapes (\\r \\n \\0 \\xNN \\\\) into bytes."""
    return codecs.escape_decode(text.encode("utf-8"))[0]


class Expect:
    """One expected reply: alternatives such as '250', '2xx', '25x 2.1.*', 'closed', 'any'."""

    def __init__(self, spec):
        self.spec = spec.strip()
        self.alternatives = []
        for alt in self.spec.split("|"):
            parts = alt.split()
            if not parts:
                raise CaseError("empty expectation in %r" % spec)
            code = parts[0]
            keywords = [p[1:].upper() for p in parts[1:] if p.startswith("+")]
            rest = [p for p in parts[1:] if not p.startswith("+")]
            enhanced = rest[0] if rest else None
            if code not in ("closed", "any") and not re.fullmatch(r"[2-5][0-9x][0-9x]", code):
                raise CaseError("bad reply code pattern %r" % code)
            self.alternatives.append((code, enhanced, keywords))

    def accepts_close(self):
        return any(code == "closed" for code, _, _ in self.alternatives)

    def matches(self, code, lines):
        # RFC 5321 §4.1.1.1: an EHLO reply names one extension keyword per line after the first.
        offered = {line[4:].split(" ", 1)[0].upper() for line in lines[1:] if len(line) > 4}
        for want, enhanced, keywords in self.alternatives:
            if want == "any":
                return True
            if want == "closed":
                continue
            if not all(w in ("x", c) for w, c in zip(want, code)):
                continue
            if not all(k in offered for k in keywords):
                continue
            if enhanced is None:
                return True
            text = lines[-1][4:] if lines else ""
            got = text.split(" ", 1)[0]
            pattern = "^" + re.escape(enhanced).replace(r"\*", r"[0-9]+") + "$"
            if re.match(pattern, got):
                return True
        return False


def parse_case(path, facts):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    header, sep, body = text.partition("\n---\n")
    if not sep:
        raise CaseError("no '---' line between header and dialogue")
    meta = {}
    for line in header.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key not in HEADER_KEYS:
            raise CaseError("unknown header %r" % key)
        meta[key] = value.strip()
    for key in ("id", "rfc", "level", "quote"):
        if key not in meta:
            raise CaseError("missing header %r" % key)
    if meta["level"] not in LEVELS:
        raise CaseError("level must be one of %s" % ", ".join(LEVELS))
    steps = []
    for number, line in enumerate(body.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        kind, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if kind == "C":
            steps.append(("send", to_bytes(expand(value, facts, meta["id"])) + b"\r\n"))
        elif kind == "R":
            steps.append(("send", to_bytes(expand(value, facts, meta["id"]))))
        elif kind == "S":
            steps.append(("expect", Expect(value)))
        elif kind == "M":
            steps.append(("maildir", to_bytes(expand(value, facts, meta["id"]))))
        elif kind == "W":
            steps.append(("wait", float(value)))
        elif kind == "T":
            steps.append(("tls", None))
        else:
            raise CaseError("line %d: unknown step %r" % (number, kind))
    meta["steps"] = steps
    meta["path"] = path
    return meta


class Connection:
    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def start_tls(self, server_name):
        """RFC 3207: the TLS handshake right after the 220 to STARTTLS. Certificates are not
        verified: the suite tests the protocol, not a PKI. Bytes already received in plaintext
        are kept, so a server that answered injected commands is caught by the next S: step."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_name)

    def reply(self):
        """Returns (code, lines) for one reply, or None when the server closed the connection."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                try:
                    chunk = self.sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    if lines or self.buf:
                        raise Fail("connection closed inside a reply: %r" % (lines + [self.buf],))
                    return None
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\r\n", 1)
            line = raw.decode("latin-1")
            if not re.match(r"^[2-5][0-9]{2}([ -]|$)", line):
                raise Fail("malformed reply line %r" % line)
            if lines and line[:3] != lines[0][:3]:
                raise Fail("reply code changed inside a multi-line reply: %r" % (lines + [line],))
            lines.append(line)
            if len(line) < 4 or line[3] == " ":
                return line[:3], lines

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def find_delivered(maildir, marker, timeout):
    new = os.path.join(maildir, "new")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.isdir(new):
            for name in sorted(os.listdir(new)):
                with open(os.path.join(new, name), "rb") as f:
                    data = f.read()
                if marker in data:
                    return data
        time.sleep(0.05)
    return None


def run_case(case, facts):
    needs = [r.strip() for r in case.get("requires", "").split(",") if r.strip()]
    for need in needs:
        if not facts.get(need):
            return "SKIP", "needs %s" % need
    try:
        conn = Connection(facts["host"], facts["port"], facts["timeout"])
    except OSError as e:
        return "FAIL", "cannot connect: %s" % e
    try:
        for kind, value in case["steps"]:
            if kind == "send":
                try:
                    conn.send(value)
                except OSError as e:
                    raise Fail("send failed: %s" % e)
            elif kind == "wait":
                time.sleep(value)
            elif kind == "tls":
                try:
                    conn.start_tls(facts["domain"])
                except (ssl.SSLError, OSError) as e:
                    raise Fail("TLS handshake failed: %s" % e)
            elif kind == "expect":
                try:
                    got = conn.reply()
                except socket.timeout:
                    raise Fail("no reply within %ss, expected %s" % (facts["timeout"], value.spec))
                if got is None:
                    if value.accepts_close():
                        # The rest of the dialogue cannot happen: the case ends here.
                        return "PASS", "closed the connection, which the case allows here"
                    raise Fail("connection closed, expected %s" % value.spec)
                code, lines = got
                if not value.matches(code, lines):
                    raise Fail("got %r, expected %s" % (lines[-1] if len(lines) == 1 else lines, value.spec))
            elif kind == "maildir":
                data = find_delivered(facts["maildir"], case["id"].encode(), facts["timeout"])
                if data is None:
                    raise Fail("no delivered message contains %r" % case["id"])
                body = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)
                if len(body) != 2 or body[1] != value.replace(b"\r\n", b"\n"):
                    raise Fail("delivered body %r, expected %r" % (body[-1][:200], value[:200]))
        return "PASS", ""
    except Fail as e:
        return "FAIL", str(e)
    except OSError as e:
        return "FAIL", "socket error: %s" % e
    finally:
        conn.close()


def collect(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files.extend(os.path.join(root, n) for n in names if n.endswith(".smtp"))
        else:
            files.append(p)
    return sorted(files)


def read_known_failures(path):
    """Reads a known-failures file, or every *.txt file of a folder."""
    if os.path.isdir(path):
        known = {}
        for name in sorted(os.listdir(path)):
            if name.endswith(".txt"):
                known.update(read_known_failures(os.path.join(path, name)))
        return known
    known = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)
            case_id = line[0].strip()
            if case_id:
                known[case_id] = line[1].strip() if len(line) > 1 else ""
    return known


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=25)
    ap.add_argument("--domain", default="localhost", help="a domain the server accepts mail for")
    ap.add_argument("--maildir", help="the Maildir all accepted mail lands in, if known")
    ap.add_argument("--tls", action="store_true", help="STARTTLS is configured")
    ap.add_argument("--auth", action="store_true", help="AUTH is configured")
    ap.add_argument("--auth-user", help="a user AUTH accepts (with --auth-pass)")
    ap.add_argument("--auth-pass")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--json", help="write a JSON report here")
    ap.add_argument("--known-failures", help="a file (or folder of *.txt) of ids expected to fail, one per line, # reason")
    ap.add_argument("--only", help="run only cases whose id starts with this")
    ap.add_argument("cases", nargs="+")
    args = ap.parse_args(argv)
    facts = {"host": args.host, "port": args.port, "domain": args.domain,
             "maildir": args.maildir, "tls": args.tls, "auth": args.auth,
             "auth_user": args.auth_user, "auth_pass": args.auth_pass,
             "timeout": args.timeout}
    known = read_known_failures(args.known_failures) if args.known_failures else {}
    results, seen, bad = [], set(), 0
    for path in collect(args.cases):
        try:
            case = parse_case(path, facts)
        except (CaseError, ValueError) as e:
            print("ERROR %s: %s" % (path, e))
            bad += 1
            continue
        if case["id"] in seen:
            print("ERROR %s: duplicate id %s" % (path, case["id"]))
            bad += 1
            continue
        seen.add(case["id"])
        if args.only and not case["id"].startswith(args.only):
            continue
        if case.get("requires") and "maildir" in case["requires"] and not args.maildir:
            status, reason = "SKIP", "needs maildir"
        else:
            status, reason = run_case(case, facts)
        note = ""
        if case["id"] in known:
            note = " (known failure: %s)" % known[case["id"]] if status == "FAIL" else \
                   " (listed as a known failure but %s: remove it from the list)" % status.lower()
        print("%-4s %s [RFC %s] %s%s" % (status, case["id"], case["rfc"], reason, note))
        results.append({"id": case["id"], "rfc": case["rfc"], "level": case["level"],
                        "quote": case["quote"], "status": status, "reason": reason,
                        "known_failure": case["id"] in known})
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("PASS", "FAIL", "SKIP")}
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"server": "%s:%d" % (args.host, args.port), "results": results}, f, indent=1)
    unexpected = [r["id"] for r in results if r["status"] == "FAIL" and r["id"] not in known]
    fixed = [r["id"] for r in results if r["status"] == "PASS" and r["id"] in known]
    stale = sorted(set(known) - seen) if args.known_failures and not args.only else []
    for case_id in stale:
        print("ERROR known-failures lists %s, which is no case" % case_id)
    print("%d passed, %d failed, %d skipped" % (counts["PASS"], counts["FAIL"], counts["SKIP"]))
    if args.known_failures:
        return 1 if unexpected or fixed or stale or bad else 0
    return 1 if counts["FAIL"] or bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
