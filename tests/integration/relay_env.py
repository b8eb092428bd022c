"""The receiving side of the relay tests (issue 14, Tests): starts recording peers
(recording_peer.py) and Postfix's smtp-sink on the MX addresses of netns.py's zones, inside the
test module's private namespace, and stops each by its PID (or its thread) at the end.

  host name             address        zone
  mx1 / mx1.mx.example  127.0.0.11     mx.example, MX 10
  mx2 / mx2.mx.example  127.0.0.12     mx.example, MX 10
  mx3 / mx3.mx.example  127.0.0.13     mx.example, MX 20
  implicit              127.0.0.20     implicit.example (no MX: its A record)
  cname                 127.0.0.30     real.cname.example (cname.example's MX via CNAMEs)
  v6only                2001:db8::25   host6.v6only.example (AAAA only; added to lo on demand)

Usage, in a module run by netns.run_tests():
    env = relay_env.RelayEnv()
    self.addCleanup(env.stop)
    mx1 = env.peer("mx1", {"extensions": ["PIPELINING", "SIZE 1000"]})   # in this process
    mx2 = env.peer("mx2", spec, process=True)     # recording_peer.py in a process of its own
    sink = env.sink("mx3")                        # smtp-sink -d: one file per message
    ... relay through smtpd ...
    [message] = mx1.wait_messages(1); message.mail_from, message.rcpts, message.message
A peer in a process of its own survives what the test does to its own process (and its spec can
be changed between connections with set_spec); an in-process peer is simpler to debug. Both
have the same reading API (peer_record.Waiting). Nothing here reaches beyond the namespace's lo:
the addresses are refused outside a namespace made by netns.py.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import peer_record
import recording_peer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
POSTFIX = os.path.join(ROOT, "build/refs/postfix")  # extracted by .ci/refs
SMTP_SINK = os.environ.get("SMTP_SINK_BIN", os.path.join(POSTFIX, "usr/sbin/smtp-sink"))

# smtpd.conf of a relaying smtpd: OpenSMTPD's default rule, `match from local for any action
# "relay"`, beside local delivery to one Maildir. Two sets of fields: refservers.Ours.prepare's
# ({maildir}, {port}, {user}, {extra}, {listen_options}) and the relay's (RELAY_FIELDS), which
# relay_config() fills in first.
RELAY_TEMPLATE = """\
table vusers {{ {vusers}"@" = "{user}" }}
{extra}
listen on 127.0.0.1 port {port} {listen_options}
{listen_also}action "local" maildir "{maildir}" virtual <vusers>
action "relay" relay {relay_options}
match from any for local action "local"
match from local for any action "relay"
"""
RELAY_FIELDS = ("vusers", "listen_also", "relay_options")


def relay_config(vusers="", listen_also="", relay_options=""):
    """RELAY_TEMPLATE with the relay's fields filled in (empty: none), as a CONFIG for
    refservers.Ours.prepare to format: the values' braces are doubled. `vusers`: table entries
    before the catch-all ('"a@localhost" = "b@mx.example", '); `listen_also`: whole listen lines;
    `relay_options`: what follows `relay`. Raises unless the template holds each field once, so
    that a change to it cannot leave a field behind."""
    config = RELAY_TEMPLATE
    for name, value in zip(RELAY_FIELDS, (vusers, listen_also, relay_options)):
        field = "{%s}" % name
        if config.count(field) != 1:
            raise ValueError("RELAY_TEMPLATE must hold %s once" % field)
        config = config.replace(field, value.replace("{", "{{").replace("}", "}}"))
    return config


# With no relay options, for a plain refservers.Ours (relay_crash.py, bench/relay.py).
RELAY_CONFIG = relay_config()

HOSTS = {"mx1": "127.0.0.11", "mx2": "127.0.0.12", "mx3": "127.0.0.13",
         "mx1.mx.example": "127.0.0.11", "mx2.mx.example": "127.0.0.12",
         "mx3.mx.example": "127.0.0.13", "implicit": "127.0.0.20",
         "implicit.example": "127.0.0.20", "cname": "127.0.0.30",
         "real.cname.example": "127.0.0.30", "v6only": "2001:db8::25",
         "host6.v6only.example": "2001:db8::25"}


def _in_namespace():
    return os.environ.get("SMTPD_TEST_NETNS") == "1"


def address_of(host):
    """The address of a name of HOSTS, or `host` itself when it is an address."""
    return HOSTS.get(host, host)


def ensure_address(address):
    """Adds an address that is not in 127.0.0.0/8 or ::1 (2001:db8::25) to the namespace's lo."""
    if address.startswith("127.") or address == "::1":
        return
    if not _in_namespace():
        raise RuntimeError("%s may only be added to lo inside netns.run_tests()" % address)
    shown = subprocess.run(["ip", "addr", "show", "dev", "lo"], capture_output=True, text=True,
                           check=True).stdout
    if " %s/" % address not in shown:
        bits = "128" if ":" in address else "32"
        extra = ["nodad"] if ":" in address else []
        subprocess.run(["ip", "addr", "add", "%s/%s" % (address, bits), "dev", "lo"] + extra,
                       check=True)
    # A new IPv6 address of lo becomes local a moment after `ip addr add` (from a work queue,
    # even with nodad): until then its prefix route lets a connect() out, and the SYN comes back
    # as ENETUNREACH. So wait until a connection to a listener of our own there succeeds.
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    deadline = time.monotonic() + 10
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.bind((address, 0))
        listener.listen(8)
        while True:
            try:
                with socket.create_connection(listener.getsockname()[:2], timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.02)


