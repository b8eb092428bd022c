"""A private Dovecot LMTP server for integration tests, as tests/runtime/dovecot_fixture.hpp starts
one: Debian's dovecot-core + dovecot-lmtpd, "rootless" as the current user (started as root it
runs as nobody, which then owns its temporary directory), an LMTP listener on a unix socket and
on 127.0.0.1:<free port>, users whose Maildir is <dir>/home/<user>/Maildir (passwd-file passdb,
static userdb; "alice@any.domain" is "alice"), logging to <dir>/dovecot.log. Waits (bounded)
until both listeners accept; stopped by its PID with SIGTERM, then SIGKILL.

    d = Dovecot(users=["alice"])     # raises DovecotError when it does not come up
    ... d.socket_path, d.tcp, d.maildir("alice"), d.log() ...
    d.cleanup()
"""
import os
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../conformance"))
import refservers  # noqa: E402  (free_port)

BINARY = "/usr/sbin/dovecot"


class DovecotError(RuntimeError):
    """Dovecot could not be started; the message says why."""


def terminate(proc, grace=10):
    """Stops a dovecot master we started (SIGTERM, then SIGKILL after `grace` seconds)."""
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def available():
    return os.access(BINARY, os.X_OK) and os.path.exists("/usr/lib/dovecot/lmtp")




class Dovecot:
    def __init__(self, users=("alice",), timeout=20):
        self.dir = tempfile.mkdtemp(prefix="dovecot-")
        self.port = refservers.free_port()
        self.proc = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
        self._write_config(users)
        if os.geteuid() == 0:
            os.chmod(self.dir, 0o777)
            for root, dirs, files in os.walk(self.dir):
                for n in dirs + files:
                    os.lchown(os.path.join(root, n), self.uid, self.gid)
            os.chown(self.dir, self.uid, self.gid)
        self._start(timeout)

    @property
    def socket_path(self):
        return os.path.join(self.dir, "run", "lmtp")

    @property
    def tcp(self):
        return "127.0.0.1:%d" % self.port

    def maildir(self, user="alice"):
        return os.path.join(self.dir, "home", user, "Maildir")

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def delivered(self, user="alice"):
        """The bytes of every message in the user's Maildir (new/ and cur/)."""
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir(user), sub)
            if os.path.isdir(d):
                for n in sorted(os.listdir(d)):
                    with open(os.path.join(d, n), "rb") as f:
                        out.append(f.read())
        return out

    def _write_config(self, users):
        d = self.dir
        user = pwd.getpwuid(self.uid).pw_name
        try:
            group = grp.getgrgid(self.gid).gr_name
        except KeyError:
            group = user
        os.makedirs(os.path.join(d, "home"))
        with open(os.path.join(d, "users"), "w") as f:
            for u in users:
                f.write("%s:{PLAIN}unused\n" % u)
        with open(os.path.join(d, "dovecot.conf"), "w") as f:
            f.write("""\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = lmtp
ssl = no
listen = 127.0.0.1
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
mail_location = maildir:~/Maildir
auth_username_format = %n
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
""".format(d=d, user=user, group=group, uid=self.uid, gid=self.gid, port=self.port))

    def _accepts(self, family, address):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(1)
        try:
            s.connect(address)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def _start(self, timeout):
        def drop():
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(self.gid)
                os.setuid(self.uid)

        self.proc = subprocess.Popen([BINARY, "-F", "-c", os.path.join(self.dir, "dovecot.conf")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, preexec_fn=drop, cwd=self.dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.log()
                self.cleanup()
                raise DovecotError("dovecot exited with %d: %s" % (self.proc.returncode, log))
            if (self._accepts(socket.AF_UNIX, self.socket_path) and
                    self._accepts(socket.AF_INET, ("127.0.0.1", self.port))):
                return
            time.sleep(0.05)
        log = self.log()
        self.cleanup()
        raise DovecotError("dovecot did not listen within %ds: %s" % (timeout, log))

    def stop(self):
        terminate(self.proc)

    def cleanup(self):
        self.stop()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
