#!/usr/bin/env python3
"""Runs the conformance suite against our smtpd, OpenSMTPD 6.8 and Postfix 3.7, and writes the
side-by-side table to docs/conformance.md.

usage: sudo python3 conformance/report.py [--out docs/conformance.md] [--smtpd BIN] [--keep-json DIR]

Run as root after .ci/build and .ci/refs. Each server is started by conformance/refservers.py
(free 127.0.0.1 port, own temporary directory, one Maildir, domain localhost) and the runner
(conformance/runner/smtpconf.py) plays every case against it with --json. A server that cannot
start gets "not testable: <reason>" in every cell; the file is written all the same.
Python 3 standard library only.
"""
import argparse
import ast
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "conformance"))
import refservers  # noqa: E402

RUNNER = os.path.join(ROOT, "conformance/runner/smtpconf.py")
CASES = os.path.join(ROOT, "conformance/cases")
LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
OPENSMTPD_TLS = ("not testable: STARTTLS fails under OpenSSL 3 (6.8's privilege-separated key "
                 "engine: \"EVP lib\")")


def run_suite(server, tls, auth=False):
    """Plays every case against a started server; returns {id: result}."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [sys.executable, RUNNER, "--host", "127.0.0.1", "--port", str(server.port),
           "--domain", refservers.DOMAIN, "--maildir", server.maildir, "--json", out]
    if tls:
        cmd.append("--tls")
    if auth:
        cmd += ["--auth", "--auth-user", refservers.AUTH_USER, "--auth-pass",
                refservers.AUTH_PASSWORD]
    r = subprocess.run(cmd + [CASES], capture_output=True, text=True, timeout=3600)
    try:
        with open(out) as f:
            results = json.load(f)["results"]
    except (OSError, ValueError, KeyError):
        raise RuntimeError("runner wrote no report: " + (r.stdout + r.stderr)[-1000:])
    finally:
        os.unlink(out)
    return {res["id"]: res for res in results}, r.stdout


def case_list():
    """Every case (id, rfc, level, requires), read with the runner's own parser."""
    sys.path.insert(0, os.path.dirname(RUNNER))
    import smtpconf
    facts = {"domain": refservers.DOMAIN}
    cases = []
    for path in smtpconf.collect([CASES]):
        c = smtpconf.parse_case(path, facts)
        needs = [n.strip() for n in c.get("requires", "").split(",") if n.strip()]
        cases.append({"id": c["id"], "rfc": c["rfc"], "level": c["level"], "requires": needs})
    return cases


def summarize(reason):
    """Turns the runner's "got ['250-...', ...], expected 250 +X" into "EHLO does not offer X"."""
    m = re.match(r"got (\[.*\]), expected (.*)$", reason)
    if m:
        try:
            lines = ast.literal_eval(m.group(1))
            offered = {l[4:].split(" ", 1)[0].upper() for l in lines[1:] if len(l) > 4}
            wanted = re.findall(r"\+(\S+)", m.group(2))
            missing = [w for w in wanted if w.upper() not in offered]
            if missing:
                return "EHLO does not offer %s" % ", ".join(missing)
            return "got %s, expected %s" % (lines[-1], m.group(2))
        except (ValueError, SyntaxError):
            pass
    return reason


def short(text, n=90):
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= n else text[:n - 1] + "…"


FEATURE = {"tls": "STARTTLS", "auth": "AUTH", "maildir": "Maildir"}


def cell(server_name, result, case, configured, not_testable):
    if not_testable:
        return "not testable: " + short(not_testable, 120)
    if server_name == "opensmtpd" and "tls" in case["requires"]:
        return OPENSMTPD_TLS
    if result is None:
        return "not testable: case not run"
    if result["status"] == "PASS":
        return "PASS"
    if result["status"] == "SKIP":
        missing = [FEATURE.get(n, n) for n in case["requires"] if n not in configured]
        return "SKIP (%s not configured)" % " and ".join(missing) if missing else \
            "SKIP (%s)" % short(result["reason"])
    return "FAIL (%s)" % short(summarize(result["reason"]))


