"""The match rules of smtpd.conf(5) on a real smtpd: a listener's `tag` matched by a rule,
`from src <table>` with a netaddr table, `from auth <table>`, `reject` and its reply, and
Postmaster (RFC 5321 §4.5.1) accepted and delivered whatever the rules say. Each rule's effect is
seen in the RCPT reply (and for Postmaster, in the delivered message)."""
import smtplib
import ssl
import unittest

from harness import AUTH_PASSWORD, AUTH_USER, Dialogue, Smtpd, TlsSmtpd

# Declared before the harness's own `match from any for local action "local"`, so these rules
# come first; "t" delivers as "local" does.
def action_t(smtpd):
    """The action the rules name: the server's Maildir, through its catch-all virtual table."""
    return 'action "t" maildir "%s" virtual <vusers>\n' % smtpd.maildir


def rcpt_reply(port, rcpt, sender="<s@client.test>"):
    """(code, first line) of RCPT TO:<rcpt> in a fresh session."""
    d = Dialogue(port)
    try:
        assert d.reply()[0] == 220
        assert d.command(b"EHLO client.test\r\n")[0] == 250
        assert d.command(b"MAIL FROM:%s\r\n" % sender.encode())[0] == 250
        code, lines = d.command(b"RCPT TO:<%s>\r\n" % rcpt.encode())
        return code, lines[0]
    finally:
        d.close()


class TagSrcRejectTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        extra = ("table nets { 127.0.0.0/8 }\n"
                 "table othernets { 10.0.0.0/8, 2001:db8::/32 }\n"
                 'match from any tag MX for domain "tagged.test" action "t"\n'
                 'match from any ! tag MX for domain "untagged.test" action "t"\n'
                 'match from src <nets> for domain "src.test" action "t"\n'
                 'match from src <othernets> for domain "other.test" action "t"\n'
                 'match from any for domain "spam.test" reject\n'
                 'match from any for domain "spam.test" action "t"\n')
        cls.smtpd = Smtpd(listen_options="tag MX")
        cls.smtpd.extra_config += action_t(cls.smtpd) + extra
        cls.smtpd.start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def test_the_listeners_tag_is_matched(self):
        self.assertEqual(rcpt_reply(self.smtpd.port, "a@tagged.test")[0], 250)
        self.assertEqual(rcpt_reply(self.smtpd.port, "a@untagged.test")[0], 550)

    def test_from_src_matches_the_clients_address_in_a_netaddr_table(self):
        self.assertEqual(rcpt_reply(self.smtpd.port, "a@src.test")[0], 250)
        self.assertEqual(rcpt_reply(self.smtpd.port, "a@other.test"),
                         (550, "550 5.7.1 Relaying denied"))

    def test_reject_refuses_the_recipient_before_a_later_accepting_rule(self):
        self.assertEqual(rcpt_reply(self.smtpd.port, "a@spam.test"),
                         (550, "550 5.1.1 Invalid recipient"))


class FromAuthTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.smtpd = TlsSmtpd("tls pki mx.test auth-optional <creds> hostname mx.test")
        cls.smtpd.extra_config += (action_t(cls.smtpd) + "table users { %s }\n" % AUTH_USER +
                                   'match from auth <users> for domain "auth.test" action "t"\n')
        cls.smtpd.start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def test_from_auth_table_needs_a_user_of_the_table(self):
        c = smtplib.SMTP("127.0.0.1", self.smtpd.port, local_hostname="client.test", timeout=10)
        self.addCleanup(c.close)
        ctx = ssl.create_default_context(cafile=self.smtpd.cert)
        ctx.check_hostname = False  # the certificate names mx.test; smtplib checks 127.0.0.1
        c.starttls(context=ctx)
        c.ehlo()
        c.mail("s@client.test")
        self.assertEqual(c.rcpt("a@auth.test")[0], 550)  # not authenticated yet
        c.rset()
        c.login(AUTH_USER, AUTH_PASSWORD)
        c.mail("s@client.test")
        self.assertEqual(c.rcpt("a@auth.test")[0], 250)


class PostmasterTest(unittest.TestCase):
    """Every other local recipient is rejected by a rule; Postmaster is accepted anyway and goes
    through the local action, its virtual table delivering to the test's Maildir."""

    @classmethod
    def setUpClass(cls):
        cls.smtpd = Smtpd(extra_config="match from any for local reject\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.smtpd.cleanup()

    def test_other_local_recipients_are_rejected(self):
        self.assertEqual(rcpt_reply(self.smtpd.port, "joe@localhost")[0], 550)

    def test_postmaster_in_any_case_with_or_without_domain_is_accepted(self):
        for rcpt in ("Postmaster", "postmaster", "POSTMASTER@localhost", "postMaster@localhost"):
            with self.subTest(rcpt=rcpt):
                self.assertEqual(rcpt_reply(self.smtpd.port, rcpt)[0], 250)

    def test_postmaster_of_a_foreign_domain_is_not(self):
        self.assertEqual(rcpt_reply(self.smtpd.port, "postmaster@elsewhere.test")[0], 550)

    def test_postmaster_is_delivered(self):
        c = smtplib.SMTP("127.0.0.1", self.smtpd.port, local_hostname="client.test", timeout=10)
        self.addCleanup(c.close)
        c.sendmail("s@client.test", ["Postmaster"],
                   b"Subject: to-postmaster\r\n\r\nfor the postmaster\r\n")
        got = self.smtpd.find_delivered(b"to-postmaster")
        self.assertIn(b"for the postmaster", got)


if __name__ == "__main__":
    unittest.main()