def wait_listening(address, port, alive=lambda: True, timeout=15):
    """Waits (bounded) until something accepts a TCP connection on address:port."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            try:
                s.connect((address, port))
                return True
            except OSError:
                time.sleep(0.05)
    return False


def _hostport(address, port):
    return "[%s]:%d" % (address, port) if ":" in address else "%s:%d" % (address, port)


def _stop_process(proc, timeout=10):
    """Ends a process we started, by its PID: SIGTERM, then SIGKILL after `timeout`."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class PeerProcess(peer_record.Waiting):
    """recording_peer.py in a process of its own; read back from its record directory."""

    def __init__(self, listen, spec, directory):
        self.record_dir = os.path.join(directory, "record")
        os.makedirs(self.record_dir)
        self.spec_file = os.path.join(directory, "spec.json")
        self.set_spec(spec)
        args = [sys.executable, os.path.join(HERE, "recording_peer.py"), "--spec", self.spec_file,
                "--record", self.record_dir]
        for host, port in listen:
            args += ["--listen", _hostport(host, port)]
        self.stderr_path = os.path.join(directory, "stderr")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
        self.pid = self.proc.pid
        ready = os.path.join(self.record_dir, "ready")
        deadline = time.monotonic() + 15
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("recording_peer.py did not start: %s" % self.stderr())
            time.sleep(0.05)

    def set_spec(self, spec):
        """Replaces the spec; connections accepted from now on follow it."""
        with open(self.spec_file + ".tmp", "w") as f:
            json.dump(spec or {}, f)
        os.replace(self.spec_file + ".tmp", self.spec_file)

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def sessions(self):
        return peer_record.load(self.record_dir)

    def stop(self):
        _stop_process(self.proc)


