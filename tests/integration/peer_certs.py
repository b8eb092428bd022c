"""Certificates for the receiving peers of the TLS relay tests (issue 14, Tests: STARTTLS towards
a peer with a valid, an expired, a wrong-name and a self-signed certificate), made at run time
with the openssl tool (no key is ever committed), P-256 keys for speed.

make(directory, name) returns {"ca": CA_PEM, kind: {"cert": PEM, "key": PEM}} for each kind:
  valid        signed by the test CA for `name` (CN and subjectAltName)
  expired      signed by the test CA for `name`, notAfter one day before notBefore (now)
  wrong_name   signed by the test CA for "wrong.example"
  self_signed  for `name`, signed by itself (not by the CA)
  client       a client certificate (CN client.example) signed by the test CA, for `pki`
Each kind's dict is the "tls" value of a recording_peer.py spec as it is; a client that trusts
only "ca" accepts `valid` alone.
"""
import os
import subprocess
import tempfile

_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _run(args):
    done = subprocess.run(["openssl"] + args, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), done.stderr[-500:]))


def _signed(directory, kind, name, ca, days):
    key, csr, cert = (os.path.join(directory, kind + ext) for ext in (".key", ".csr", ".crt"))
    ext = os.path.join(directory, kind + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:%s\n" % name)
    _run(["req", "-new"] + _KEY + ["-keyout", key, "-out", csr, "-subj", "/CN=" + name])
    _run(["x509", "-req", "-in", csr, "-CA", ca["cert"], "-CAkey", ca["key"], "-days", str(days),
          "-extfile", ext, "-out", cert])
    return {"cert": cert, "key": key}


def _self_signed(directory, kind, name, extra=()):
    key, cert = os.path.join(directory, kind + ".key"), os.path.join(directory, kind + ".crt")
    _run(["req", "-x509"] + _KEY + ["-keyout", key, "-out", cert, "-days", "2",
                                    "-subj", "/CN=" + name] + list(extra))
    return {"cert": cert, "key": key}


def make(directory, name="mx1.mx.example"):
    ca = _self_signed(directory, "ca", "Test CA")
    return {
        "ca": ca["cert"],
        "valid": _signed(directory, "valid", name, ca, 2),
        "expired": _signed(directory, "expired", name, ca, -1),
        "wrong_name": _signed(directory, "wrong_name", "wrong.example", ca, 2),
        "self_signed": _self_signed(directory, "self_signed", name,
                                    ["-addext", "subjectAltName=DNS:" + name]),
        "client": _signed(directory, "client", "client.example", ca, 2),
    }


def make_readable(name, prefix="peer-certs-", parent=None):
    """make() in a new temporary directory (under `parent` when given) whose files every user can
    read (the daemon reads the ca as root, peers run as other users): (directory, certificates).
    The caller removes the directory."""
    directory = tempfile.mkdtemp(prefix=prefix, dir=parent)
    os.chmod(directory, 0o755)
    certs = make(directory, name)
    for f in os.listdir(directory):
        os.chmod(os.path.join(directory, f), 0o644)
    return directory, certs
