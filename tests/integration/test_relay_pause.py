"""Pausing one kind of delivery (issue 14: smtpctl pause|resume mta, smtpd -P mta): a real smtpd
in the DNS namespace of netns.py, a local recipient (Maildir) and a relayed one (the recording
peers on mx1 and mx2) in the same message. While relaying is paused the local copy is delivered
and the relayed recipient waits in the queue with no attempt counted; `smtpctl resume mta`
relays it at once. `pause mda` is the mirror image. As a normal user the namespace is a user
namespace where smtpd cannot start: the tests skip.
"""
import netns
import relay_support
from relay_support import wait_for


@relay_support.skip_in_user_namespace
class RelayPause(relay_support.RelayTestCase):
    def start(self, **kw):
        self.peers = list(self.env.peers(["mx1", "mx2"]).values())
        return self.start_smtpd(**kw)

    def relayed(self):
        return [m for p in self.peers for m in p.messages()]

    def test_started_with_mta_paused_the_relay_waits_until_resume(self):
        smtpd = self.start(extra_args=["-P", "mta"])
        self.submit(smtpd, "alice@localhost", ["bob@localhost", "carol@mx.example"],
                    b"Subject: paused\r\n\r\npause-marker-1\r\n")
        smtpd.find_delivered(b"pause-marker-1")  # the local copy is not held
        (line,) = wait_for(lambda: self.show_queue(smtpd), what="the held recipient")
        self.assertEqual(line[2], "carol@mx.example")
        self.assertEqual(line[3], "0")  # no attempt counted
        self.assertEqual(self.relayed(), [])
        self.smtpctl(smtpd, "resume", "mta")
        got = wait_for(self.relayed, what="the relayed copy after resume")
        self.assertEqual([m.accepted_rcpts for m in got], [["carol@mx.example"]])
        self.assertQueueEmpty(smtpd)

    def test_pause_mda_holds_the_local_copy_and_still_relays(self):
        smtpd = self.start()
        self.smtpctl(smtpd, "pause", "mda")
        self.submit(smtpd, "alice@localhost", ["bob@localhost", "carol@mx.example"],
                    b"Subject: paused\r\n\r\npause-marker-2\r\n")
        wait_for(self.relayed, what="the relayed copy while mda is paused")
        (line,) = wait_for(lambda: [l for l in self.show_queue(smtpd)
                                    if l[2] == "bob@localhost"], what="the held local recipient")
        self.assertEqual(line[3], "0")
        self.assertEqual(smtpd.all_delivered(b"pause-marker-2"), [])
        self.smtpctl(smtpd, "resume", "mda")
        smtpd.find_delivered(b"pause-marker-2")
        self.assertQueueEmpty(smtpd)
        self.assertEqual(len(self.relayed()), 1)


if __name__ == "__main__":
    netns.run_tests()