class SmtpSink:
    """Postfix's smtp-sink on address:port, dumping each message to a file (-d). As the root of
    a user namespace it cannot drop privileges (it insists on -u as root): SkipTest there."""

    def __init__(self, address, port, directory, options=()):
        if not os.path.exists(SMTP_SINK):
            raise unittest.SkipTest("smtp-sink not extracted at %s (run .ci/refs)" % SMTP_SINK)
        if in_user_namespace():
            raise unittest.SkipTest("smtp-sink cannot drop privileges in a user namespace")
        self.dump_dir = os.path.join(directory, "dump")
        os.makedirs(self.dump_dir)
        os.chmod(self.dump_dir, 0o777)  # written by nobody after smtp-sink's privilege drop
        listen = _hostport(address, port)
        args = [SMTP_SINK, "-u", "nobody", "-d", os.path.join(self.dump_dir, "msg.")]
        args += list(options) + [listen, "64"]
        self.log_path = os.path.join(directory, "smtp-sink.log")
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(POSTFIX, "usr/lib/postfix"))
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.pid = self.proc.pid
        if not wait_listening(address, port, lambda: self.proc.poll() is None):
            self.stop()
            raise RuntimeError("smtp-sink did not listen on %s: %s" % (listen, self.log()))

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def messages(self):
        """Each dumped message as {"client_addr", "helo", "mail", "rcpts", "content"}: the
        X- headers smtp-sink writes, and the message after its Received: header (LF endings)."""
        out = []
        for name in sorted(os.listdir(self.dump_dir)):
            with open(os.path.join(self.dump_dir, name), "rb") as f:
                data = f.read()
            head, sep, rest = data.partition(b"\nReceived: ")
            if not sep:
                continue  # still being written
            fields = {"rcpts": []}
            for line in head.decode("latin-1").split("\n"):
                key, _, value = line.partition(": ")
                if key == "X-Rcpt-Args":
                    fields["rcpts"].append(value)
                elif key in ("X-Client-Addr", "X-Helo-Args", "X-Mail-Args"):
                    fields[{"X-Client-Addr": "client_addr", "X-Helo-Args": "helo",
                            "X-Mail-Args": "mail"}[key]] = value
            fields["content"] = rest.split(b"\n", 3)[3] if rest.count(b"\n") >= 3 else b""
            out.append(fields)
        return out

    def wait_messages(self, count=1, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.messages()) < count:
            if time.monotonic() > deadline:
                raise AssertionError("smtp-sink: %d messages, not %d, in %s s\n%s" % (
                    len(self.messages()), count, timeout, self.log()))
            time.sleep(0.05)
        return self.messages()

    def stop(self):
        _stop_process(self.proc)


def in_user_namespace():
    with open("/proc/self/uid_map") as f:
        return f.read().split()[:2] != ["0", "0"]


class RelayEnv:
    """The peers of one test; stop() ends every one it started."""

    def __init__(self, directory=None):
        self.dir = tempfile.mkdtemp(prefix="relay-env-", dir=directory)
        os.chmod(self.dir, 0o755)
        self._started = []

    def _subdir(self, kind, address, port):
        path = os.path.join(self.dir, "%s-%s-%d-%d" % (kind, address.replace(":", "_"), port,
                                                       len(self._started)))
        os.makedirs(path)
        os.chmod(path, 0o755)
        return path

    def peer(self, host, spec=None, port=25, also=(), process=False):
        """A recording peer on host:port (a name of HOSTS or an address), and on each address
        of `also` (e.g. "::1") at the same port; in this process or (process=True) its own."""
        addresses = [address_of(host)] + [address_of(a) for a in also]
        for a in addresses:
            ensure_address(a)
        listen = [(a, port) for a in addresses]
        if process:
            peer = PeerProcess(listen, spec, self._subdir("peer", addresses[0], port))
        else:
            peer = recording_peer.RecordingPeer(spec, listen).start()
        self._started.append(peer)
        return peer

    def peers(self, hosts, spec=None, **kw):
        """A recording peer on each of `hosts` with the same spec: {host: peer}."""
        return {host: self.peer(host, spec, **kw) for host in hosts}

    def sink(self, host, port=25, options=()):
        """Postfix's smtp-sink on host:port with extra `options` (e.g. ["-Q", "RCPT"])."""
        address = address_of(host)
        ensure_address(address)
        sink = SmtpSink(address, port, self._subdir("sink", address, port), options)
        self._started.append(sink)
        return sink

    def stop(self):
        """Stops every peer and sink (processes by PID), newest first, then removes the files."""
        while self._started:
            self._started.pop().stop()
        shutil.rmtree(self.dir, ignore_errors=True)
