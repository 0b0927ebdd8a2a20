"""A scripted SMTP submission server for what a real Postfix won't do.

It presents any certificate (expired, wrong host, self-signed, ...), can refuse
STARTTLS or inject bytes after its 220 reply, can be limited to old TLS versions, and
records every byte the client sent (after decryption) so tests can assert what okuru
put on the wire: headers as prepared, Bcc gone, no AUTH/MAIL and no password bytes
after a certificate failure. It accepts any credentials: it is a capture, not a relay.

Standard library only; runs in a thread of the test script. Never used with fixed
ports: the kernel picks the port (bind to port 0).
"""

import socket
import ssl
import threading
import time


class Peer:
    def __init__(self, cert=None, tls="starttls", starttls_reply=b"220 2.0.0 Ready to start TLS",
                 inject_after_starttls=b"", tls_max=None, tls_min=None, chunking=True,
                 offer_starttls=True, auth_mechs=("PLAIN", "LOGIN"), auth_reply=None,
                 ciphers=None, reply_delay=0.0):
        """cert: pki.CertPair presented by the server. tls: "starttls" | "implicit" | "none".
        starttls_reply: the answer to STARTTLS (a non-220 code refuses it).
        inject_after_starttls: bytes sent right after the 220 to STARTTLS, before the
        handshake (STARTTLS response injection). tls_min/tls_max: ssl.TLSVersion limits.
        auth_reply: None accepts any credentials (235); otherwise the reply line to send.
        ciphers: an OpenSSL cipher string set before the certificate is loaded (a weak
        key or a SHA-1 chain needs "DEFAULT:@SECLEVEL=0" to be presented at all; a
        static-RSA-only server "kRSA:@SECLEVEL=0" with tls_max TLS 1.2).
        reply_delay: seconds slept before every reply (a slow or tarpitting server)."""
        self.cert = cert
        self.tls = tls
        self.starttls_reply = starttls_reply
        self.inject = inject_after_starttls
        self.chunking = chunking
        self.offer_starttls = offer_starttls
        self.auth_mechs = auth_mechs
        self.auth_reply = auth_reply
        self.reply_delay = reply_delay
        self.ctx = None
        if cert is not None:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            if ciphers is not None:
                self.ctx.set_ciphers(ciphers)
            self.ctx.load_cert_chain(cert.cert, cert.key)
            if tls_min is not None or tls_max is not None:
                # Old protocol versions need OpenSSL's security level 0 to be negotiable.
                if ciphers is None:
                    self.ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
                if tls_min is not None:
                    self.ctx.minimum_version = tls_min
                if tls_max is not None:
                    self.ctx.maximum_version = tls_max
        self.wire = bytearray()        # every byte the client sent, decrypted
        self.transcript = []           # ("C" | "S", bytes) in order
        self.messages = []             # {"from", "rcpts", "data", "via"} per accepted message
        self.commands = []             # command verbs seen (upper case)
        self.tls_established = False
        self.tls_version = None
        self.handshake_error = None
        self.connections = 0
        self.errors = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    # ---- life cycle --------------------------------------------------------------------
    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        self._sock.close()
        return False

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            conn.settimeout(30)
            try:
                _Session(self, conn).run()
            except Exception as e:  # a test client hanging up is normal
                self.errors.append(repr(e))
            finally:
                try:
                    conn.close()
                except OSError:
                    pass

    # ---- queries -----------------------------------------------------------------------
    def saw(self, verb):
        return verb.upper() in self.commands


