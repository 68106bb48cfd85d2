#!/usr/bin/env python3
"""A loopback emulator of a container credential endpoint (the ECS agent, EKS Pod Identity) for aws-elevate's tests.

It answers GET on its credentials path with the document botocore's ContainerProvider reads (AccessKeyId,
SecretAccessKey, Token, Expiration, plus RoleArn as the ECS agent sends it), checking the Authorization header when
a token is set: none gives 401, a wrong one 403. The credentials are whatever the test put in through the control
API, normally real moto session credentials of a role.

Control API (loopback only, used by the tests):
  POST /_emulator/credentials   JSON {"AccessKeyId": .., "SecretAccessKey": .., "Token": .., "Expiration": ..,
                                       ...}: the document served (every key is served as given)
  POST /_emulator/config        JSON {"path": PATH, "token": TOKEN or null}: where the credentials are served
                                (default /v1/credentials) and the Authorization value required (default none)
  POST /_emulator/mode          JSON {"mode": MODE, "count": N, "delay": SECONDS}; MODE is one of
                                  normal          serve the document
                                  error-500       the next N answers are 500 (N default 1; -1: all), then normal
                                  bad-json        the next N answers are 200 with a body that is not JSON
                                  slow            the next N answers wait `delay` seconds first
                                  missing-field   the document lacks SecretAccessKey
                                  status          every answer has the status in "status" (JSON), empty body
  GET  /_emulator/requests      JSON list of [method, path, authorization or null, status] since the last reset
  POST /_emulator/reset         forget requests, back to normal mode, no token, the default path

Run: ecs_emulator.py [--port N] [--port-file PATH] [--exit-with-stdin]; it prints "listening on PORT" once it
serves. With --exit-with-stdin it exits when its standard input closes, so a test process that dies takes its
emulator with it.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import loopback_server

DEFAULT_PATH = "/v1/credentials"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.credentials = None
        self.reset()

    def reset(self):
        self.path = DEFAULT_PATH
        self.token = None
        self.mode = "normal"
        self.remaining = 0
        self.delay = 0.0
        self.status = 200
        self.requests = []


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ecs-emulator"

    def log_message(self, format, *args):  # keep test output clean
        pass

    def _send(self, status, body=b"", content_type="application/json"):
        entry = getattr(self, "_entry", None)
        if entry is not None:
            entry[3] = status
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _control(self):
        body = self._body()
        if self.path == "/_emulator/credentials" and self.command == "POST":
            with STATE.lock:
                STATE.credentials = json.loads(body)
            return self._send(200, "ok", "text/plain")
        if self.path == "/_emulator/config" and self.command == "POST":
            doc = json.loads(body)
            with STATE.lock:
                STATE.path = doc.get("path", STATE.path)
                STATE.token = doc.get("token", STATE.token)
            return self._send(200, "ok", "text/plain")
        if self.path == "/_emulator/mode" and self.command == "POST":
            doc = json.loads(body)
            with STATE.lock:
                STATE.mode = doc["mode"]
                STATE.remaining = int(doc.get("count", 1))
                STATE.delay = float(doc.get("delay", 0))
                STATE.status = int(doc.get("status", 200))
            return self._send(200, "ok", "text/plain")
        if self.path == "/_emulator/requests" and self.command == "GET":
            with STATE.lock:
                return self._send(200, json.dumps(STATE.requests))
        if self.path == "/_emulator/reset" and self.command == "POST":
            with STATE.lock:
                STATE.reset()
            return self._send(200, "ok", "text/plain")
        return self._send(404, "no such control endpoint", "text/plain")

    def _take(self):
        """The mode for this request; a counted mode falls back to normal once its count is spent."""
        with STATE.lock:
            mode = STATE.mode
            if mode in ("error-500", "bad-json", "slow"):
                if STATE.remaining == 0:
                    return "normal", STATE
                if STATE.remaining > 0:
                    STATE.remaining -= 1
            return mode, STATE

    def _endpoint(self):
        self._body()
        authorization = self.headers.get("Authorization")
        with STATE.lock:
            self._entry = [self.command, self.path, authorization, None]
            STATE.requests.append(self._entry)
            path, token, credentials = STATE.path, STATE.token, STATE.credentials
        mode, state = self._take()
        if mode == "slow":
            time.sleep(state.delay)
        if mode == "status":
            return self._send(state.status, b"")
        if self.command != "GET":
            return self._send(405, '{"message": "method not allowed"}')
        if self.path != path:
            return self._send(404, '{"message": "not found"}')
        if token is not None:
            if authorization is None:
                return self._send(401, '{"message": "authorization required"}')
            if authorization != token:
                return self._send(403, '{"message": "authorization refused"}')
        if mode == "error-500":
            return self._send(500, '{"message": "internal error"}')
        if mode == "bad-json":
            return self._send(200, '{"AccessKeyId": ')
        if credentials is None:
            return self._send(404, '{"message": "no credentials loaded"}')
        doc = dict(credentials)
        if mode == "missing-field":
            doc.pop("SecretAccessKey", None)
        return self._send(200, json.dumps(doc, indent=2))

    def _dispatch(self):
        self._entry = None  # one handler serves every request of a keep-alive connection
        try:
            if self.path.startswith("/_emulator/"):
                return self._control()
            return self._endpoint()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_PUT = do_POST = do_DELETE = _dispatch


if __name__ == "__main__":
    sys.exit(loopback_server.main(Handler, __doc__.splitlines()[0]))
