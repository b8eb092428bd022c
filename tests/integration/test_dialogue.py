"""Raw SMTP dialogues against a real smtpd: reply codes for order, syntax and limits, pipelining,
the SMTP smuggling inputs, and the 1000-octet text line rule."""
import unittest

from harness import SmtpdTestCase, split_delivered


class DialogueTest(SmtpdTestCase):

    def transaction(self, d, marker):
        self.assertEqual(d.command(b"EHLO client.example\r\n")[0], 250)
        self.assertEqual(d.command(b"MAIL FROM:<a@example.org>\r\n")[0], 250)
        self.assertEqual(d.command(b"RCPT TO:<b@localhost>\r\n")[0], 250)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)

    def test_greeting_and_ehlo(self):
        d = self.dialogue()
        code, lines = d.command(b"EHLO client.example\r\n")
        self.assertEqual(code, 250)
        # No TLS or AUTH on the default listener: everything else, with SIZE's default limit.
        self.assertEqual(lines[1:], ["250-PIPELINING", "250-SIZE 36700160", "250-8BITMIME",
                                     "250-ENHANCEDSTATUSCODES", "250-DSN", "250-SMTPUTF8",
                                     "250-CHUNKING", "250 HELP"])

    def test_commands_out_of_order_get_503(self):
        d = self.dialogue()
        code, lines = d.command(b"MAIL FROM:<a@example.org>\r\n")
        self.assertEqual((code, lines[0][:9]), (503, "503 5.5.1"))
        d.command(b"HELO client.example\r\n")
        self.assertEqual(d.command(b"DATA\r\n")[0], 503)
        self.assertEqual(d.command(b"RCPT TO:<b@localhost>\r\n")[0], 503)

    def test_unknown_command_gets_500_and_syntax_error_501(self):
        d = self.dialogue()
        self.assertEqual(d.command(b"XYZZY\r\n")[0], 500)
        d.command(b"EHLO client.example\r\n")
        code, lines = d.command(b"MAIL FROM: <a@example.org>\r\n")
        self.assertEqual((code, lines[0][:9]), (501, "501 5.1.7"))
        self.assertEqual(d.command(b"MAIL FROM:<a@example.org>\r\n")[0], 250)
        code, lines = d.command(b"RCPT TO:<b@@localhost>\r\n")
        self.assertEqual((code, lines[0][:9]), (501, "501 5.1.3"))

    def test_command_line_over_512_octets_gets_500_and_session_continues(self):
        d = self.dialogue()
        code, lines = d.command(b"NOOP " + b"x" * 600 + b"\r\n")
        self.assertEqual((code, lines[0][:9]), (500, "500 5.5.2"))
        self.assertEqual(d.command(b"NOOP\r\n")[0], 250)
        self.assertEqual(d.command(b"NOOP " + b"x" * 505 + b"\r\n")[0], 250)  # exactly 512

    def test_postmaster_without_domain_is_accepted(self):
        d = self.dialogue()
        d.command(b"EHLO client.example\r\n")
        d.command(b"MAIL FROM:<a@example.org>\r\n")
        self.assertEqual(d.command(b"RCPT TO:<Postmaster>\r\n")[0], 250)
        d.command(b"RSET\r\n")

    def test_whole_transaction_pipelined_in_one_write(self):
        d = self.dialogue()
        d.send(b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<x@localhost>\r\n"
               b"RCPT TO:<y@elsewhere.example>\r\nDATA\r\n")
        self.assertEqual([d.reply()[0] for _ in range(5)], [250, 250, 250, 550, 354])
        d.send(b"Subject: pipelined-one-write\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n")
        self.assertEqual([d.reply()[0] for _ in range(3)], [250, 250, 221])
        self.assertTrue(d.closed())
        self.smtpd.find_delivered(b"pipelined-one-write")

    def test_smuggled_commands_stay_inside_the_message(self):
        d = self.dialogue()
        self.transaction(d, b"")
        d.send(b"Subject: smuggle-test\r\n\r\nbefore\n.\nMAIL FROM:<evil@example.org>\n"
               b"x\r.\r\ny\n.\r\nz\r\n.\r\n")
        code, _ = d.reply()
        self.assertEqual(code, 250)
        self.assertEqual(d.command(b"QUIT\r\n")[0], 221)
        got = self.smtpd.find_delivered(b"smuggle-test")
        rest = split_delivered(got)[3]
        self.assertEqual(rest, b"Subject: smuggle-test\n\nbefore\n.\nMAIL FROM:<evil@example.org>\n"
                               b"x\r.\ny\n.\nz\n")

    def test_text_line_over_1000_octets_refuses_the_message(self):
        d = self.dialogue()
        self.transaction(d, b"")
        d.send(b"Subject: too-long-line\r\n\r\n" + b"a" * 999 + b"\r\n.\r\n")
        code, lines = d.reply()
        self.assertEqual((code, lines[0][:9]), (554, "554 5.6.0"))
        # The session goes on, and nothing was delivered.
        self.assertEqual(d.command(b"NOOP\r\n")[0], 250)
        self.assertEqual(self.smtpd.all_delivered(b"too-long-line"), [])

    def test_text_line_of_1000_octets_is_accepted(self):
        d = self.dialogue()
        self.transaction(d, b"")
        d.send(b"Subject: max-line\r\n\r\n" + b"a" * 998 + b"\r\n.\r\n")
        self.assertEqual(d.reply()[0], 250)
        got = self.smtpd.find_delivered(b"max-line")
        self.assertTrue(got.endswith(b"\n" + b"a" * 998 + b"\n"))

    def test_quit_closes_with_221(self):
        d = self.dialogue()
        code, lines = d.command(b"QUIT\r\n")
        self.assertEqual((code, lines[0][:9]), (221, "221 2.0.0"))
        self.assertTrue(d.closed())

    def test_disconnect_during_data_delivers_nothing(self):
        d = self.dialogue()
        self.transaction(d, b"")
        d.send(b"Subject: cut-off\r\n\r\nhalf a message\r\n")
        d.close()
        self.assertEqual(self.smtpd.all_delivered(b"cut-off"), [])


