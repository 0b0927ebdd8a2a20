"""A local submission server for okuru's demo (contrib/demo/run): STARTTLS required,
AUTH PLAIN/LOGIN for one demo user, every accepted message written to a Maildir.

Not a mail server: it delivers nowhere else. Listens on 127.0.0.1, port chosen by the
kernel and written to --port-file once the server accepts connections.
Needs Debian's python3-aiosmtpd: run with /usr/bin/python3.
"""

import argparse
import asyncio
import os
import socket
import ssl
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class MaildirHandler:
    def __init__(self, maildir):
        self.maildir = maildir
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        # Maildir delivery: write under tmp/, then rename into new/ (atomic).
        self.count += 1
        name = "%d.P%dQ%d.%s" % (time.time(), os.getpid(), self.count, socket.gethostname())
        tmp = os.path.join(self.maildir, "tmp", name)
        trace = ("Return-Path: <%s>\r\nX-Demo-Recipients: %s\r\n"
                 % (envelope.mail_from, ", ".join(envelope.rcpt_tos))).encode()
        with open(tmp, "wb") as f:
            f.write(trace + envelope.original_content)
        os.rename(tmp, os.path.join(self.maildir, "new", name))
        print("demo server: stored %s" % os.path.join(self.maildir, "new", name), flush=True)
        return "250 2.0.0 Ok: stored in the demo Maildir"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    a = ap.parse_args()
    with open(a.password_file, "rb") as f:
        password = f.readline().rstrip(b"\r\n")
    user = a.user.encode()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user
              and auth_data.password == password)
        return AuthResult(success=ok, handled=False)

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)
    handler = MaildirHandler(os.path.abspath(a.maildir))

    def factory():
        return SMTP(handler, hostname="demo.localhost", tls_context=ctx,
                    require_starttls=True, auth_required=True, auth_require_tls=True,
                    authenticator=authenticator, data_size_limit=50 * 1024 * 1024,
                    auth_exclude_mechanism=["CRAM-MD5"])

    async def serve():
        server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)
        print("demo server: listening on 127.0.0.1:%d" % port, flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