class _Session:
    def __init__(self, peer, conn):
        self.p = peer
        self.conn = conn
        self.buf = b""
        self.mail_from = None
        self.rcpts = []
        self.bdat = bytearray()
        self.secure = False

    def send(self, data):
        self.p.transcript.append(("S", data))
        self.conn.sendall(data)

    def reply(self, *lines):
        if self.p.reply_delay:
            time.sleep(self.p.reply_delay)
        out = b""
        for i, line in enumerate(lines):
            sep = b" " if i == len(lines) - 1 else b"-"
            out += line[:3] + sep + line[4:] + b"\r\n"
        self.send(out)

    def _recv(self):
        data = self.conn.recv(65536)
        if not data:
            raise EOFError("client closed the connection")
        self.p.wire += data
        self.p.transcript.append(("C", data))
        self.buf += data

    def line(self):
        while b"\n" not in self.buf:
            self._recv()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def exactly(self, n):
        while len(self.buf) < n:
            self._recv()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def handshake(self):
        try:
            self.conn = self.p.ctx.wrap_socket(self.conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.p.handshake_error = str(e)
            raise
        self.secure = True
        self.p.tls_established = True
        self.p.tls_version = self.conn.version()

    def ehlo_lines(self, name):
        lines = [b"250 okuru-peer.example.test greets " + name, b"250 PIPELINING",
                 b"250 SIZE 100000000", b"250 8BITMIME", b"250 ENHANCEDSTATUSCODES",
                 b"250 SMTPUTF8", b"250 DSN"]
        if self.p.chunking:
            lines.append(b"250 CHUNKING")
        if self.p.tls == "starttls" and not self.secure and self.p.offer_starttls:
            lines.append(b"250 STARTTLS")
        if self.p.auth_mechs and (self.secure or self.p.tls == "none"):
            lines.append(b"250 AUTH " + " ".join(self.p.auth_mechs).encode())
        return lines

    def run(self):
        if self.p.tls == "implicit":
            self.handshake()
        self.send(b"220 okuru-peer.example.test ESMTP scripted peer\r\n")
        while True:
            line = self.line()
            verb = line.split(b" ", 1)[0].upper().decode("ascii", "replace")
            arg = line[len(verb) + 1:]
            self.p.commands.append(verb)
            if verb in ("EHLO", "HELO"):
                self.reply(*self.ehlo_lines(arg))
            elif verb == "STARTTLS":
                if self.p.tls != "starttls" or self.secure:
                    self.reply(b"503 5.5.1 STARTTLS not possible now")
                    continue
                self.send(self.p.starttls_reply + b"\r\n" + self.p.inject)
                if not self.p.starttls_reply.startswith(b"220"):
                    continue
                if self.buf:
                    self.p.errors.append("client pipelined after STARTTLS: %r" % self.buf)
                    self.buf = b""
                self.handshake()
            elif verb == "AUTH":
                self.auth(arg)
            elif verb == "MAIL":
                self.mail_from = arg
                self.rcpts = []
                self.bdat = bytearray()
                self.reply(b"250 2.1.0 Ok")
            elif verb == "RCPT":
                self.rcpts.append(arg)
                self.reply(b"250 2.1.5 Ok")
            elif verb == "DATA":
                self.reply(b"354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while True:
                    l = self.line()
                    if l == b".":
                        break
                    data += (l[1:] if l.startswith(b".") else l) + b"\r\n"
                self.accept(bytes(data), "DATA")
            elif verb == "BDAT":
                parts = arg.split()
                self.bdat += self.exactly(int(parts[0]))
                if len(parts) > 1 and parts[1].upper() == b"LAST":
                    self.accept(bytes(self.bdat), "BDAT")
                else:
                    self.reply(b"250 2.0.0 %d octets received" % int(parts[0]))
            elif verb == "RSET":
                self.mail_from, self.rcpts, self.bdat = None, [], bytearray()
                self.reply(b"250 2.0.0 Ok")
            elif verb == "NOOP":
                self.reply(b"250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply(b"221 2.0.0 Bye")
                return
            else:
                self.reply(b"502 5.5.2 Error: command not recognized")

    def auth(self, arg):
        parts = arg.split()
        mech = parts[0].upper() if parts else b""
        if mech == b"PLAIN":
            if len(parts) < 2:
                self.send(b"334 \r\n")
                self.line()
        elif mech == b"LOGIN":
            if len(parts) < 2:
                self.send(b"334 VXNlcm5hbWU6\r\n")
                self.line()
            self.send(b"334 UGFzc3dvcmQ6\r\n")
            self.line()
        else:
            self.reply(b"504 5.5.4 Unsupported mechanism")
            return
        self.reply(self.p.auth_reply or b"235 2.7.0 Authentication successful")

    def accept(self, data, via):
        self.p.messages.append({"from": self.mail_from, "rcpts": list(self.rcpts),
                                "data": data, "via": via})
        self.reply(b"250 2.0.0 Ok: queued as PEER%d" % len(self.p.messages))