class SessionLimitsTest(SmtpdTestCase):
    """smtp limit max-rcpt / max-mails from smtpd.conf reach the session."""

    EXTRA_CONFIG = "smtp limit max-rcpt 3 max-mails 2"

    def send_message(self, d, marker):
        self.assertEqual(d.command(b"MAIL FROM:<a@example.org>\r\n")[0], 250)
        self.assertEqual(d.command(b"RCPT TO:<b@localhost>\r\n")[0], 250)
        self.assertEqual(d.command(b"DATA\r\n")[0], 354)
        self.assertEqual(d.command(b"Subject: " + marker + b"\r\n\r\nx\r\n.\r\n")[0], 250)

    def test_max_rcpt_refuses_the_fourth_recipient(self):
        d = self.dialogue()
        d.command(b"EHLO client.example\r\n")
        d.command(b"MAIL FROM:<a@example.org>\r\n")
        for n in range(3):
            self.assertEqual(d.command(b"RCPT TO:<r%d@localhost>\r\n" % n)[0], 250)
        code, lines = d.command(b"RCPT TO:<r3@localhost>\r\n")
        self.assertEqual((code, lines[0][:9]), (452, "452 4.5.3"))

    def test_max_mails_refuses_the_third_message_of_a_session(self):
        d = self.dialogue()
        d.command(b"EHLO client.example\r\n")
        self.send_message(d, b"limit-one")
        self.send_message(d, b"limit-two")
        code, lines = d.command(b"MAIL FROM:<a@example.org>\r\n")
        self.assertEqual((code, lines[0][:9]), (452, "452 4.5.3"))
        d2 = self.dialogue()  # the limit is per session
        d2.command(b"EHLO client.example\r\n")
        self.send_message(d2, b"limit-three")


if __name__ == "__main__":
    unittest.main(verbosity=2)
