"""The SMTP (and LMTP) dialogue of recording_peer.py: one accepted connection, on its own
thread, replying as its spec says (the keys are documented in recording_peer.py) and recording
into a peer_record.Session as it goes: the raw bytes before any parsing, then each command, each
envelope and each message. Only CRLF . CRLF ends DATA (RFC 5321 §4.1.1.4); BDAT chunks are read
by their size (RFC 3030); STARTTLS discards what was pipelined after it (RFC 3207 §4.2, recorded
in after_starttls); LMTP replies once per accepted recipient (RFC 2033 §4.2). Every wait is
bounded by the spec's read_timeout or the peer's stop().
"""
import base64
import binascii
import fnmatch
import ssl
import time

import peer_record

SPEC_DEFAULTS = {
    "hostname": "peer.example",
    "greeting": None,  # "220 <hostname> ESMTP recording peer"
    "extensions": ["PIPELINING", "8BITMIME", "SMTPUTF8", "SIZE 10485760", "DSN", "CHUNKING",
                   "ENHANCEDSTATUSCODES"],
    "tls": None,
    "auth": None,
    "mail": "250 2.1.0 Ok",
    "rcpt": [["temp*", "451 4.2.0 Temporary failure"], ["perm*", "550 5.1.1 No such user"],
             ["full*", "452 4.2.2 Mailbox full"]],
    "rcpt_default": "250 2.1.5 Ok",
    "data": "354 End data with <CR><LF>.<CR><LF>",
    "data_end": "250 2.0.0 Ok: queued",
    "replies": {},
    "delay": {},
    "stall_after": None,
    "drop_after": None,
    "drop_mid_data": None,
    "close_after_transactions": None,
    "hostile": {},
    "implicit_tls": False,
    "lmtp": False,
    "lmtp_data_end": [],
    "per_connection": [],
    "read_timeout": 60,
}
HOSTILE_KINDS = ("long_line", "mixed_codes", "endless", "bare_lf")
# Parameters and the extension that allows each (RFC 1870, 6152, 6531, 3461, 3030).
_PARAM_EXTENSION = {"SIZE": "SIZE", "BODY": "8BITMIME", "SMTPUTF8": "SMTPUTF8", "RET": "DSN",
                    "ENVID": "DSN", "NOTIFY": "DSN", "ORCPT": "DSN", "AUTH": "AUTH"}
_MAX_LINE = 10000  # a command line longer than this ends the session


class Close(Exception):
    """Ends the connection's loop; the argument is the close reason."""


def spec_for(spec, index):
    """The spec of the index-th connection: defaults, the spec, its per_connection entry."""
    merged = dict(SPEC_DEFAULTS, **spec)
    extra = merged["per_connection"]
    if index < len(extra):
        merged.update(extra[index])
    if merged["greeting"] is None:
        merged["greeting"] = "220 %s ESMTP recording peer" % merged["hostname"]
    if merged["implicit_tls"] and not merged["tls"]:
        raise ValueError("implicit_tls needs tls: {cert, key}")
    for kind in merged["hostile"].values():
        if kind not in HOSTILE_KINDS:
            raise ValueError("hostile kind %r is not one of %s" % (kind, HOSTILE_KINDS))
    return merged


def _hostile_reply(kind, hostname):
    if kind == "long_line":
        return b"250 " + b"x" * 5000 + b"\r\n"
    if kind == "mixed_codes":
        return b"250-%s\r\n451-temporary\r\n250 Ok\r\n" % hostname.encode()
    return b"250-%s\n250 Ok\n" % hostname.encode()  # bare_lf


