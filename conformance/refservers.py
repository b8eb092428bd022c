"""The three SMTP servers side by side: ours, Postfix 3.7 and OpenSMTPD 6.8 (the last two from the
Debian packages .ci/refs extracts into build/refs/), each started on a free 127.0.0.1 port in its
own temporary directory, accepting mail for `localhost` and delivering every local recipient to
ONE Maildir (`.maildir`). Python 3 standard library only; used by conformance/report.py and
bench/bench.py.

    server = Postfix("build/refs/postfix")      # or Ours(binary), OpenSmtpd(prefix)
    server.start()                              # raises StartError with the reason
    ... server.port, server.maildir, server.pids(), server.durable_250 ...
    server.stop()                               # stops the processes it started, by PID

Postfix and OpenSMTPD need root (own users, OpenSMTPD a private mount namespace); the users they
run as (postfix/postdrop, opensmtpd/opensmtpq as in Debian's builds) are created when missing.
Notes on both: /work/shared/REFERENCE-SERVERS.md.
"""
import grp
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

DOMAIN = "localhost"


class StartError(RuntimeError):
    """The server could not be started; the message says why."""


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(n) for n in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A port on 127.0.0.1 that is free now and outside the kernel's ephemeral range, so that
    no client connection (another test's smtplib, a delivery) can be given it as its source
    port between this check and the server's bind. Ports of two servers started at once can
    still collide, rarely: start() then retries on another port."""
    low, _ = _ephemeral_range()
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(10000, max(10001, low))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid):
    """pid and every process below it (from /proc), for PSS/CPU sums."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def ensure_user(name, group=None, home="/nonexistent"):
    """Creates a system user (and its group) when missing; returns (uid, gid)."""
    group = group or name
    try:
        grp.getgrnam(group)
    except KeyError:
        subprocess.run(["groupadd", "--system", group], check=True, capture_output=True)
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", home, "--shell",
                        "/usr/sbin/nologin", "--gid", group, name], check=True, capture_output=True)
        pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def ensure_group(name):
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", name], check=True, capture_output=True)
        return grp.getgrnam(name).gr_gid


AUTH_USER = "alice"
AUTH_PASSWORD = "correct horse"


def make_certificate(directory, name="mx.test"):
    """A self-signed certificate and key for `name`, made now with the openssl tool (never a
    committed key); returns (cert_path, key_path)."""
    cert, key = os.path.join(directory, name + ".crt"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=" + name,
                    "-addext", "subjectAltName=DNS:" + name],
                   check=True, capture_output=True)
    return cert, key


def make_credentials(directory):
    """A table(5) file with AUTH_USER's sha512-crypt hash (openssl passwd -6)."""
    digest = subprocess.run(["openssl", "passwd", "-6", AUTH_PASSWORD], check=True,
                            capture_output=True, text=True).stdout.strip()
    path = os.path.join(directory, "credentials")
    with open(path, "w") as f:
        f.write("%s %s\n" % (AUTH_USER, digest))
    return path


def make_maildir(path, uid=None, gid=None):
    for sub in ("", "new", "cur", "tmp"):
        d = os.path.join(path, sub)
        os.makedirs(d, exist_ok=True)
        if uid is not None:
            os.chown(d, uid, gid)
        os.chmod(d, 0o700)


