"""Real MTAs as the receiving peers of the relay interop tests (test_relay_interop.py, issue 14
Tests): Postfix 3.7 and OpenSMTPD 6.8 (extracted by .ci/refs into build/refs/, started through
conformance/refservers.py), a second instance of our own smtpd, and a Dovecot authentication
service for Postfix's SASL, each listening on an address of its own (127.0.0.x) inside the test
module's private namespace (netns.py), on port 25 or the submission port 587.

    pf = PostfixPeer("127.0.0.41", "pf.example", users=["bob", "carol"]).start()
    ... pf.delivered() -> [bytes of each message in its Maildir] ...
    pf.cleanup()

Each class stops only the processes it started, by PID (refservers.Server.stop). A peer that
cannot run here raises unittest.SkipTest with the reason (not root, package not extracted).
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import dovecot
import harness
import refservers

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
POSTFIX = os.path.join(ROOT, "build/refs/postfix")
OPENSMTPD = os.path.join(ROOT, "build/refs/opensmtpd")
DOVECOT = "/usr/sbin/dovecot"


def require(path, what):
    """SkipTest unless we are root and `path` exists (an extracted package, an installed one)."""
    if os.geteuid() != 0:
        raise unittest.SkipTest("%s needs root (own users, privilege separation)" % what)
    if not os.path.exists(path):
        raise unittest.SkipTest("%s not found at %s (.ci/refs, .ci/deps install it)" % (what, path))


def maildir_messages(maildir):
    """The bytes of every message in a Maildir (new/ and cur/), oldest name first."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                with open(os.path.join(d, name), "rb") as f:
                    out.append(f.read())
    return out


def wait_messages(read, count, timeout=30, what="messages", log=lambda: ""):
    """Polls read() (bounded) until it returns at least `count` messages; returns them."""
    deadline = time.monotonic() + timeout
    while True:
        got = read()
        if len(got) >= count:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("%d %s, not %d, within %ds\n%s" % (len(got), what, count,
                                                                    timeout, log()))
        time.sleep(0.1)


def _probe(address, port):
    return socket.create_connection((address, port), timeout=2)


