"""What recording_peer.py saw on each SMTP connection, and how a test reads it back and waits
on it (issue 14, Tests: every relay option is observed at the receiving peer).

A `Session` is one accepted connection: the raw bytes received off the wire (after STARTTLS the
decrypted stream, with `tls_offset` where TLS began), the bytes sent back, each command line,
the HELO/EHLO names, TLS (version, cipher, SNI, client certificate), every AUTH attempt with its
identity, and its `Transaction`s: MAIL FROM with parameters, each RCPT with parameters and the
code it got, and the message as received by DATA (`data`: the bytes before the ending
`CRLF . CRLF`, still dot-stuffed; `message`: unstuffed) or BDAT (`data` and `message`: the
chunks joined; `chunks`: their sizes), and for LMTP the reply given to each recipient after it.
Only `CRLF . CRLF` ends DATA: the smuggling endings (`LF . LF`, `CR . CR`, ...) stay inside the
message, where `bare_line_endings` finds them. `replies_before` says, per command, how many
replies the client had been sent when the command arrived (RFC 2920 client rules).

Sessions are saved as JSON (bytes in base64) so that a peer running as a separate process
(`recording_peer.py --record DIR`) is read with `load(DIR)` into the same objects. `Waiting`
gives both kinds of peer the same bounded waits on that state.
"""
import base64
import json
import os
import time

_BYTES = ("raw", "sent", "after_starttls", "data", "message")


def bare_line_endings(data):
    """Offsets of every CR not followed by LF and every LF not preceded by CR in `data`."""
    out = []
    for i, byte in enumerate(data):
        if byte == 13 and data[i + 1:i + 2] != b"\n":
            out.append(i)
        elif byte == 10 and (i == 0 or data[i - 1] != 13):
            out.append(i)
    return out


def unstuff(data):
    """RFC 5321 §4.5.2: drops the leading dot of each CRLF-delimited line that starts with one."""
    lines = data.split(b"\r\n")
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)


class Rcpt:
    def __init__(self, address, params, code, reply=""):
        self.address = address      # between the angle brackets, as sent
        self.params = params        # ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;a@b.example"]
        self.code = code            # the code we replied
        self.reply = reply          # the whole first reply line

    def __repr__(self):
        return "Rcpt(%r, %r, %r)" % (self.address, self.params, self.code)


class Transaction:
    def __init__(self, mail_from, params, code):
        self.mail_from = mail_from  # the reverse-path between the brackets ("" for <>)
        self.params = params        # ["SIZE=123", "BODY=8BITMIME", "SMTPUTF8", "RET=HDRS"]
        self.code = code            # the reply to MAIL
        self.rcpts = []
        self.kind = None            # "DATA" or "BDAT" once content started
        self.data = b""             # off the wire (DATA: dot-stuffed, without ". CRLF")
        self.message = b""          # the message (DATA: unstuffed)
        self.chunks = []            # BDAT chunk sizes
        self.complete = False       # the end of data was received (". CRLF" or BDAT LAST)
        self.reply = None           # the code of the reply to the end of data
        self.rcpt_replies = []      # LMTP: [[recipient, code], ...] after the end of data

    @property
    def accepted_rcpts(self):
        return [r.address for r in self.rcpts if 200 <= r.code < 300]

    @property
    def accepted(self):
        """The message was received whole and got a 2xx (LMTP: for a recipient at least)."""
        return self.complete and self.reply is not None and 200 <= self.reply < 300

    def __repr__(self):
        return "Transaction(from=%r %r, rcpts=%r, kind=%r, %d bytes, complete=%r, reply=%r)" % (
            self.mail_from, self.params, self.rcpts, self.kind, len(self.message), self.complete,
            self.reply)


