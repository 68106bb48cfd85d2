#!/usr/bin/env python3
"""Loopback HTTP and HTTPS server for the ElevateHTTP tests.

Binds 127.0.0.1 only, on free ports, and prints one JSON line:
{"http": PORT, "https": PORT, "stuck": PORT, "ca": "/path/to/cert.pem", "other_ca": "/path/to/other.pem",
"ca_dir": "/path/to/dir"}. Exits when stdin closes, so it never outlives the test process that started it.

"ca" is the HTTPS server's self-signed certificate; "other_ca" an unrelated one. "ca_dir" is laid out
like Debian's /etc/ssl/certs: "ca" under its OpenSSL subject-hash name, and "other_ca" as
ca-certificates.crt, so that a libcurl seeing it there trusts the server only through the directory.

"stuck" is a listener whose accept queue is kept full and never served: Linux drops further
SYNs, so a connection attempt hangs until the client's connect timeout.

Routes (any method):
  /echo                JSON {method, path, headers: [[name, value]], body: base64}
  /status/N            status N
  /headers             X-Single once, X-Multi twice
  /redirect            302 to /echo
  /slow/MS             waits MS milliseconds, then 200
  /bytes/N             N bytes with Content-Length
  /chunked/N           N bytes, chunked, no Content-Length
  absolute-form paths  (a proxied request) answered as /echo
"""

import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path
        if path.startswith("http://") or path.startswith("https://") or path == "/echo" or path.startswith("/echo?"):
            payload = json.dumps({
                "method": self.command,
                "path": path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": base64.b64encode(body).decode(),
            }).encode()
            self.reply(200, payload, [("Content-Type", "application/json")])
        elif path.startswith("/status/"):
            code = int(path.split("/")[2])
            self.reply(code, f"status {code}".encode(), [("X-Status", str(code))])
        elif path == "/headers":
            self.reply(200, b"ok", [("X-Single", "one"), ("X-Multi", "a"), ("X-Multi", "b"),
                                    ("Content-Type", "text/plain")])
        elif path == "/redirect":
            self.reply(302, b"moved", [("Location", "/echo")])
        elif path.startswith("/slow/"):
            time.sleep(int(path.split("/")[2]) / 1000)
            self.reply(200, b"late", [])
        elif path.startswith("/bytes/"):
            self.reply(200, b"a" * int(path.split("/")[2]), [])
        elif path.startswith("/chunked/"):
            remaining = int(path.split("/")[2])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                while remaining > 0:
                    size = min(remaining, 16384)
                    self.wfile.write(b"%x\r\n" % size + b"a" * size + b"\r\n")
                    remaining -= size
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
        else:
            self.reply(404, b"not found", [])

    def reply(self, code, body, headers):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = handle_any


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that abort on purpose (size limits, timeouts) are expected; anything else is shown.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)


def make_certificate(directory, name="cert", subject="/CN=127.0.0.1"):
    cert = os.path.join(directory, f"{name}.pem")
    key = os.path.join(directory, f"{name}-key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", subject, "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def make_ca_directory(directory, trusted, other):
    ca_dir = os.path.join(directory, "certs")
    os.mkdir(ca_dir)
    subject_hash = subprocess.run(["openssl", "x509", "-noout", "-subject_hash", "-in", trusted],
                                  check=True, capture_output=True, text=True).stdout.strip()
    shutil.copy(trusted, os.path.join(ca_dir, f"{subject_hash}.0"))
    shutil.copy(other, os.path.join(ca_dir, "ca-certificates.crt"))
    return ca_dir


def stuck_listener():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    return listener, fillers


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main():
    directory = tempfile.mkdtemp(prefix="http_test_server.")
    cert, key = make_certificate(directory)
    other, _ = make_certificate(directory, "other", "/CN=Unrelated Test CA")
    ca_dir = make_ca_directory(directory, cert, other)
    plain = QuietServer(("127.0.0.1", 0), Handler)
    secure = QuietServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    serve(plain)
    serve(secure)
    stuck, fillers = stuck_listener()
    print(json.dumps({"http": plain.server_address[1], "https": secure.server_address[1],
                      "stuck": stuck.getsockname()[1], "ca": cert,
                      "other_ca": other, "ca_dir": ca_dir}), flush=True)
    sys.stdin.read()
    shutil.rmtree(directory, ignore_errors=True)
    os._exit(0)


if __name__ == "__main__":
    main()