class Server:
    """What the three have in common: a temporary directory, a port, a log, a process."""

    name = "server"
    durable_250 = False

    def __init__(self):
        # The tree exists before start(), so a caller can prepare files in it (a spool to recover).
        self.dir = tempfile.mkdtemp(prefix="ref-%s-" % self.name)
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.maildir = os.path.join(self.dir, "Maildir")
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        self._log = None

    # -- subclasses: prepare() writes the configuration, command() the argv to start
    def prepare(self):
        raise NotImplementedError

    def command(self):
        raise NotImplementedError

    def env(self):
        return None

    def start(self, timeout=30):
        for attempt in range(5):
            try:
                return self._start(timeout)
            except StartError as e:
                # Another server took the port between free_port() and the bind: try another.
                if "Address already in use" not in str(e) or attempt == 4:
                    raise
                if self._log:
                    self._log.close()
                self.port = free_port()

    def _start(self, timeout):
        self.prepare()
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env(), cwd=self.dir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StartError("%s exited with %d: %s" % (self.name, self.proc.returncode,
                                                             self.log_tail()))
            try:
                with self.connect_probe() as s:
                    s.settimeout(10)
                    banner = s.recv(512)
                    s.sendall(b"QUIT\r\n")
                    s.recv(512)
                if banner.startswith(b"220"):
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise StartError("%s did not answer 220 on port %d within %ds: %s"
                         % (self.name, self.port, timeout, self.log_tail()))

    def connect_probe(self):
        """A connection to the server's port for the start-up check (plain TCP; a listener with
        implicit TLS wraps it)."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=2)

    def pids(self):
        """Every process of the server (the one started and all below it)."""
        if not self.proc or self.proc.poll() is not None:
            return []
        return descendants(self.proc.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                for pid in reversed(descendants(self.proc.pid)):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.proc.wait()
        if self._log:
            self._log.close()
            self._log = None

    def cleanup(self):
        self.stop()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-n:]
        except (OSError, TypeError):
            return ""

    def version(self):
        return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class Ours(Server):
    """Our smtpd: `smtpd -d -f conf -S spool`, a virtual catch-all to the running user."""

    name = "ours"
    durable_250 = True
    CONFIG = """\
table vusers {{ "@" = "{user}" }}
{extra}
listen on 127.0.0.1 port {port} {listen_options}
action "local" maildir "{maildir}" virtual <vusers>
match from any for local action "local"
"""

    def __init__(self, binary, verbose=False, extra_config="", listen_options="", tls_auth=False,
                 extra_args=()):
        """With tls_auth, a certificate and a credentials table made at run time and the listener
        options "tls pki mx.test auth-optional <creds>" (STARTTLS, then AUTH). `extra_args` are
        added to smtpd's command line (e.g. -T smtp)."""
        super().__init__()
        self.binary = os.path.abspath(binary)
        self.verbose = verbose
        self.extra_args = list(extra_args)
        self.extra_config = extra_config
        self.listen_options = listen_options
        self.config = os.path.join(self.dir, "smtpd.conf")
        self.spool = os.path.join(self.dir, "spool")
        if tls_auth:
            self.use_certificate_and_credentials()
            self.listen_options += " tls pki mx.test auth-optional <creds>"

    def use_certificate_and_credentials(self):
        """Declares a pki "mx.test" and a table "creds" made now, for the listener options."""
        self.cert, self.key = make_certificate(self.dir)
        creds = make_credentials(self.dir)
        self.extra_config += ('\npki mx.test cert "%s"\npki mx.test key "%s"\n'
                              'table creds file:%s\n' % (self.cert, self.key, creds))

    def prepare(self):
        if not os.access(self.binary, os.X_OK):
            raise StartError("no smtpd binary at %s (run .ci/build)" % self.binary)
        with open(self.config, "w") as f:
            f.write(self.CONFIG.format(maildir=self.maildir, port=self.port,
                                       user=pwd.getpwuid(os.getuid()).pw_name,
                                       extra=self.extra_config,
                                       listen_options=self.listen_options))

    def command(self):
        return [self.binary, "-d"] + (["-v"] if self.verbose else []) + self.extra_args + \
               ["-f", self.config, "-S", self.spool, "-s", self.socket]

    @property
    def socket(self):
        """The control socket: one per instance, so that instances never share one."""
        return os.path.join(self.dir, "smtpd.sock")


