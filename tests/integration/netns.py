"""The DNS test harness: runs a test module inside its own network and mount namespace with a
real unbound serving the test zones, so that nothing it resolves ever leaves the machine.

`run_tests()` (instead of unittest.main()) re-executes the module under `unshare -n -m` (as root)
or `unshare -r -n -m` (as anyone else: a user namespace maps us to root inside), brings `lo` up,
adds the documentation address 192.0.2.1/32 to it (so that AI_ADDRCONFIG sees IPv4), bind-mounts
its own resolv.conf (naming only the test nameserver) over /etc/resolv.conf and its own hosts over
/etc/hosts, starts Debian's unbound on 127.0.0.53:53 with the zones below, waits until it answers,
runs the tests, and stops unbound by its PID. Each test module is one process in one namespace
of its own: ports 25 and 53 are free in every one, so `ctest -j2` never collides. Where the
namespace cannot be made (no unprivileged user namespaces), the module is skipped with the reason
printed and exit status 77 (ctest's SKIP_RETURN_CODE).

The zones, all under `example.` (RFC 2606; libunbound has no special handling for it):
  mx.example        MX 10 mx1, MX 10 mx2, MX 20 mx3 (127.0.0.11, .12, .13)
  nullmx.example    MX 0 .  (RFC 7505)
  implicit.example  A 127.0.0.20, no MX
  v6only.example    MX 10 host6.v6only.example, which has only AAAA 2001:db8::25
  cname.example     MX 10 alias.cname.example -> CNAME -> CNAME -> real.cname.example A 127.0.0.30
  localmx.example   MX 10 localhost.
  cnameloop.example MX 10 loop1.cnameloop.example, a CNAME loop of two names
  nx.example        nothing: NXDOMAIN
  servfail.example  a stub zone whose server answers SERVFAIL to everything (a stub to a closed
                    port gives SERVFAIL too, but only after unbound's retries: 12 to 17 s)
  slow.example      a stub zone whose server never answers: a time-out
Test modules add records with run_tests(local_data=[...]) (unbound local-data lines).
"""
import atexit
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

NAMESERVER = "127.0.0.53"
# The blackhole of slow.example: a socket bound there that never reads.
SLOW_SERVER = "127.0.0.54"
# servfail.example's nameserver: answers every query with SERVFAIL at once.
SERVFAIL_SERVER = "127.0.0.55"
# The address lo gets besides 127.0.0.1/8, for AI_ADDRCONFIG (RFC 5737 TEST-NET-1).
DOC_ADDRESS = "192.0.2.1"
SKIP = 77
_ENV_FLAG = "SMTPD_TEST_NETNS"

ZONES = [
    'local-zone: "example." static',
    'local-data: "mx.example. IN MX 10 mx1.mx.example."',
    'local-data: "mx.example. IN MX 10 mx2.mx.example."',
    'local-data: "mx.example. IN MX 20 mx3.mx.example."',
    'local-data: "mx1.mx.example. IN A 127.0.0.11"',
    'local-data: "mx2.mx.example. IN A 127.0.0.12"',
    'local-data: "mx3.mx.example. IN A 127.0.0.13"',
    'local-data: "nullmx.example. IN MX 0 ."',
    'local-data: "implicit.example. IN A 127.0.0.20"',
    'local-data: "v6only.example. IN MX 10 host6.v6only.example."',
    'local-data: "host6.v6only.example. IN AAAA 2001:db8::25"',
    'local-data: "cname.example. IN MX 10 alias.cname.example."',
    'local-data: "alias.cname.example. IN CNAME alias2.cname.example."',
    'local-data: "alias2.cname.example. IN CNAME real.cname.example."',
    'local-data: "real.cname.example. IN A 127.0.0.30"',
    'local-data: "localmx.example. IN MX 10 localhost."',
    'local-data: "cnameloop.example. IN MX 10 loop1.cnameloop.example."',
    'local-data: "loop1.cnameloop.example. IN CNAME loop2.cnameloop.example."',
    'local-data: "loop2.cnameloop.example. IN CNAME loop1.cnameloop.example."',
    'local-data: "ready.example. IN A 127.0.0.1"',
    'local-zone: "servfail.example." transparent',
    'local-zone: "slow.example." transparent',
]

STUBS = """
stub-zone:
    name: "servfail.example."
    stub-addr: %s@53
stub-zone:
    name: "slow.example."
    stub-addr: %s@53
""" % (SERVFAIL_SERVER, SLOW_SERVER)


def _unbound_conf(workdir, local_data):
    lines = ZONES + ['local-data: "%s"' % d if not d.startswith("local-") else d
                     for d in local_data]
    return """server:
    interface: %(ns)s
    port: 53
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "%(dir)s"
    pidfile: ""
    use-syslog: no
    logfile: "%(dir)s/unbound.log"
    verbosity: 1
    log-queries: yes
    num-threads: 1
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    do-not-query-localhost: no
    qname-minimisation: no
    so-reuseport: no
%(zones)s
%(stubs)s
remote-control:
    control-enable: no
""" % {"ns": NAMESERVER, "dir": workdir, "stubs": STUBS,
       "zones": "\n".join("    " + line for line in lines)}


def _query(name, qtype=1, server=NAMESERVER, timeout=0.5):
    """One UDP query; the response's RCODE and answer count, or None without an answer."""
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", 0x5353, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(packet, (server, 53))
            data, _ = s.recvfrom(4096)
        except OSError:
            return None
    ident, flags, _, ancount = struct.unpack(">HHHH", data[:8])
    return (flags & 0xF, ancount) if ident == 0x5353 else None