class PostfixPeer(refservers.Postfix):
    """Postfix on address:25 as the MX of `domain`: each of `users`@domain is delivered by
    virtual(8) to the one Maildir (with its Delivered-To header), any other recipient of the
    domain is refused at RCPT (550 5.1.1 User unknown). `tls` ({"cert": path, "key": path})
    offers STARTTLS with that certificate and records the protocol and cipher in its Received
    header. `transports` adds transport_maps entries (e.g. a domain routed to our smtpd),
    `extra_main_cf` main.cf lines and `services` master.cf lines (a submission listener)."""

    def __init__(self, address, domain, users=(), transports=(), extra_main_cf="", services=(),
                 tls=None):
        require(os.path.join(POSTFIX, "usr/lib/postfix/sbin/master"), "Postfix")
        self.address = address
        self.domain = domain
        self.users = list(users)
        self.transports = list(transports)
        self.services = list(services)
        if tls:
            self.services.append("tlsmgr unix - - n 1000? 1 tlsmgr")
            extra_main_cf = ("smtpd_tls_security_level = may\nsmtpd_tls_cert_file = %s\n"
                             "smtpd_tls_key_file = %s\nsmtpd_tls_received_header = yes\n"
                             "smtpd_tls_loglevel = 1\n" % (tls["cert"], tls["key"])) + extra_main_cf
        self.hostname = "mx." + domain
        super().__init__(POSTFIX, process_limit=20, extra_main_cf=extra_main_cf)
        self.port = 25
        self.maps = os.path.join(self.dir, "maps")
        os.makedirs(self.maps)
        lines = [
            "myhostname = " + self.hostname,
            "inet_interfaces = all",  # master.cf binds `address`, not an interface of its own
            "virtual_mailbox_domains = " + domain,
            "virtual_mailbox_maps = texthash:%s/mailboxes" % self.maps,
            "smtpd_reject_unlisted_recipient = yes",
            "transport_maps = texthash:%s/transport" % self.maps,
            "smtpd_sasl_authenticated_header = yes",
            "queue_run_delay = 1s",
            "minimal_backoff_time = 1s",
            "maximal_backoff_time = 2s",
            "delay_warning_time = 0",
        ]
        self.extra_main_cf = "\n".join(lines) + "\n" + extra_main_cf

    def prepare(self):
        with open(os.path.join(self.maps, "mailboxes"), "w") as f:
            f.writelines("%s@%s Maildir/\n" % (u, self.domain) for u in self.users)
        with open(os.path.join(self.maps, "transport"), "w") as f:
            f.writelines("%s %s\n" % t for t in self.transports)
        super().prepare()
        master = os.path.join(self.conf_dir, "master.cf")
        with open(master) as f:
            lines = f.read().split("\n")
        lines[0] = lines[0].replace("127.0.0.1:%d" % self.port, "%s:%d" % (self.address, self.port))
        with open(master, "w") as f:
            f.write("\n".join(lines[:1] + self.services + lines[1:]))

    def connect_probe(self):
        return _probe(self.address, self.port)

    def delivered(self):
        return maildir_messages(self.maildir)

    def maillog(self):
        try:
            with open(os.path.join(self.dir, "postfix.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def queue_ids(self):
        """Queue files still in Postfix's queue (incoming, active, deferred, hold)."""
        out = []
        for sub in ("incoming", "active", "deferred", "hold"):
            for root, _, files in os.walk(os.path.join(self.queue_dir, sub)):
                out += files
        return out


class OpenSmtpdPeer(refservers.OpenSmtpd):
    """OpenSMTPD 6.8 on address:25 as the MX of `domain`, delivering every recipient of it to
    one Maildir as user nobody. No STARTTLS (6.8's TLS fails with OpenSSL 3)."""

    def __init__(self, address, domain):
        require(os.path.join(OPENSMTPD, "usr/sbin/smtpd"), "OpenSMTPD 6.8")
        super().__init__(OPENSMTPD)
        self.address = address
        self.port = 25
        self.CONFIG = (
            'table vusers {{ "@" = "nobody" }}\n'
            'listen on %s port {port} hostname "mx.%s"\n'
            '{extra}\n'
            'action "local" maildir "{maildir}" virtual <vusers>\n'
            'match from any for domain "%s" action "local"\n') % (address, domain, domain)

    def prepare(self):
        super().prepare()
        # Its resolver asks DNS for the client's PTR: the namespace's nameserver, on loopback.
        with open(self.resolv, "w") as f:
            f.write("nameserver 127.0.0.53\noptions timeout:1 attempts:1\n")

    def connect_probe(self):
        return _probe(self.address, self.port)

    def delivered(self):
        return maildir_messages(self.maildir)


class SmtpdPeer(harness.Smtpd):
    """A second instance of our smtpd (own spool, control socket and configuration) as the next
    hop: it listens on address:port with `listen_options` and delivers every recipient of
    `domain` to its Maildir."""

    CONFIG = """\
table vusers {{ "@" = "{user}" }}
{extra}
listen on %s port {port} {listen_options}
action "local" maildir "{maildir}" virtual <vusers>
match from any for domain "%s" action "local"
"""

    def __init__(self, address, domain, port=25, listen_options="", extra_config=""):
        super().__init__(extra_config=extra_config, listen_options=listen_options)
        self.address = address
        self.port = port
        self.CONFIG = SmtpdPeer.CONFIG % (address, domain)

    def connect_probe(self):
        return _probe(self.address, self.port)

    def delivered(self):
        return maildir_messages(self.maildir)


class DovecotAuth:
    """Dovecot's auth service alone (no mail protocol): a passwd-file passdb with `users`
    ({name: password}) and a unix listener that Postfix's smtpd uses (smtpd_sasl_type = dovecot,
    smtpd_sasl_path = this.socket_path). Runs as root (the auth process needs no more); stopped
    by its PID."""

    def __init__(self, users, timeout=20):
        require(DOVECOT, "Dovecot")
        self.dir = tempfile.mkdtemp(prefix="dovecot-auth-")
        os.chmod(self.dir, 0o755)
        self.proc = None
        with open(os.path.join(self.dir, "users"), "w") as f:
            f.writelines("%s:{PLAIN}%s\n" % kv for kv in users.items())
        nobody = pwd.getpwnam("nobody").pw_name
        with open(os.path.join(self.dir, "dovecot.conf"), "w") as f:
            f.write("""\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols =
ssl = no
default_internal_user = {nobody}
default_login_user = {nobody}
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
""".format(d=self.dir, nobody=nobody))
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", os.path.join(self.dir, "dovecot.conf")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + timeout
        while not self._listening():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = self.log()
                self.cleanup()
                raise RuntimeError("dovecot auth did not start: " + log)
            time.sleep(0.05)

    @property
    def socket_path(self):
        return os.path.join(self.dir, "run", "auth-postfix")

    def _listening(self):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1)
            try:
                s.connect(self.socket_path)
                return True
            except OSError:
                return False

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log"), errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def cleanup(self):
        dovecot.terminate(self.proc)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
