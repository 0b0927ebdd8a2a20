#!/usr/bin/python3
"""Tests for okuru-oauth2: file checks, parsing, and the refresh exchange against
a local token endpoint on 127.0.0.1 (port 0). Run: /usr/bin/python3 test_okuru_oauth2.py"""

import sys
sys.dont_write_bytecode = True  # keep the source tree clean

import contextlib
import http.server
import importlib.machinery
import importlib.util
import io
import json
import os
import stat
import tempfile
import threading
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
loader = importlib.machinery.SourceFileLoader("okuru_oauth2", os.path.join(HERE, "okuru-oauth2"))
spec = importlib.util.spec_from_loader("okuru_oauth2", loader)
helper = importlib.util.module_from_spec(spec)
loader.exec_module(helper)


class TokenEndpoint:
    """A fake token endpoint answering each POST with the next (status, body)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                endpoint.requests.append(urllib.parse.parse_qs(self.rfile.read(length).decode()))
                status, body = endpoint.answers.pop(0)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Helper(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "gmail.conf")

    def tearDown(self):
        self.dir.cleanup()

    def write(self, text, mode=0o600):
        with open(self.path, "w") as f:
            f.write(text)
        os.chmod(self.path, mode)

    def run_main(self, *args):
        err = io.StringIO()
        out = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = helper.main(["okuru-oauth2", *args])
        return code, out.getvalue(), err.getvalue()

    def test_usage(self):
        for args in [(), ("a", "b"), ("--authorize",), ("--refresh-token=x",)]:
            self.assertEqual(self.run_main(*args)[0], helper.EX_USAGE, args)

    def test_missing_file(self):
        code, _, err = self.run_main(self.path)
        self.assertEqual(code, helper.EX_NOINPUT)
        self.assertIn("no such file", err)

    def test_group_readable_file_is_refused(self):
        self.write('provider = gmail\nclient_id = "x"\n', 0o640)
        code, _, err = self.run_main(self.path)
        self.assertEqual(code, helper.EX_CONFIG)
        self.assertIn(f"chmod 600 {self.path}", err)

    def test_parse_errors(self):
        cases = {
            "provider = gmail\nclient_id = x\nbogus = 1\n": ":3: unknown key 'bogus'",
            "provider = gmail\nno equals sign\n": ":2: expected 'key = value'",
            "client_id = x\n": "set provider = gmail or microsoft",
            "provider = gmail\n": "client_id is missing",
            "provider = gmail\nclient_id = x\n": "refresh_token is missing",
            "provider = gmail\nclient_id = x\ntoken_url = http://example.com/t\n":
                "token_url must be https",
        }
        for text, message in cases.items():
            self.write(text)
            code, out, err = self.run_main(self.path)
            self.assertEqual(code, helper.EX_CONFIG, text)
            self.assertIn(message, err, text)
            self.assertEqual(out, "")

    def test_refresh_prints_token_caches_it_and_stores_rotated_refresh_token(self):
        endpoint = TokenEndpoint([(200, {"access_token": "AT-1", "expires_in": 3599,
                                         "refresh_token": "RT-2"})])
        try:
            self.write(f'# my account\nprovider = "microsoft"\nclient_id = "cid"\n'
                       f'refresh_token = "RT-1"\ntoken_url = {endpoint.url}\n')
            code, out, err = self.run_main(self.path)
            self.assertEqual((code, out, err), (0, "AT-1\n", ""))
            request = endpoint.requests[0]
            self.assertEqual(request["grant_type"], ["refresh_token"])
            self.assertEqual(request["refresh_token"], ["RT-1"])
            self.assertIn("SMTP.Send", request["scope"][0])
            self.assertNotIn("client_secret", request)
            with open(self.path) as f:
                text = f.read()
            self.assertIn('refresh_token = "RT-2"', text)
            self.assertIn("# my account", text)
            self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
            # Second call: served from the cache, no new request.
            self.assertEqual(self.run_main(self.path)[:2], (0, "AT-1\n"))
            self.assertEqual(len(endpoint.requests), 1)
            self.assertEqual(stat.S_IMODE(os.stat(self.path + ".cache").st_mode), 0o600)
        finally:
            endpoint.close()

    def test_endpoint_errors(self):
        cases = [
            ((400, {"error": "invalid_grant", "error_description": "Token has been expired"}),
             helper.EX_NOPERM, "invalid_grant Token has been expired (run okuru-oauth2"),
            ((503, {}), helper.EX_TEMPFAIL, "HTTP 503"),
            ((200, {"token_type": "Bearer"}), helper.EX_UNAVAILABLE, "no access_token"),
        ]
        for answer, expected_code, message in cases:
            endpoint = TokenEndpoint([answer])
            try:
                self.write(f"provider = gmail\nclient_id = cid\nclient_secret = SECRET-CS\n"
                           f"refresh_token = SECRET-RT\ntoken_url = {endpoint.url}\n")
                code, out, err = self.run_main(self.path)
                self.assertEqual(code, expected_code, answer)
                self.assertIn(message, err)
                self.assertEqual(out, "")
                self.assertNotIn("SECRET", err)
                self.assertEqual(endpoint.requests[0]["client_secret"], ["SECRET-CS"])
            finally:
                endpoint.close()

    def test_unreachable_endpoint_is_temporary(self):
        endpoint = TokenEndpoint([])
        url = endpoint.url
        endpoint.close()  # nothing listens there any more
        self.write(f"provider = gmail\nclient_id = c\nrefresh_token = r\ntoken_url = {url}\n")
        code, _, err = self.run_main(self.path)
        self.assertEqual(code, helper.EX_TEMPFAIL)
        self.assertIn("cannot reach the token endpoint", err)


if __name__ == "__main__":
    unittest.main()
