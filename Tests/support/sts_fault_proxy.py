#!/usr/bin/env python3
"""A loopback fault-injecting HTTP proxy in front of moto_server, for aws-elevate's STS retry tests.

It forwards every request to the upstream (moto) unchanged, Host header included, so SigV4 signatures still verify,
except the requests the current fault plan matches: those get a canned answer instead and never reach moto.

It serves two ways at once:
  * as the STS endpoint itself (AWS_ENDPOINT_URL_STS=http://127.0.0.1:PORT): requests go to --upstream;
  * as a forward HTTP proxy (http_proxy=http://127.0.0.1:PORT): requests with an absolute URI go to that URI's host,
    which must be a loopback address.

Control API (loopback only):
  POST /_fault/plan   JSON {"action": "AssumeRole", "faults": [{"status": 400, "code": "Throttling"},
                                                              {"status": 503, "body": "text"}, ...]}
                      the next len(faults) requests whose form body has Action=<action> get these answers in order
                      (an XML ErrorResponse with "code", or a plain-text body when "body" is "text"; a fault
                      {"forward": true} lets its request through, so that a later one is faulted)
                      A fault may name its own "action" (then it answers that action's requests, whatever the
                      plan's "action"), and with "repeat": true it stays in the plan and answers every such request.
                      A fault {"status": 200, "result": {...}} answers with a successful <ACTIONResponse> whose
                      ACTIONResult holds "result" as elements (nested objects become nested elements), e.g.
                      {"Credentials": {"AccessKeyId": .., "SecretAccessKey": .., "SessionToken": ..,
                      "Expiration": ..}, "AssumedRoleUser": {"Arn": .., "AssumedRoleId": ..}} for AssumeRole or
                      {"Arn": .., "UserId": .., "Account": ..} for GetCallerIdentity. Values are any text: each
                      character is written as itself or, where XML text could not carry it raw (C0 controls but
                      tab and LF, CR, lone surrogates), as a character reference, so the document says exactly
                      what the test asked for (and an XML 1.0 parser refuses what XML 1.0 forbids).
  GET  /_fault/log    JSON list of {"action", "mode" ("endpoint" | "proxy"), "answer" ("fault 400 Throttling" |
                      "forwarded 200")}
  POST /_fault/reset  empty plan and log

With --tls-cert and --tls-key (PEM files) it serves HTTPS instead of plain HTTP, for the CA bundle tests
(https://127.0.0.1:PORT as the STS endpoint); it still talks plain HTTP to the upstream.

Run: sts_fault_proxy.py --upstream http://127.0.0.1:MOTO_PORT [--port N] [--tls-cert F --tls-key F]
[--exit-with-stdin]; it prints "listening on PORT" once it serves. With --exit-with-stdin it exits when its
standard input closes.
"""

import argparse
import http.client
import json
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from loopback_server import serve

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade"}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.upstream = None
        self.reset()

    def reset(self):
        self.action = None
        self.faults = []
        self.log = []


STATE = State()


def xml_text(value: str) -> str:
    """`value` as XML character data: markup characters escaped, characters that raw XML text would lose or that
    UTF-8 cannot hold (CR, C0 controls but tab and LF, lone surrogates) as character references."""
    out = []
    for character in value:
        code = ord(character)
        if character in "&<>":
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[character])
        elif (code < 0x20 and character not in "\t\n") or 0xD800 <= code <= 0xDFFF:
            out.append(f"&#{code};")
        else:
            out.append(character)
    return "".join(out)


def result_elements(result: dict) -> str:
    return "".join(
        f"<{name}>{result_elements(value) if isinstance(value, dict) else xml_text(str(value))}</{name}>"
        for name, value in result.items())


def result_document(action: str, result: dict) -> bytes:
    return (
        f'<{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><{action}Result>'
        f"{result_elements(result)}</{action}Result><ResponseMetadata>"
        f"<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></{action}Response>"
    ).encode()


def error_document(code: str, message: str) -> bytes:
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sts-fault-proxy"

    def log_message(self, format, *args):
        pass

    def _send(self, status, body=b"", content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _control(self, body):
        if self.path == "/_fault/plan" and self.command == "POST":
            plan = json.loads(body)
            with STATE.lock:
                STATE.action = plan["action"]
                STATE.faults = list(plan["faults"])
            return self._send(200, b"ok")
        if self.path == "/_fault/log" and self.command == "GET":
            with STATE.lock:
                return self._send(200, json.dumps(STATE.log).encode(), "application/json")
        if self.path == "/_fault/reset" and self.command == "POST":
            with STATE.lock:
                STATE.reset()
            return self._send(200, b"ok")
        return self._send(404, b"no such control endpoint")

    def _dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_fault/"):
            return self._control(body)

        if self.path.startswith("http://"):
            target = urllib.parse.urlsplit(self.path)
            mode, host, port = "proxy", target.hostname, target.port or 80
            path = target.path or "/"
            if target.query:
                path += "?" + target.query
        else:
            upstream = urllib.parse.urlsplit(STATE.upstream)
            mode, host, port, path = "endpoint", upstream.hostname, upstream.port or 80, self.path
        if host not in LOOPBACK:
            return self._send(403, b"only loopback upstreams are allowed")

        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or [""])[0]
        with STATE.lock:
            fault = None
            for index, candidate in enumerate(STATE.faults):
                if candidate.get("action", STATE.action) == action:
                    fault = candidate if candidate.get("repeat") else STATE.faults.pop(index)
                    break
            if fault is not None and fault.get("forward"):
                fault = None
            entry = {"action": action, "mode": mode, "answer": None}
            STATE.log.append(entry)
        if fault is not None:
            status = int(fault["status"])
            if "result" in fault:
                entry["answer"] = f"result {status}"
                return self._send(status, result_document(action, fault["result"]), "text/xml")
            if fault.get("body") == "text":
                entry["answer"] = f"fault {status} text"
                return self._send(status, b"Service Unavailable")
            code = fault.get("code", "Throttling")
            entry["answer"] = f"fault {status} {code}"
            return self._send(status, error_document(code, fault.get("message", "Rate exceeded")), "text/xml")

        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            answer = response.read()
            entry["answer"] = f"forwarded {response.status}"
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError as error:
            entry["answer"] = f"upstream failed: {error}"
            self._send(502, b"upstream failed")
        finally:
            connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--exit-with-stdin", action="store_true")
    args = parser.parse_args()
    if urllib.parse.urlsplit(args.upstream).hostname not in LOOPBACK:
        parser.error("--upstream must be a loopback URL")
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    STATE.upstream = args.upstream
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        # A client that refuses the certificate fails the handshake in accept(), which the server ignores.
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return serve(server, exit_with_stdin=args.exit_with_stdin)


if __name__ == "__main__":
    sys.exit(main())