class Session:
    def __init__(self, index, listen, peer):
        self.index = index          # 0, 1, ... in order of accept, per peer
        self.listen = listen        # [address, port] we accepted on
        self.peer = peer            # [address, port] of the client: its source address
        self.started = time.time()  # when accepted
        self.ended = None           # when the client sent QUIT, or else the connection closed
        self.raw = b""              # every byte received, in order (after STARTTLS decrypted)
        self.tls_offset = None      # len(raw) when TLS started
        self.after_starttls = b""   # bytes pipelined after STARTTLS in clear (must stay empty)
        self.sent = b""             # every byte we sent (in clear)
        self.commands = []          # each command line received, without CRLF (str, latin-1)
        self.replies_before = []    # per command: how many replies we had sent when its last
                                    # byte arrived (RFC 2920 §3.1: a client that must wait for
                                    # a reply shows it here; pipelined commands may or may not)
        self.helos = []             # [["EHLO", "name"], ...] in order (also after STARTTLS)
        self.tls = None             # {"version", "cipher", "sni", "client_cert"} once TLS is up
        self.auth = []              # [{"mechanism", "identity", "authzid", "success", "tls"}]
        self.transactions = []
        self.closed = False
        self.close_reason = ""      # "quit", "client", "fault: ...", "stopped", "error: ..."

    @property
    def helo(self):
        """The last HELO/EHLO name (str), or None."""
        return self.helos[-1][1] if self.helos else None

    @property
    def auth_identity(self):
        """The identity of the successful AUTH, or None."""
        ok = [a for a in self.auth if a["success"]]
        return ok[-1]["identity"] if ok else None

    def messages(self):
        return [t for t in self.transactions if t.accepted]

    def to_json(self):
        out = {}
        for key, value in self.__dict__.items():
            if key == "transactions":
                value = [_encode(t.__dict__, rcpts=[r.__dict__ for r in t.rcpts])
                         for t in value]
            out[key] = value
        return json.dumps(_encode(out), indent=1)

    @classmethod
    def from_json(cls, text):
        d = _decode(json.loads(text))
        s = cls(d["index"], d["listen"], d["peer"])
        for key, value in d.items():
            if key == "transactions":
                value = [_transaction(_decode(t)) for t in value]
            setattr(s, key, value)
        return s

    def summary(self):
        return "session %d from %s: helo=%r tls=%r auth=%r closed=%r (%s)\n  %s" % (
            self.index, self.peer, self.helo, self.tls, self.auth, self.closed, self.close_reason,
            "\n  ".join(repr(t) for t in self.transactions) or "no transaction")


def _encode(d, **overrides):
    d = dict(d, **overrides)
    for key in _BYTES:
        if key in d and isinstance(d[key], bytes):
            d[key] = {"b64": base64.b64encode(d[key]).decode()}
    return d


def _decode(d):
    for key in _BYTES:
        if isinstance(d.get(key), dict):
            d[key] = base64.b64decode(d[key]["b64"])
    return d


def _transaction(d):
    t = Transaction(d["mail_from"], d["params"], d["code"])
    for key, value in d.items():
        if key == "rcpts":
            value = [Rcpt(**r) for r in value]
        setattr(t, key, value)
    return t


def save(session, directory):
    """Writes DIR/conn-NNNN.json atomically (write, then rename)."""
    path = os.path.join(directory, "conn-%04d.json" % session.index)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(session.to_json())
    os.replace(tmp, path)


def load(directory):
    """Every session saved in `directory`, in order of accept."""
    out = []
    for name in sorted(os.listdir(directory)):
        if name.startswith("conn-") and name.endswith(".json"):
            with open(os.path.join(directory, name)) as f:
                out.append(Session.from_json(f.read()))
    return out


class Waiting:
    """Bounded waits on a peer's sessions; a subclass provides `sessions()`."""

    def sessions(self):
        raise NotImplementedError

    def messages(self):
        """Every accepted message (Transaction) of every session, in order."""
        return [t for s in self.sessions() for t in s.messages()]

    def wait_for(self, predicate, timeout=30, what="the condition"):
        """Polls until predicate(sessions) is true; returns the sessions, or raises
        AssertionError with what the peer saw."""
        deadline = time.monotonic() + timeout
        while True:
            sessions = self.sessions()
            if predicate(sessions):
                return sessions
            if time.monotonic() >= deadline:
                raise AssertionError("peer: no %s in %s s; it saw:\n%s" % (
                    what, timeout, "\n".join(s.summary() for s in sessions) or "no connection"))
            time.sleep(0.05)

    def wait_sessions(self, count=1, closed=True, timeout=30):
        """Waits for at least `count` sessions (closed ones, unless closed=False)."""
        return self.wait_for(
            lambda ss: len([s for s in ss if s.closed or not closed]) >= count, timeout,
            "%d %ssessions" % (count, "closed " if closed else ""))

    def wait_messages(self, count=1, timeout=30):
        """Waits for at least `count` accepted messages; returns them."""
        self.wait_for(lambda ss: len([t for s in ss for t in s.messages()]) >= count, timeout,
                      "%d accepted messages" % count)
        return self.messages()
