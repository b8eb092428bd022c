"""The global statements smtp sub-addr-delim, smtp ciphers, mda wrapper (with the action option
wrapper), mda limit max-session and scheduler limit max-inflight, each on a real daemon:
a recipient's sub-address after the configured delimiter is ignored (and '+' no longer is);
the TLS listener offers only the configured ciphers (TLS 1.2); an mda action with a wrapper runs
the wrapper's command with the action's command for %{mda}; with one mda session or one
delivery in flight allowed, two slow deliveries never overlap (without a limit they do).
"""
import os
import pwd
import smtplib
import socket
import ssl
import unittest

import harness
from harness import wait_for

USER = pwd.getpwuid(os.getuid()).pw_name


class ConfSmtpd(harness.Smtpd):
    """Our smtpd with a whole configuration given as a template ({port}, {maildir}, {dir},
    {user}); <dir>/out is a directory every delivery may write in."""

    def __init__(self, template):
        super().__init__()
        self.template = template
        self.out = os.path.join(self.dir, "out")
        os.makedirs(self.out)
        os.chmod(self.out, 0o777)

    def prepare(self):
        with open(self.config, "w") as f:
            f.write(self.template.format(port=self.port, maildir=self.maildir, dir=self.dir,
                                         user=USER, out=self.out))


def send(smtpd, rcpt, body=b"Subject: t\r\n\r\nbody\r\n"):
    with smtplib.SMTP("127.0.0.1", smtpd.port, timeout=10) as c:
        c.sendmail("s@localhost", [rcpt], body)


class SubAddrDelim(unittest.TestCase):
    CONFIG = """\
smtp sub-addr-delim "-"
listen on 127.0.0.1 port {port}
action "local" maildir "{maildir}"
match from any for local action "local"
"""

    def test_the_configured_delimiter_starts_the_sub_address(self):
        smtpd = ConfSmtpd(self.CONFIG).start()
        self.addCleanup(smtpd.cleanup)
        send(smtpd, USER + "-lists@localhost", b"Subject: t\r\n\r\nminus-tagged\r\n")
        self.assertIn(b"minus-tagged", smtpd.find_delivered(b"minus-tagged"))
        with smtplib.SMTP("127.0.0.1", smtpd.port, timeout=10) as c:
            c.ehlo()
            c.mail("s@localhost")
            code, _ = c.rcpt(USER + "+lists@localhost")
        self.assertEqual(code // 100, 5, "'+' is no longer a delimiter: no such user")


class Ciphers(unittest.TestCase):
    ALLOWED = "ECDHE-RSA-AES128-GCM-SHA256"
    OTHER = "ECDHE-RSA-AES256-GCM-SHA384"

    def setUp(self):
        self.smtpd = harness.TlsSmtpd("tls pki mx.test")
        self.smtpd.extra_config += 'smtp ciphers "%s"\n' % self.ALLOWED
        self.addCleanup(self.smtpd.cleanup)
        self.smtpd.start()

    def handshake(self, cipher):
        ctx = ssl.create_default_context(cafile=self.smtpd.cert)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(cipher)
        c = smtplib.SMTP("127.0.0.1", self.smtpd.port, timeout=10)
        self.addCleanup(c.close)
        c.ehlo("client.test")
        c._host = "mx.test"  # the name the certificate is checked against
        c.starttls(context=ctx)
        return c.sock.cipher()[0]

    def test_only_the_configured_cipher_is_offered(self):
        self.assertEqual(self.handshake(self.ALLOWED), self.ALLOWED)
        with self.assertRaises(ssl.SSLError):
            self.handshake(self.OTHER)


class MdaWrapper(unittest.TestCase):
    CONFIG = """\
table vusers {{ "@" = "{user}" }}
mda wrapper "tagger" "sed s/body/WRAPPED-%{{rcpt.user}}/ | %{{mda}}"
listen on 127.0.0.1 port {port}
action "wrapped" mda "cat > {out}/mda-%{{rcpt.user}}.txt" wrapper "tagger" virtual <vusers>
match from any for local action "wrapped"
"""

    def test_the_wrapper_runs_with_the_mda_command_in_its_place(self):
        smtpd = ConfSmtpd(self.CONFIG).start()
        self.addCleanup(smtpd.cleanup)
        send(smtpd, "bob@localhost")
        path = os.path.join(smtpd.out, "mda-bob.txt")

        def delivered():
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
                return data if data.endswith(b"\n") and b"WRAPPED" in data else None
            return None

        data = wait_for(delivered, what="the wrapped delivery")
        self.assertIn(b"WRAPPED-bob", data)
        self.assertNotIn(b"\nbody\n", data)


class Limits(unittest.TestCase):
    """Two messages to an mda that notes when it starts and ends and takes 2 s."""

    CONFIG = """\
table vusers {{ "@" = "{user}" }}
{limit}
listen on 127.0.0.1 port {port}
action "slow" mda "cat >/dev/null; date +%%s.%%N > {out}/start-%{{rcpt.user}}; sleep 2; date +%%s.%%N > {out}/end-%{{rcpt.user}}" virtual <vusers>
match from any for local action "slow"
"""

    def intervals(self, limit):
        smtpd = ConfSmtpd(self.CONFIG.replace("{limit}", limit)).start()
        self.addCleanup(smtpd.cleanup)
        send(smtpd, "one@localhost")
        send(smtpd, "two@localhost")

        def read(name):
            path = os.path.join(smtpd.out, name)
            if not os.path.exists(path):
                return None
            with open(path) as f:
                text = f.read().strip()
            return float(text) if text else None

        times = wait_for(lambda: all(read(n) for n in ("end-one", "end-two")) and
                         {u: (read("start-" + u), read("end-" + u)) for u in ("one", "two")},
                         what="both deliveries")
        return sorted(times.values())

    def assertSerial(self, spans):
        (_, first_end), (second_start, _) = spans
        self.assertGreaterEqual(second_start, first_end, spans)

    def test_without_a_limit_the_deliveries_overlap(self):
        (_, first_end), (second_start, _) = self.intervals("")
        self.assertLess(second_start, first_end)

    def test_mda_limit_max_session_one_delivers_one_at_a_time(self):
        self.assertSerial(self.intervals("mda limit max-session 1"))

    def test_scheduler_limit_max_inflight_one_delivers_one_at_a_time(self):
        self.assertSerial(self.intervals("scheduler limit max-inflight 1"))


if __name__ == "__main__":
    unittest.main()
