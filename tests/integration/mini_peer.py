"""A provisional recording SMTP peer for test_relay.py (replaced by recording_peer.py)."""
import socket
import threading


class Message:
    def __init__(self):
        self.mail_from = None
        self.rcpt_to = []
        self.data_raw = b""


class RecordingPeer:
    def __init__(self, address, port, rcpt_replies=None):
        self.address, self.port = address, port
        self.rcpt_replies = rcpt_replies or {}
        self._messages = []
        self._lock = threading.Lock()
        self._sock = None

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.address, self.port))
        self._sock.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self):
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

    def messages(self):
        with self._lock:
            return list(self._messages)

    def _accept(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 peer ESMTP\r\n")
        m = Message()
        accepted = []
        conn.settimeout(30)
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(b"250-peer\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL":
                    m = Message()
                    accepted = []
                    m.mail_from = line[line.index(b"<") + 1:line.index(b">")].decode()
                    conn.sendall(b"250 ok\r\n")
                elif verb == b"RCPT":
                    rcpt = line[line.index(b"<") + 1:line.index(b">")].decode()
                    reply = b"250 ok"
                    for prefix, r in self.rcpt_replies.items():
                        if rcpt.startswith(prefix):
                            reply = r
                    if reply.startswith(b"2"):
                        accepted.append(rcpt)
                    conn.sendall(reply + b"\r\n")
                elif verb == b"DATA":
                    if not accepted:
                        conn.sendall(b"554 no valid recipients\r\n")
                        continue
                    conn.sendall(b"354 go\r\n")
                    data = b""
                    while True:
                        l = f.readline()
                        if not l or l == b".\r\n":
                            break
                        data += l
                    m.rcpt_to = accepted
                    m.data_raw = data
                    with self._lock:
                        self._messages.append(m)
                    conn.sendall(b"250 2.0.0 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                elif verb == b"RSET":
                    conn.sendall(b"250 ok\r\n")
                else:
                    conn.sendall(b"500 what\r\n")
        except OSError:
            return
        finally:
            conn.close()