def kind(text):
    for k in ("PASS", "FAIL", "SKIP"):
        if text.startswith(k):
            return k
    return "N/T"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/conformance.md"))
    ap.add_argument("--smtpd", default=os.path.join(ROOT, "build/release/runtime/smtpd"))
    ap.add_argument("--keep-json", help="also write each server's runner JSON into this folder")
    args = ap.parse_args(argv)

    cases = case_list()
    # What each server is configured with (what the runner is told): ours gets STARTTLS and AUTH
    # (a certificate and a credentials table made at run time); Postfix gets STARTTLS
    # (self-signed ECDSA certificate); OpenSMTPD 6.8's STARTTLS does not work with OpenSSL 3.
    servers = [
        ("ours", "ours", lambda: refservers.Ours(args.smtpd, tls_auth=True),
         {"maildir", "tls", "auth"}),
        ("opensmtpd", "OpenSMTPD 6.8",
         lambda: refservers.OpenSmtpd(os.path.join(ROOT, "build/refs/opensmtpd")), {"maildir"}),
        ("postfix", "Postfix 3.7",
         lambda: refservers.Postfix(os.path.join(ROOT, "build/refs/postfix"), tls=True),
         {"maildir", "tls"}),
    ]
    columns, versions = [], {}
    for key, title, make, configured in servers:
        results, not_testable = {}, None
        server = make()
        try:
            print("== %s: starting" % title, flush=True)
            server.start()
            versions[key] = server.version()
            print("== %s: port %d, running the suite" % (title, server.port), flush=True)
            results, stdout = run_suite(server, "tls" in configured, "auth" in configured)
            print(stdout.strip().splitlines()[-1] if stdout.strip() else "(no output)", flush=True)
            if args.keep_json:
                os.makedirs(args.keep_json, exist_ok=True)
                with open(os.path.join(args.keep_json, key + ".json"), "w") as f:
                    json.dump(results, f, indent=1)
        except Exception as e:  # noqa: BLE001 - any reason becomes the column's "not testable"
            not_testable = "%s did not start or run: %s" % (title, e)
            print("== %s: %s" % (title, not_testable), flush=True)
            versions.setdefault(key, title)
        finally:
            server.cleanup()
        columns.append((key, title, [cell(key, results.get(c["id"]), c, configured, not_testable)
                                     for c in cases]))

    def git(*a):
        try:
            return subprocess.run(["git", "-C", ROOT] + list(a), capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    uname = subprocess.run(["uname", "-a"], capture_output=True, text=True).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Conformance: ours, OpenSMTPD 6.8 and Postfix 3.7, case by case",
        "",
        "Generated by `sudo python3 conformance/report.py` (do not edit by hand). It plays every "
        "case of `conformance/cases/` (%d cases; format in `conformance/README.md`) with "
        "`conformance/runner/smtpconf.py` against three servers, each started by "
        "`conformance/refservers.py` on a free 127.0.0.1 port, accepting mail for `localhost` "
        "and delivering every local recipient to one Maildir (the runner's `--maildir`)." % len(cases),
        "",
        "- Date: %s" % now,
        "- Machine: `%s`" % uname,
        "- ours: `%s` (commit %s)" % (os.path.relpath(args.smtpd, ROOT), git("rev-parse", "--short", "HEAD") or "?"),
        "- OpenSMTPD: %s, from the Debian package, in a private mount namespace" % versions.get("opensmtpd", "?"),
        "- Postfix: %s, from the Debian package; `mynetworks` narrowed (no relaying for loopback), "
        "`smtpd_forbid_bare_newline = yes`, STARTTLS with a self-signed prime256v1 certificate"
        % versions.get("postfix", "?"),
        "- Python %s" % platform.python_version(),
        "",
        "Configured features: STARTTLS and AUTH on ours (a certificate and a credentials table "
        "made at run time); STARTTLS on Postfix (no AUTH: its AUTH cases are SKIP); OpenSMTPD "
        "6.8's STARTTLS fails with OpenSSL 3, so its TLS cases are \"not testable\", and it has "
        "no AUTH. A FAIL cell quotes the runner's reason. Where the RFC "
        "lets a server accept or refuse, a case accepts both, so a FAIL is a real departure from "
        "the case's expectation (which may still be a case written for our behaviour; see the "
        "case's `note:`).",
        "",
        "| case id | RFC § | level | %s |" % " | ".join(t for _, t, _ in columns),
        "|---|---|---|%s" % ("---|" * len(columns)),
    ]
    for i, c in enumerate(cases):
        lines.append("| %s | %s | %s | %s |" % (c["id"], c["rfc"], c["level"],
                                                " | ".join(col[i] for _, _, col in columns)))
    lines += ["", "## Totals by requirement level", "",
              "Each cell: passed / failed / skipped / not testable.", "",
              "| level | cases | %s |" % " | ".join(t for _, t, _ in columns),
              "|---|---|%s" % ("---|" * len(columns))]
    for level in LEVELS + ("all",):
        idx = [i for i, c in enumerate(cases) if level == "all" or c["level"] == level]
        row = []
        for _, _, col in columns:
            k = [kind(col[i]) for i in idx]
            row.append("%d / %d / %d / %d" % (k.count("PASS"), k.count("FAIL"), k.count("SKIP"),
                                              k.count("N/T")))
        lines.append("| %s | %d | %s |" % ("**all**" if level == "all" else level, len(idx),
                                           " | ".join(row)))
    lines.append("")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print("wrote %s" % args.out)
    for (key, title, col) in columns:
        k = [kind(x) for x in col]
        print("%s: %d pass, %d fail, %d skip, %d not testable" % (
            title, k.count("PASS"), k.count("FAIL"), k.count("SKIP"), k.count("N/T")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