class Postfix(Server):
    """Postfix 3.7 from an extracted package: own config and queue directories, master(8) in the
    foreground, chroot off, virtual(8) delivering every address of `localhost` to one Maildir,
    no relaying for loopback (mynetworks narrowed), bare-LF dot refused."""

    name = "postfix"
    durable_250 = True
    SERVICES = [
        # service type private unpriv chroot wakeup maxproc command
        ("pickup", "unix", "n", "-", "n", "60", "1", "pickup"),
        ("cleanup", "unix", "n", "-", "n", "-", "0", "cleanup"),
        ("qmgr", "unix", "n", "-", "n", "300", "1", "qmgr"),
        ("rewrite", "unix", "-", "-", "n", "-", "-", "trivial-rewrite"),
        ("bounce", "unix", "-", "-", "n", "-", "0", "bounce"),
        ("defer", "unix", "-", "-", "n", "-", "0", "bounce"),
        ("trace", "unix", "-", "-", "n", "-", "0", "bounce"),
        ("verify", "unix", "-", "-", "n", "-", "1", "verify"),
        ("flush", "unix", "n", "-", "n", "1000?", "0", "flush"),
        ("proxymap", "unix", "-", "-", "n", "-", "-", "proxymap"),
        ("proxywrite", "unix", "-", "-", "n", "-", "1", "proxymap"),
        ("smtp", "unix", "-", "-", "n", "-", "-", "smtp"),
        ("relay", "unix", "-", "-", "n", "-", "-", "smtp"),
        ("showq", "unix", "n", "-", "n", "-", "-", "showq"),
        ("error", "unix", "-", "-", "n", "-", "-", "error"),
        ("retry", "unix", "-", "-", "n", "-", "-", "error"),
        ("discard", "unix", "-", "-", "n", "-", "-", "discard"),
        ("local", "unix", "-", "n", "n", "-", "-", "local"),
        ("virtual", "unix", "-", "n", "n", "-", "-", "virtual"),
        ("anvil", "unix", "-", "-", "n", "-", "1", "anvil"),
        ("scache", "unix", "-", "-", "n", "-", "1", "scache"),
        ("postlog", "unix-dgram", "n", "-", "n", "-", "1", "postlogd"),
    ]
    QUEUE_DIRS = ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
                  "private", "saved", "trace")

    def __init__(self, prefix, process_limit=1000, extra_main_cf="", tls=False):
        super().__init__()
        self.prefix = os.path.abspath(prefix)
        self.process_limit = process_limit
        self.extra_main_cf = extra_main_cf  # main.cf lines; a parameter set here replaces ours
        self.tls = tls  # STARTTLS offered (self-signed prime256v1 certificate, made with openssl)

    def env(self):
        return dict(os.environ, LD_LIBRARY_PATH=os.path.join(self.prefix, "usr/lib/postfix"))

    def prepare(self):
        if os.geteuid() != 0:
            raise StartError("Postfix needs root here (own users, master as root)")
        master = os.path.join(self.prefix, "usr/lib/postfix/sbin/master")
        if not os.access(master, os.X_OK):
            raise StartError("no Postfix at %s (run .ci/refs)" % self.prefix)
        uid, gid = ensure_user("postfix")
        postdrop = ensure_group("postdrop")
        self.conf_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "queue")
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.conf_dir)
        os.makedirs(self.queue_dir)
        os.chmod(self.queue_dir, 0o755)
        for d in self.QUEUE_DIRS:
            os.makedirs(os.path.join(self.queue_dir, d))
            os.chown(os.path.join(self.queue_dir, d), uid, -1)
            os.chmod(os.path.join(self.queue_dir, d), 0o700)
        for d, mode in (("maildrop", 0o730), ("public", 0o710)):
            os.makedirs(os.path.join(self.queue_dir, d))
            os.chown(os.path.join(self.queue_dir, d), uid, postdrop)
            os.chmod(os.path.join(self.queue_dir, d), mode)
        os.makedirs(os.path.join(self.queue_dir, "pid"))
        os.makedirs(self.data_dir)
        os.chown(self.data_dir, uid, gid)
        os.chmod(self.data_dir, 0o700)
        make_maildir(self.maildir, uid, gid)
        shutil.copy(os.path.join(self.prefix, "usr/share/postfix/dynamicmaps.cf"), self.conf_dir)
        lib = os.path.join(self.prefix, "usr/lib/postfix")
        main_cf = """\
compatibility_level = 3.6
config_directory = {conf}
queue_directory = {queue}
data_directory = {data}
daemon_directory = {lib}/sbin
command_directory = {prefix}/usr/sbin
shlib_directory = {lib}
meta_directory = {conf}
sendmail_path = {prefix}/usr/sbin/sendmail
newaliases_path = {prefix}/usr/sbin/newaliases
mailq_path = {prefix}/usr/bin/mailq
manpage_directory = no
sample_directory = no
readme_directory = no
html_directory = no
mail_owner = postfix
setgid_group = postdrop
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH={lib}
maillog_file_prefixes = {dir}
maillog_file = {dir}/postfix.log
myhostname = localhost
mydomain = localdomain
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 192.0.2.1/32
mynetworks_style = host
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtp_dns_support_level = disabled
smtpd_forbid_bare_newline = yes
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = {domain}
virtual_mailbox_base = {dir}
virtual_mailbox_maps = static:Maildir/
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
default_process_limit = {limit}
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
biff = no
{extra}
""".format(conf=self.conf_dir, queue=self.queue_dir, data=self.data_dir, lib=lib,
           prefix=self.prefix, dir=self.dir, domain=DOMAIN, uid=uid, gid=gid,
           limit=self.process_limit, extra=self.extra_main_cf)
        main_cf = last_setting_wins(main_cf)
        services = list(self.SERVICES)
        if self.tls:
            key, cert = os.path.join(self.conf_dir, "key.pem"), os.path.join(self.conf_dir, "cert.pem")
            r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                                "-subj", "/CN=localhost", "-keyout", key,
                                "-out", cert], capture_output=True, text=True)
            if r.returncode:
                raise StartError("openssl could not make a certificate: " + r.stderr[-500:])
            main_cf += ("smtpd_tls_security_level = may\nsmtpd_tls_cert_file = %s\n"
                        "smtpd_tls_key_file = %s\n" % (cert, key))
            services.append(("tlsmgr", "unix", "-", "-", "n", "1000?", "1", "tlsmgr"))
        with open(os.path.join(self.conf_dir, "main.cf"), "w") as f:
            f.write(main_cf)
        lines = ["127.0.0.1:%d inet n - n - - smtpd" % self.port]
        lines += [" ".join(s) for s in services]
        with open(os.path.join(self.conf_dir, "master.cf"), "w") as f:
            f.write("\n".join(lines) + "\n")
        # postfix-files is what `postfix check` reads; master does not need it, but keep
        # post-install and friends quiet if someone runs them on this directory.
        open(os.path.join(self.conf_dir, "postfix-files"), "w").close()

    def command(self):
        # master -d: stay in the foreground (this object owns its PID); -c: our config dir.
        return [os.path.join(self.prefix, "usr/lib/postfix/sbin/master"), "-d", "-c", self.conf_dir]

    def start(self, timeout=30):
        try:
            return super().start(timeout)
        except StartError as e:
            raise StartError("%s; postfix.log: %s" % (e, self._maillog()))

    def _maillog(self):
        try:
            with open(os.path.join(self.dir, "postfix.log"), errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def log_tail(self, n=3000):
        return (super().log_tail(n) + self._maillog())[-n:]

    def version(self):
        try:
            r = subprocess.run([os.path.join(self.prefix, "usr/sbin/postconf"), "-d", "-h",
                                "mail_version"], env=self.env(), capture_output=True, text=True,
                               timeout=20)
            return "Postfix " + r.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "Postfix"


class OpenSmtpd(Server):
    """OpenSMTPD 6.8 from an extracted package, as root, in a private mount namespace
    (`unshare -m`): its compiled-in spool (/var/spool/smtpd), control socket (/run), chroot
    (/var/lib/opensmtpd/empty) and MDA helpers (/usr/libexec/opensmtpd) are bind mounts of this
    object's directories, and /etc/resolv.conf points at loopback. Only empty mount points are
    created outside (when missing). Delivers to one Maildir as user `nobody`. Its 250 is not
    durable: 6.8 never fsyncs its queue."""

    name = "opensmtpd"
    durable_250 = False
    MOUNTPOINTS = ("/var/spool/smtpd", "/var/lib/opensmtpd/empty", "/usr/libexec/opensmtpd")
    CONFIG = """\
table vusers {{ "@" = "nobody" }}
listen on 127.0.0.1 port {port} hostname "localhost"
{extra}
action "local" maildir "{maildir}" virtual <vusers>
match from any for domain "{domain}" action "local"
"""

    def __init__(self, prefix, extra_config=""):
        super().__init__()
        self.prefix = os.path.abspath(prefix)
        self.extra_config = extra_config

    def prepare(self):
        if os.geteuid() != 0:
            raise StartError("OpenSMTPD needs root (privilege separation, mount namespace)")
        self.binary = os.path.join(self.prefix, "usr/sbin/smtpd")
        if not os.access(self.binary, os.X_OK):
            raise StartError("no OpenSMTPD at %s (run .ci/refs)" % self.prefix)
        if not shutil.which("unshare"):
            raise StartError("unshare(1) missing")
        ensure_user("opensmtpd", home="/var/lib/opensmtpd/empty")
        ensure_user("opensmtpq", home="/var/lib/opensmtpd/empty")
        nobody = pwd.getpwnam("nobody")
        for mp in self.MOUNTPOINTS:
            os.makedirs(mp, exist_ok=True)
        self.spool = os.path.join(self.dir, "spool")
        os.makedirs(self.spool)
        os.chmod(self.spool, 0o711)
        self.run_dir = os.path.join(self.dir, "run")
        os.makedirs(self.run_dir)
        self.empty = os.path.join(self.dir, "empty")
        os.makedirs(self.empty)
        os.chmod(self.empty, 0o755)
        self.resolv = os.path.join(self.dir, "resolv.conf")
        with open(self.resolv, "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        make_maildir(self.maildir, nobody.pw_uid, nobody.pw_gid)
        self.config = os.path.join(self.dir, "smtpd.conf")
        with open(self.config, "w") as f:
            f.write(self.CONFIG.format(port=self.port, maildir=self.maildir, domain=DOMAIN,
                                       extra=self.extra_config))
        os.chmod(self.config, 0o644)
        self.script = os.path.join(self.dir, "start.sh")
        with open(self.script, "w") as f:
            f.write("""set -e
mount --bind {spool} /var/spool/smtpd
mount --bind {empty} /var/lib/opensmtpd/empty
mount --bind {libexec} /usr/libexec/opensmtpd
mount --bind {run} /run
mount --bind {resolv} /etc/resolv.conf
exec {binary} -d -f {config}
""".format(spool=self.spool, empty=self.empty, run=self.run_dir, resolv=self.resolv,
           libexec=os.path.join(self.prefix, "usr/libexec/opensmtpd"), binary=self.binary,
           config=self.config))

    def command(self):
        # unshare -m keeps the mounts private (util-linux defaults to --propagation private);
        # sh execs smtpd, so the PID started is the smtpd parent process.
        return ["unshare", "-m", "sh", self.script]

    def version(self):
        return "OpenSMTPD 6.8.0p2 (Debian %s)" % _deb_version(self.prefix, "opensmtpd")


def last_setting_wins(main_cf):
    """main.cf text keeping, for each parameter, only its last setting (with its continuation
    lines): what Postfix uses anyway, minus its "overriding earlier entry" warning. Every Postfix
    process logs that warning at start-up, before its logging is set up, to postlogd's datagram
    socket; where net.unix.max_dgram_qlen is small (10 in this sandbox) a few processes starting
    at once fill it, postlogd blocks sending its own warnings to itself, and the whole instance
    hangs before answering 220."""
    logical = []  # [key or None, [physical lines]]
    for line in main_cf.splitlines(keepends=True):
        stripped = line.strip()
        if line[:1] in (" ", "\t") and stripped and not stripped.startswith("#") and logical:
            logical[-1][1].append(line)
            continue
        key = None
        if stripped and not stripped.startswith("#") and "=" in line:
            key = line.split("=", 1)[0].strip()
        logical.append([key, [line]])
    last = {key: i for i, (key, _) in enumerate(logical) if key}
    return "".join("".join(lines) for i, (key, lines) in enumerate(logical)
                   if not key or last[key] == i)


def _deb_version(prefix, pkg):
    try:
        import gzip
        with gzip.open(os.path.join(prefix, "usr/share/doc/%s/changelog.Debian.amd64.gz" % pkg), "rt") as f:
            first = f.readline()
        return first.split("(", 1)[1].split(")", 1)[0]
    except (OSError, IndexError):
        return "?"