class Connection:
    """One accepted connection, run on its own thread."""

    def __init__(self, peer, sock, spec, session):
        self.peer, self.sock, self.spec, self.s = peer, sock, spec, session
        self.buf = b""
        self.tx = None
        self.stalled = False
        self.offered = set()
        self.replies = 0      # replies sent so far
        self.arrivals = []    # (len(raw) after a chunk, replies sent when it arrived)
        sock.settimeout(spec["read_timeout"])

    def run(self):
        try:
            if self.spec["implicit_tls"]:
                self._handshake(self.spec["tls"])  # RFC 8314 §3.3: TLS from the first byte
            self._greet()
            while True:
                self._command(self._line())
        except Close as e:
            self.s.close_reason = str(e)
        except (OSError, ssl.SSLError, ValueError) as e:
            self.s.close_reason = "error: %s" % e
        finally:
            if self.s.ended is None:
                self.s.ended = time.time()
            self.s.closed = True
            try:
                self.sock.close()
            except OSError:
                pass
            self.peer._changed(self.s)

    # I/O

    def _recv(self):
        if self.peer.stopping:
            raise Close("stopped")
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Close("client")
        self.s.raw += chunk
        self.buf += chunk
        self.arrivals.append((len(self.s.raw), self.replies))

    def _line(self):
        while b"\n" not in self.buf:
            if len(self.buf) > _MAX_LINE:
                self._send(b"500 5.5.2 Line too long\r\n")
                raise Close("fault: line too long")
            self._recv()
        line, self.buf = self.buf.split(b"\n", 1)
        line = line[:-1] if line.endswith(b"\r") else line
        # The chunk that completed the line says how many replies the client had been sent.
        end = len(self.s.raw) - len(self.buf)
        while self.arrivals[0][0] < end:
            self.arrivals.pop(0)
        self.s.replies_before.append(self.arrivals[0][1])
        self.s.commands.append(line.decode("latin-1"))
        return line.decode("latin-1")

    def _send(self, data):
        self.s.sent += data
        self.sock.sendall(data)

    def _reply(self, verb, text):
        """Sends `text` (one reply, possibly multi-line) as the reply to `verb`, with the
        spec's faults for that verb applied."""
        spec = self.spec
        if self.stalled or spec["stall_after"] == verb:
            self.stalled = True
            self.peer._changed(self.s)
            return
        if spec["drop_after"] == verb:
            raise Close("fault: drop after " + verb)
        if verb in spec["delay"]:
            time.sleep(float(spec["delay"][verb]))
        kind = spec["hostile"].get(verb)
        if kind == "endless":
            self._endless()
        if kind is not None:
            self._send(_hostile_reply(kind, spec["hostname"]))
        else:
            text = spec["replies"].get(verb, text)
            data = text.encode("utf-8").replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            self._send(data if data.endswith(b"\r\n") else data + b"\r\n")
        self.replies += 1
        self.peer._changed(self.s)
        if (spec["replies"].get(verb, text) or "").startswith("421") and kind is None:
            raise Close("421 after " + verb)

    def _endless(self):
        deadline = time.monotonic() + 30
        self.sock.settimeout(5)
        for n in range(100000):
            if self.peer.stopping or time.monotonic() > deadline:
                break
            self._send(b"250-endless continuation line %d\r\n" % n)
        raise Close("fault: endless reply ended")

    # the dialogue

    def _greet(self):
        greeting = self.spec["greeting"]
        self._reply("CONNECT", greeting)
        if greeting.startswith("421"):
            raise Close("421 greeting")

    def _command(self, line):
        verb, _, arg = line.partition(" ")
        verb = verb.upper()
        handler = getattr(self, "_do_" + verb.lower(), None) if verb.isalpha() else None
        if self.stalled:
            return
        if handler is None:
            self._reply(verb, "500 5.5.1 Unknown command")
        else:
            handler(arg.strip())

    def _ehlo_keywords(self):
        out = []
        for ext in self.spec["extensions"]:
            name = ext.split()[0].upper()
            if name == "STARTTLS" and self.s.tls is not None:
                continue
            if name == "AUTH" and self.spec["auth"] and self.spec["auth"].get("only_after_tls") \
                    and self.s.tls is None:
                continue
            out.append(ext)
        self.offered = {e.split()[0].upper() for e in out}
        return out

    def _do_ehlo(self, arg, verb="EHLO"):
        self.s.helos.append([verb, arg])
        if self.spec["lmtp"] != (verb == "LHLO"):
            self._reply(verb, "500 5.5.1 This is %s server" % (
                "an LMTP" if self.spec["lmtp"] else "not an LMTP"))
            return
        self.tx = None
        lines = [self.spec["hostname"]] + self._ehlo_keywords()
        text = "".join("250-%s\r\n" % l for l in lines[:-1]) + "250 %s" % lines[-1]
        self._reply(verb, text)

    def _do_helo(self, arg):
        if self.spec["lmtp"]:
            self._do_ehlo(arg, "HELO")
            return
        self.s.helos.append(["HELO", arg])
        self.tx = None
        self.offered = set()
        self._reply("HELO", "250 %s" % self.spec["hostname"])

    def _do_lhlo(self, arg):
        self._do_ehlo(arg, "LHLO")

    def _do_noop(self, arg):
        self._reply("NOOP", "250 2.0.0 Ok")

    def _do_vrfy(self, arg):
        self._reply("VRFY", "252 2.1.5 Cannot verify")

    def _do_rset(self, arg):
        self.tx = None
        self._reply("RSET", "250 2.0.0 Ok")

    def _do_quit(self, arg):
        self.s.ended = time.time()  # the client asked to end: nothing else comes from it
        self._reply("QUIT", "221 2.0.0 Bye")
        raise Close("quit")

    def _do_starttls(self, arg):
        tls = self.spec["tls"]
        if "STARTTLS" not in self.offered or not tls:
            self._reply("STARTTLS", "502 5.5.1 STARTTLS not offered")
            return
        self.s.after_starttls = self.buf
        self._reply("STARTTLS", "220 2.0.0 Ready to start TLS")
        if self.stalled:
            return
        self.buf = b""  # RFC 3207 §4.2: nothing received before the handshake counts
        self._handshake(tls)

    def _handshake(self, tls):
        """The server side of a TLS handshake on the connection, then TLS is recorded."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls["cert"], tls["key"])
        if tls.get("client_ca"):
            ctx.load_verify_locations(tls["client_ca"])
            ctx.verify_mode = ssl.CERT_OPTIONAL
        sni = []
        ctx.sni_callback = lambda sslsock, name, context: sni.append(name)
        self.s.tls_offset = len(self.s.raw)
        # self.sock is the TLS socket before the handshake, so that stop() can shut it down.
        self.sock = ctx.wrap_socket(self.sock, server_side=True, do_handshake_on_connect=False)
        self.sock.do_handshake()
        cert = self.sock.getpeercert()
        self.s.tls = {"version": self.sock.version(), "cipher": self.sock.cipher()[0],
                      "sni": sni[0] if sni else None,
                      "client_cert": dict(x[0] for x in cert["subject"]) if cert else None}
        self.tx = None
        self.offered = set()
        self.peer._changed(self.s)

    def _do_auth(self, arg):
        auth = self.spec["auth"]
        words = arg.split()
        mech = words[0].upper() if words else ""
        if "AUTH" not in self.offered or not auth or mech not in ("PLAIN", "LOGIN"):
            self._reply("AUTH", "504 5.5.4 Unrecognized authentication type")
            return
        try:
            if mech == "PLAIN":
                initial = words[1] if len(words) > 1 else self._challenge("")
                authzid, user, password = base64.b64decode(initial, validate=True).split(b"\0")
            else:
                user = base64.b64decode(words[1] if len(words) > 1 else
                                        self._challenge("VXNlcm5hbWU6"), validate=True)
                password = base64.b64decode(self._challenge("UGFzc3dvcmQ6"), validate=True)
                authzid = b""
        except (ValueError, binascii.Error):
            self._reply("AUTH", "501 5.5.2 Cannot decode the response")
            return
        ok = user.decode("utf-8", "replace") == auth["user"] and \
            password.decode("utf-8", "replace") == auth["password"]
        self.s.auth.append({"mechanism": mech, "identity": user.decode("utf-8", "replace"),
                            "authzid": authzid.decode("utf-8", "replace"), "success": ok,
                            "tls": self.s.tls is not None})
        self._reply("AUTH", "235 2.7.0 Authentication successful" if ok else
                    "535 5.7.8 Authentication credentials invalid")

    def _challenge(self, text):
        self._send(b"334 %s\r\n" % text.encode())
        self.replies += 1
        line = self._line()
        if line == "*":
            raise ValueError("the client cancelled")
        return line

    def _params(self, words):
        """A reply for the first parameter of an extension not offered, or None."""
        for word in words:
            name = word.split("=", 1)[0].upper()
            if _PARAM_EXTENSION.get(name, name) not in self.offered:
                return "555 5.5.4 %s parameter without its extension" % name
        return None

    def _do_mail(self, arg):
        path, words = _path(arg, "FROM:")
        if path is None:
            self._reply("MAIL", "501 5.5.4 Syntax: MAIL FROM:<address>")
            return
        reply = self._params(words) or self.spec["mail"]
        limit = self._size_limit()
        for w in words:
            if w.upper().startswith("SIZE=") and w[5:].isdigit() and limit and int(w[5:]) > limit:
                reply = "552 5.3.4 Message size exceeds fixed limit"
        tx = peer_record.Transaction(path, words, int(reply[:3]))
        self.s.transactions.append(tx)
        self.tx = tx if tx.code < 300 else None
        self._reply("MAIL", reply)

    def _do_rcpt(self, arg):
        path, words = _path(arg, "TO:")
        if self.tx is None or path is None:
            self._reply("RCPT", "503 5.5.1 MAIL first" if self.tx is None else
                        "501 5.5.4 Syntax: RCPT TO:<address>")
            return
        reply = self._params(words) or _by_local_part(self.spec["rcpt"], path,
                                                      self.spec["rcpt_default"])
        self.tx.rcpts.append(peer_record.Rcpt(path, words, int(reply[:3]), reply))
        self._reply("RCPT", reply)

    def _size_limit(self):
        for ext in self.spec["extensions"]:
            if ext.upper().startswith("SIZE ") and "SIZE" in self.offered:
                return int(ext.split()[1])
        return 0

    def _data_end_reply(self):
        tx = self.tx
        limit = self._size_limit()
        if limit and len(tx.message) > limit:
            return "552 5.3.4 Message size exceeds fixed limit"
        replies = self.spec["data_end"]
        if isinstance(replies, list):
            n = len([t for t in self.s.transactions if t.complete]) - 1
            return replies[min(n, len(replies) - 1)]
        return replies

    def _ready_for_data(self, verb):
        if self.tx is None or not self.tx.accepted_rcpts or self.tx.kind not in (None, verb):
            self._reply(verb, "503 5.5.1 No valid recipients" if self.tx else
                        "503 5.5.1 MAIL first")
            return False
        return True

    def _do_data(self, arg):
        if not self._ready_for_data("DATA"):
            return
        tx = self.tx
        tx.kind = "DATA"
        self._reply("DATA", self.spec["data"])
        if self.stalled:
            return
        # RFC 5321 §4.1.1.4: the data ends at CRLF "." CRLF; the first line counts as after CRLF.
        self.buf = b"\r\n" + self.buf
        searched = 0
        try:
            while True:
                end = self.buf.find(b"\r\n.\r\n", searched)
                self._check_drop(len(self.buf) - 2 if end < 0 else end)
                if end >= 0:
                    break
                searched = max(0, len(self.buf) - 4)
                self._recv()
        except (Close, OSError):
            tx.data = self.buf[2:]  # what arrived before the connection ended
            raise
        tx.data, self.buf = self.buf[2:end + 2], self.buf[end + 5:]
        tx.message = peer_record.unstuff(tx.data)
        tx.complete = True
        self._message_end()

    def _do_bdat(self, arg):
        words = arg.split()
        last = len(words) == 2 and words[1].upper() == "LAST"
        if not words or not words[0].isdigit() or len(words) > 2 or (len(words) == 2 and not last):
            self._reply("BDAT", "501 5.5.4 Syntax: BDAT size [LAST]")
            return
        size = int(words[0])
        ok = "CHUNKING" in self.offered and self._ready_for_data("BDAT")
        while len(self.buf) < size:  # RFC 3030 §2: the chunk is read even when refused
            if ok:
                self._check_drop(len(self.tx.data) + len(self.buf))
            self._recv()
        chunk, self.buf = self.buf[:size], self.buf[size:]
        if not ok:
            if "CHUNKING" not in self.offered:
                self._reply("BDAT", "502 5.5.1 CHUNKING not offered")
            return
        tx = self.tx
        tx.kind = "BDAT"
        tx.data += chunk
        tx.message = tx.data
        tx.chunks.append(size)
        self._check_drop(len(tx.data))
        if not last:
            self._reply("BDAT", "250 2.0.0 %d octets received" % size)
            return
        tx.complete = True
        self._message_end()

    def _check_drop(self, received):
        n = self.spec["drop_mid_data"]
        if n is not None and received >= n:
            raise Close("fault: drop mid-data after %d octets" % received)

    def _check_close_after(self):
        n = self.spec["close_after_transactions"]
        if n is not None and len([t for t in self.s.transactions if t.reply is not None]) >= n:
            raise Close("fault: close after %d transactions" % n)

    def _message_end(self):
        tx, reply = self.tx, self._data_end_reply()
        self.tx = None
        if not self.spec["lmtp"]:
            tx.reply = int(reply[:3])
            self._reply("DATA_END", reply)
            self._check_close_after()
            return
        # RFC 2033 §4.2: one reply per accepted recipient, in order.
        replies = [_by_local_part(self.spec["lmtp_data_end"], r, reply)
                   for r in tx.accepted_rcpts]
        tx.rcpt_replies = [[r, int(text[:3])] for r, text in zip(tx.accepted_rcpts, replies)]
        codes = [code for _, code in tx.rcpt_replies]
        tx.reply = min(codes) if any(c < 300 for c in codes) else codes[0]
        for text in replies:
            self._reply("DATA_END", text)


def _by_local_part(rules, address, default):
    """The reply of the first [glob, reply] rule matching the local part of `address`."""
    local = address.rsplit("@", 1)[0]
    for pattern, text in rules:
        if fnmatch.fnmatchcase(local, pattern):
            return text
    return default


def _path(arg, keyword):
    """("address", [params]) of a MAIL FROM:/RCPT TO: argument, or (None, [])."""
    if not arg.upper().startswith(keyword):
        return None, []
    rest = arg[len(keyword):].lstrip()
    if not rest.startswith("<") or ">" not in rest:
        return None, []
    path, _, params = rest[1:].partition(">")
    return path, params.split()