def _answer_servfail(sock):
    """Answers each query on `sock` with its own question and RCODE 2 (SERVFAIL), until closed."""
    while True:
        try:
            query, peer = sock.recvfrom(4096)
        except OSError:
            return
        if len(query) < 12:
            continue
        ident, flags = struct.unpack(">HH", query[:4])
        # QR=1, the query's opcode and RD, RA=1, RCODE=2; the question section echoed.
        reply_flags = 0x8000 | (flags & 0x7900) | 0x0080 | 2
        header = struct.pack(">HHHHHH", ident, reply_flags, struct.unpack(">H", query[4:6])[0],
                             0, 0, 0)
        end = 12
        while end < len(query) and query[end] != 0:
            end += 1 + query[end]
        try:
            sock.sendto(header + query[12:end + 5], peer)
        except OSError:
            return


def _unshare_command():
    flags = ["-n", "-m"] if os.geteuid() == 0 else ["-r", "-n", "-m"]
    return ["unshare"] + flags + ["--propagation", "private"]


def _enter():
    """Re-executes this process inside a new namespace; returns only when already inside."""
    if os.environ.get(_ENV_FLAG) == "1":
        return
    if shutil.which("unshare") is None or shutil.which("unbound") is None:
        print("SKIP: unshare(1) or unbound(8) is not installed", file=sys.stderr)
        sys.exit(SKIP)
    probe = subprocess.run(_unshare_command() + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("SKIP: cannot create a private network namespace as uid %d (unprivileged user "
              "namespaces disabled?): %s" % (os.geteuid(), probe.stderr.strip()), file=sys.stderr)
        sys.exit(SKIP)
    env = dict(os.environ, **{_ENV_FLAG: "1"})
    os.execvpe(_unshare_command()[0],
               _unshare_command() + [sys.executable] + sys.argv, env)


class Namespace:
    """The running namespace: its work directory, unbound, and the files it mounted."""

    def __init__(self, local_data=()):
        self.dir = tempfile.mkdtemp(prefix="smtpd-netns-")
        os.chmod(self.dir, 0o755)
        self.unbound = None
        self.blackhole = None
        self.servfail = None
        self._network()
        self._files()
        self._start_unbound(local_data)

    def _network(self):
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "addr", "add", DOC_ADDRESS + "/32", "dev", "lo"], check=True)

    def _files(self):
        self.resolv_conf = os.path.join(self.dir, "resolv.conf")
        with open(self.resolv_conf, "w") as f:
            f.write("nameserver %s\n" % NAMESERVER)
        self.hosts = os.path.join(self.dir, "hosts")
        with open(self.hosts, "w") as f:
            f.write("127.0.0.1 localhost\n::1 localhost\n")
        for mine, system in ((self.resolv_conf, "/etc/resolv.conf"), (self.hosts, "/etc/hosts")):
            subprocess.run(["mount", "--bind", mine, system], check=True)

    def _start_unbound(self, local_data):
        # slow.example's nameserver: bound, never read, so unbound's queries go unanswered.
        self.blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.blackhole.bind((SLOW_SERVER, 53))
        self.servfail = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.servfail.bind((SERVFAIL_SERVER, 53))
        threading.Thread(target=_answer_servfail, args=(self.servfail,), daemon=True).start()
        conf = os.path.join(self.dir, "unbound.conf")
        with open(conf, "w") as f:
            f.write(_unbound_conf(self.dir, local_data))
        check = subprocess.run(["unbound-checkconf", conf], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("unbound.conf: %s%s" % (check.stdout, check.stderr))
        self.unbound_log = os.path.join(self.dir, "unbound.log")
        self.unbound = subprocess.Popen(["unbound", "-d", "-c", conf],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.unbound.poll() is not None:
                raise RuntimeError("unbound exited: %s\n%s" % (
                    self.unbound.stderr.read().decode(errors="replace"), self.read_log()))
            if _query("ready.example") == (0, 1):
                return
            time.sleep(0.05)
        raise RuntimeError("unbound did not answer in 15 s\n" + self.read_log())

    def read_log(self):
        try:
            with open(os.path.join(self.dir, "unbound.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.unbound is not None and self.unbound.poll() is None:
            self.unbound.terminate()
            try:
                self.unbound.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.unbound.kill()
                self.unbound.wait()
        for sock in (self.blackhole, self.servfail):
            if sock is not None:
                sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


_current = None


def current():
    """The namespace this test module runs in (inside run_tests)."""
    if _current is None:
        raise RuntimeError("not inside netns.run_tests()")
    return _current


def is_loopback(address):
    """True for 127.0.0.0/8 and ::1 (with an optional @port): the only nameservers a test may use."""
    host = address.split("@", 1)[0]
    return host.startswith("127.") or host == "::1"


def resolver_nameservers(log_text):
    """The nameservers a resolver logged at start ("dns: resolver uses nameserver A from F"), in
    order; AssertionError when there is none or one is not on loopback."""
    found = re.findall(r"dns: resolver uses nameserver (\S+) from ", log_text)
    if not found:
        raise AssertionError("the resolver logged no nameserver:\n" + log_text)
    outside = [ns for ns in found if not is_loopback(ns)]
    if outside:
        raise AssertionError("the resolver uses a nameserver off loopback: %s" % outside)
    return found


def enter(local_data=()):
    """Re-executes the calling program inside a private namespace (returning only there), starts
    the test nameserver with `local_data` added, and returns the Namespace (stopped at exit).
    For programs that are not test modules (bench/, the campaigns); tests use run_tests()."""
    global _current
    _enter()
    _current = Namespace(local_data)
    atexit.register(_current.stop)
    return _current


def run_tests(local_data=()):
    """unittest.main() inside a private namespace with the test nameserver running."""
    enter(local_data)
    unittest.main(verbosity=2)
