#!/usr/bin/env python3
"""Records OpenSMTPD 6.8's verdict on every configuration of the corpus (tests/conf/valid,
tests/conf/invalid) and reports each file whose header disagrees with what 6.8 says now.

Each file is copied into a temporary copy of tests/conf/files with @CONF@ replaced by that
copy's directory (instantiate()), and `smtpd -n -f COPY` of 6.8 is run on it. On-demand tool, not run in CI.
  record.py            check every header, exit 1 if any disagrees
  record.py --write F  rewrite the verdict and opensmtpd-6.8 lines of F from 6.8's answer
                       (a file with a `# follows:` line keeps the verdict written in it)
The header format is in README.md; parse_header() is also used by
tests/integration/test_conf_corpus.py.
"""
import os
import re
import subprocess
import sys
import tempfile

CONF = os.path.dirname(os.path.abspath(__file__))
REF = os.environ.get("OPENSMTPD68_ROOT", "/work/main/build/refs/opensmtpd")
VERDICT = re.compile(r"^# verdict: (valid|invalid line (\d+)(?: in (\S+))?)$")


def corpus_files():
    """Paths of every corpus configuration relative to tests/conf, sorted."""
    out = []
    for kind in ("valid", "invalid"):
        for name in sorted(os.listdir(os.path.join(CONF, kind))):
            if name.endswith(".conf"):
                out.append(kind + "/" + name)
    return out


def parse_header(text):
    """The leading comment header: {"valid": bool, "line": int or None, "in": the file the
    error is in when it is an included one (relative to tests/conf), else None, "opensmtpd": str,
    "follows": str or None}; raises ValueError when the verdict or 6.8 line is missing."""
    h = {"valid": None, "line": None, "in": None, "opensmtpd": None, "follows": None}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = VERDICT.match(line)
        if m:
            h["valid"] = m.group(2) is None
            h["line"] = int(m.group(2)) if m.group(2) else None
            h["in"] = m.group(3)
        elif line.startswith("# opensmtpd-6.8: "):
            h["opensmtpd"] = line[len("# opensmtpd-6.8: "):]
        elif line.startswith("# follows: "):
            h["follows"] = line[len("# follows: "):]
    if h["valid"] is None or h["opensmtpd"] is None:
        raise ValueError("no '# verdict:' or '# opensmtpd-6.8:' line in the header")
    return h


def instantiate(rel, directory):
    """Copies tests/conf/files into `directory` and writes the corpus file `rel` beside it, with
    @CONF@ replaced by `directory` in both; returns the configuration's path. Keys are made
    mode 0600 (git keeps no such mode, and 6.8 refuses a key others can read)."""
    files = os.path.join(directory, "files")
    if not os.path.isdir(files):
        os.mkdir(files)
        for name in os.listdir(os.path.join(CONF, "files")):
            with open(os.path.join(CONF, "files", name), "rb") as f:
                data = f.read()
            target = os.path.join(files, name)
            with open(target, "wb") as f:
                f.write(data.replace(b"@CONF@", directory.encode()))
            os.chmod(target, 0o600 if name.endswith(".key") else 0o644)
    with open(os.path.join(CONF, rel)) as f:
        text = f.read()
    path = os.path.join(directory, os.path.basename(rel))
    with open(path, "w") as f:
        f.write(text.replace("@CONF@", directory))
    return path


def run68(path):
    """(exit status, first message line) of 6.8's `smtpd -n -f path`, the path shown as FILE and
    its directory (the copy of tests/conf) as @CONF@."""
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(REF, "usr/lib"))
    r = subprocess.run([os.path.join(REF, "usr/sbin/smtpd"), "-n", "-f", path],
                       capture_output=True, text=True, timeout=30, env=env)
    lines = [l for l in (r.stderr + r.stdout).splitlines() if l.strip()]
    msg = lines[0] if lines else ""
    return r.returncode, msg.replace(path, "FILE").replace(os.path.dirname(path), "@CONF@")


def place_of(msg):
    """(line, included file relative to tests/conf or None) a 6.8 message names, or (None, None)."""
    m = re.match(r"^(FILE|@CONF@/(\S+?)):(\d+): ", msg)
    return (int(m.group(3)), m.group(2)) if m else (None, None)


def check(rel):
    """Problems of one file's header against 6.8 now, as a list of strings."""
    with open(os.path.join(CONF, rel)) as f:
        h = parse_header(f.read())
    with tempfile.TemporaryDirectory() as d:
        status, msg = run68(instantiate(rel, d))
    problems = []
    if msg != h["opensmtpd"]:
        problems.append("6.8 now says %r, header says %r" % (msg, h["opensmtpd"]))
    if h["follows"] is None:
        if h["valid"] != (status == 0):
            problems.append("6.8 exits %d, header says %s" % (status, "valid" if h["valid"] else "invalid"))
        elif not h["valid"] and place_of(msg) != (h["line"], h["in"]):
            problems.append("6.8 reports line %s in %s, header says %s in %s"
                            % (place_of(msg) + (h["line"], h["in"])))
    if rel.startswith("valid/") != h["valid"]:
        problems.append("verdict does not match the directory")
    return problems


def write(rel):
    """Rewrites the header of `rel`: the verdict and opensmtpd-6.8 lines come first, then the
    file's other lines; a file with a follows line keeps its verdict."""
    full = os.path.join(CONF, rel)
    with open(full) as f:
        lines = f.read().splitlines()
    kept = [l for l in lines if not (VERDICT.match(l) or l.startswith("# verdict:")
                                     or l.startswith("# opensmtpd-6.8:"))]
    old = [l for l in lines if l.startswith("# verdict:")]
    follows = any(l.startswith("# follows: ") for l in lines)
    # 6.8 is run on the final layout (two header lines), so its line numbers are the file's own.
    body = "\n".join(["# verdict: ?", "# opensmtpd-6.8: ?"] + kept) + "\n"
    with open(full, "w") as f:
        f.write(body)
    with tempfile.TemporaryDirectory() as d:
        status, msg = run68(instantiate(rel, d))
    if follows and old:
        verdict = old[0]
    elif status == 0:
        verdict = "# verdict: valid"
    else:
        line, included = place_of(msg)
        verdict = "# verdict: invalid line %s" % line + (" in " + included if included else "")
    with open(full, "w") as f:
        f.write("\n".join([verdict, "# opensmtpd-6.8: " + msg] + kept) + "\n")
    print("%s: %s | %s" % (rel, verdict, msg))


def main(argv):
    if len(argv) > 1 and argv[1] == "--write":
        for rel in argv[2:] or corpus_files():
            write(os.path.relpath(os.path.abspath(rel), CONF) if os.path.exists(rel) else rel)
        return 0
    bad = 0
    for rel in corpus_files():
        for p in check(rel):
            print("%s: %s" % (rel, p))
            bad += 1
    print("%d files, %d disagreements" % (len(corpus_files()), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
