"""A scripted SMTP server that records everything a client sends it: the receiving peer of the
relay tests (issue 14, Tests). Plain sockets and threads, no third-party module (the ctest
interpreter has no aiosmtpd), so that every byte off the wire is seen and every reply is ours
to choose, hostile ones included.

Recording (peer_record.py; the dialogue itself is peer_dialogue.py): per connection, the raw
bytes received (decrypted after STARTTLS), the client's source address, HELO/EHLO names, TLS
version, cipher, SNI and client certificate, AUTH attempts and identity, MAIL FROM and RCPT TO
with their parameters and our reply codes, and each message as received by DATA (only
CRLF . CRLF ends it) or BDAT.

The spec (a dict, or a JSON file for the command line); every key is optional (SPEC_DEFAULTS):
  hostname      name in the greeting and EHLO reply ("peer.example")
  greeting      the greeting line; a 421 greeting closes the connection at once
  extensions    EHLO keywords: PIPELINING 8BITMIME SMTPUTF8 "SIZE n" DSN CHUNKING STARTTLS
                ENHANCEDSTATUSCODES "AUTH PLAIN LOGIN"; STARTTLS is offered before TLS only;
                a MAIL/RCPT parameter of an extension not offered gets 555 5.5.4
  tls           {"cert": PEM, "key": PEM, "client_ca": PEM or absent}: needed for STARTTLS;
                with client_ca a client certificate is asked for and recorded
  implicit_tls  true: TLS from the first byte with the "tls" certificate (smtps, port 465)
  auth          {"user": U, "password": P, "only_after_tls": false}: the AUTH PLAIN/LOGIN
                credentials (235 when they match, 535 5.7.8 otherwise)
  mail          reply to MAIL ("250 2.1.0 Ok")
  rcpt          [[local-part glob, reply], ...], the first match wins; by default temp* 451 4.2.0,
                perm* 550 5.1.1, full* 452 4.2.2; rcpt_default for the rest ("250 2.1.5 Ok")
  data          reply to DATA ("354 ...");  data_end  reply to the end of the message, or a list
                of replies, one per transaction of the connection (the last one repeats)
  replies       {VERB: reply text}: overrides the reply to a verb (multi-line with \\r\\n inside)
  delay         {VERB: seconds} before the reply to that verb
  stall_after   VERB: from that verb on (CONNECT: instead of the greeting) never reply; keep
                reading until the client leaves or the peer stops
  drop_after    VERB: close the connection instead of replying to that verb
  drop_mid_data N: close the connection once N octets of message content arrived (DATA or BDAT)
  close_after_transactions N: close the connection (no 421) right after the reply to the end of
                its Nth message, as a server ending an idle session does
  hostile       {VERB: kind}: the reply to VERB is one of HOSTILE_KINDS: long_line (a 5000-octet
                line), mixed_codes (250-/451-/250 in one reply), endless (continuation lines until
                the client leaves, 100000 lines or 30 s at most), bare_lf (lines ended by LF)
  lmtp          true: an LMTP server (RFC 2033): LHLO instead of EHLO/HELO (500 to those), and
                after the message one reply per accepted recipient, from lmtp_data_end
                [[local-part glob, reply], ...] or else data_end
  per_connection [spec, ...]: merged over the spec for the 1st, 2nd, ... connection
  read_timeout  seconds a read may wait before the connection is closed (60)
VERBs: CONNECT (the greeting), EHLO, HELO, LHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, DATA_END (the
message end: ". CRLF" or BDAT LAST), BDAT (a chunk that is not LAST), RSET, NOOP, VRFY, QUIT.

In-process:   peer = RecordingPeer(spec, [("127.0.0.11", 25), ("::1", 25)]).start()
              ... peer.wait_messages(1) ... peer.stop()
Command line: python3 recording_peer.py --listen 127.0.0.11:25 [--listen [::1]:25]
                  --spec spec.json --record DIR/
  writes DIR/conn-NNNN.json after every command (read with peer_record.load(DIR)), and
  DIR/ready once listening; stops on SIGTERM. The spec file is read again for each connection.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import sys
import threading
import time

import peer_dialogue
import peer_record
from peer_dialogue import HOSTILE_KINDS, SPEC_DEFAULTS, spec_for  # noqa: F401 (re-exported)



class RecordingPeer(peer_record.Waiting):
    """The peer in this process: a thread accepting on each address, one thread per connection.
    `spec` may be replaced between connections; `record_dir` also saves every session there."""

    def __init__(self, spec=None, listen=(("127.0.0.1", 0),), record_dir=None, spec_file=None):
        self.spec = dict(spec or {})
        for index in range(len(self.spec.get("per_connection", [])) + 1):
            spec_for(self.spec, index)  # a bad spec fails here, not at a connection
        self.spec_file = spec_file
        self.listen = list(listen)
        self.record_dir = record_dir
        self.stopping = False
        self._sessions = []
        self._lock = threading.Lock()
        self._threads = []
        self._sockets = []
        self._live = []
        self.addresses = []  # (address, port) actually bound, in the order of `listen`

    def start(self):
        for host, port in self.listen:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
            s.listen(64)
            self._sockets.append(s)
            self.addresses.append(s.getsockname()[:2])
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    @property
    def port(self):
        return self.addresses[0][1]

    def _accept_loop(self):
        with selectors.DefaultSelector() as sel:
            for s in self._sockets:
                sel.register(s, selectors.EVENT_READ)
            while not self.stopping:
                for key, _ in sel.select(timeout=0.1):
                    try:
                        conn, address = key.fileobj.accept()
                    except OSError:
                        continue
                    self._serve(conn, key.fileobj.getsockname()[:2], address[:2])

    def _serve(self, conn, local, address):
        with self._lock:
            session = peer_record.Session(len(self._sessions), list(local), list(address))
            self._sessions.append(session)
        try:
            spec = self.spec
            if self.spec_file:
                with open(self.spec_file) as f:
                    spec = json.load(f)
            connection = peer_dialogue.Connection(self, conn, spec_for(spec, session.index),
                                                  session)
        except (OSError, ValueError) as e:
            session.close_reason, session.closed = "error: bad spec: %s" % e, True
            conn.close()
            self._changed(session)
            return
        with self._lock:
            self._live.append(connection)
        t = threading.Thread(target=connection.run, daemon=True)
        t.start()
        self._threads.append(t)

    def _changed(self, session):
        if self.record_dir:
            with self._lock:
                peer_record.save(session, self.record_dir)

    def sessions(self):
        """The sessions so far (live ones keep changing: wait for `closed`)."""
        with self._lock:
            return list(self._sessions)

    def stop(self, timeout=10):
        """Stops accepting, ends every connection, joins the threads (bounded)."""
        self.stopping = True
        deadline = time.monotonic() + timeout
        if self._threads:
            self._threads[0].join(timeout)  # the accept loop sees `stopping` within 0.1 s
        for s in self._sockets:
            s.close()
        with self._lock:
            live = list(self._live)
        for connection in live:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))


def _address(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def main(argv=None):
    ap = argparse.ArgumentParser(description="A scripted SMTP server that records what it gets.")
    ap.add_argument("--listen", action="append", required=True, help="ADDRESS:PORT, [V6]:PORT")
    ap.add_argument("--spec", help="a JSON spec file (see the module docstring)")
    ap.add_argument("--record", required=True, help="directory for conn-NNNN.json")
    args = ap.parse_args(argv)
    os.makedirs(args.record, exist_ok=True)
    if args.spec:
        with open(args.spec) as f:
            spec_for(json.load(f), 0)  # a bad spec fails here, not at the first connection
    peer = RecordingPeer(None, [_address(a) for a in args.listen], args.record,
                         spec_file=args.spec).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with open(os.path.join(args.record, "ready.tmp"), "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(os.path.join(args.record, "ready.tmp"), os.path.join(args.record, "ready"))
    while not done.wait(1):
        pass
    peer.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
