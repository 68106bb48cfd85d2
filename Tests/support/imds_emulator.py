#!/usr/bin/env python3
"""A loopback emulator of the EC2 instance metadata service (IMDS) for aws-elevate's tests and demo.

It speaks IMDSv2 (PUT /latest/api/token with a TTL header; later requests carry the token; expired or unknown
tokens get 401) and, in v1 mode, answers without a token. The credentials it hands out are whatever the test put
in through the control API, normally real moto session credentials of an instance role.

Control API (loopback only, used by the tests):
  POST /_emulator/credentials   JSON {"role": NAME, "AccessKeyId": .., "SecretAccessKey": .., "Token": ..,
                                       "Expiration": ..}
  POST /_emulator/facts         JSON {"listing": TEXT, "instance-id": TEXT, "region": TEXT}: what the role listing,
                                the instance id and the region answer (the listing defaults to the role's name; the
                                credentials are served at the role's own path whatever the listing says). Keys left
                                out keep their defaults; /_emulator/reset restores them all.
  POST /_emulator/mode          JSON {"mode": MODE, "delay": SECONDS}; MODE is one of
                                  normal      v2 tokens required (v1 requests get 401)
                                  v1-allowed  v2 tokens optional (like an instance with IMDSv1 enabled)
                                  v1-only     the token PUT gets 404; GETs work without a token
                                  slow        every answer waits `delay` seconds first
                                  error-500   every answer is 500
                                  token-403 / token-404 / token-405   the token PUT gets that status
                                  bad-json    the credentials document is not JSON
                                  code-fail   the credentials document has Code "AssumeRoleUnauthorizedAccess"
                                  no-role     no role attached: the role listing is 404
                                  missing-field  the credentials document lacks SecretAccessKey
                                  expire-tokens  like normal, but the next `count` GETs (JSON "count", default 1)
                                                 that carry a token get 401 and that token is forgotten, as when
                                                 a token expires between requests; later tokens work
  GET  /_emulator/requests      JSON list of [method, path, had_token, status] since the last reset
  GET  /_emulator/tokens        JSON list of every token handed out since the last reset (tests check that no
                                message or log line contains one)
  POST /_emulator/reset         forget requests and tokens, back to normal mode

Run: imds_emulator.py [--port N] [--port-file PATH] [--exit-with-stdin]; it prints "listening on PORT" once it
serves. With --exit-with-stdin it exits when its standard input closes, so a test process that dies takes its
emulator with it.
"""

import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import loopback_server

INSTANCE_ID = "i-0123456789abcdef0"
REGION = "us-east-1"
TOKEN_PATH = "/latest/api/token"
CREDS_PREFIX = "/latest/meta-data/iam/security-credentials/"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        self.role = None
        self.credentials = None

    def reset(self):
        self.mode = "normal"
        self.delay = 0.0
        self.tokens = {}  # token -> expiry (monotonic seconds)
        self.issued = []  # every token handed out, in order
        self.expire_remaining = 0
        self.requests = []
        self.facts = {"listing": None, "instance-id": INSTANCE_ID, "region": REGION}


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "imds-emulator"

    def log_message(self, format, *args):  # keep test output clean
        pass

    def _send(self, status, body=b"", content_type="text/plain", headers=None):
        entry = getattr(self, "_entry", None)
        if entry is not None:
            entry[3] = status
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _record(self):
        with STATE.lock:
            # The status is filled in when the answer is sent; None means no answer was sent.
            self._entry = [self.command, self.path, bool(self.headers.get("X-aws-ec2-metadata-token")), None]
            STATE.requests.append(self._entry)
            return STATE.mode, STATE.delay

    # --- control API ---
    def _control(self):
        body = self._body()
        if self.path == "/_emulator/credentials" and self.command == "POST":
            doc = json.loads(body)
            with STATE.lock:
                STATE.role = doc.pop("role")
                STATE.credentials = doc
            return self._send(200, "ok")
        if self.path == "/_emulator/facts" and self.command == "POST":
            doc = json.loads(body)
            with STATE.lock:
                unknown = set(doc) - set(STATE.facts)
                if unknown:
                    return self._send(400, f"unknown facts: {sorted(unknown)}")
                STATE.facts.update(doc)
            return self._send(200, "ok")
        if self.path == "/_emulator/mode" and self.command == "POST":
            doc = json.loads(body)
            with STATE.lock:
                STATE.mode = doc["mode"]
                STATE.delay = float(doc.get("delay", 0))
                STATE.expire_remaining = int(doc.get("count", 1)) if STATE.mode == "expire-tokens" else 0
            return self._send(200, "ok")
        if self.path == "/_emulator/requests" and self.command == "GET":
            with STATE.lock:
                return self._send(200, json.dumps(STATE.requests), "application/json")
        if self.path == "/_emulator/tokens" and self.command == "GET":
            with STATE.lock:
                return self._send(200, json.dumps(STATE.issued), "application/json")
        if self.path == "/_emulator/reset" and self.command == "POST":
            with STATE.lock:
                STATE.reset()
            return self._send(200, "ok")
        return self._send(404, "no such control endpoint")

    # --- IMDS ---
    def _token_ok(self, mode):
        token = self.headers.get("X-aws-ec2-metadata-token")
        if token is None:
            return mode in ("v1-allowed", "v1-only")
        with STATE.lock:
            expiry = STATE.tokens.get(token)
            if expiry is not None and mode == "expire-tokens" and STATE.expire_remaining > 0:
                STATE.expire_remaining -= 1
                del STATE.tokens[token]
                return False
        return expiry is not None and time.monotonic() < expiry

    def _imds(self):
        self._body()
        mode, delay = self._record()
        if mode == "slow":
            time.sleep(delay)
        if mode == "error-500":
            return self._send(500, "Internal Server Error")
        if self.path == TOKEN_PATH:
            if self.command != "PUT":
                return self._send(405, "Method Not Allowed")
            if mode.startswith("token-"):
                return self._send(int(mode.split("-")[1]), "token refused")
            if mode == "v1-only":
                return self._send(404, "Not Found")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self._send(400, "Bad Request")
            token = secrets.token_urlsafe(32)
            with STATE.lock:
                STATE.tokens[token] = time.monotonic() + int(ttl)
                STATE.issued.append(token)
            return self._send(200, token, headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        if self.command != "GET":
            return self._send(405, "Method Not Allowed")
        if not self._token_ok(mode):
            return self._send(401, "Unauthorized")
        with STATE.lock:
            role, credentials, facts = STATE.role, STATE.credentials, dict(STATE.facts)
        if self.path == "/latest/meta-data/instance-id":
            return self._send(200, facts["instance-id"].encode("utf-8", "surrogatepass"))
        if self.path == "/latest/meta-data/placement/region":
            return self._send(200, facts["region"].encode("utf-8", "surrogatepass"))
        if self.path == CREDS_PREFIX:
            if mode == "no-role" or role is None:
                return self._send(404, "Not Found")
            listing = role if facts["listing"] is None else facts["listing"]
            return self._send(200, listing.encode("utf-8", "surrogatepass"))
        if self.path.startswith(CREDS_PREFIX) and role is not None and self.path[len(CREDS_PREFIX):] == role:
            if mode == "no-role":
                return self._send(404, "Not Found")
            if mode == "bad-json":
                return self._send(200, '{"Code": "Success", "AccessKeyId": ', "application/json")
            doc = {
                "Code": "Success",
                "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "Type": "AWS-HMAC",
            }
            doc.update(credentials)
            if mode == "code-fail":
                doc = {"Code": "AssumeRoleUnauthorizedAccess", "Message": "not authorized",
                       "LastUpdated": doc["LastUpdated"]}
            if mode == "missing-field":
                doc.pop("SecretAccessKey", None)
            return self._send(200, json.dumps(doc, indent=2), "application/json")
        return self._send(404, "Not Found")

    def _dispatch(self):
        self._entry = None  # one handler serves every request of a keep-alive connection
        try:
            if self.path.startswith("/_emulator/"):
                return self._control()
            return self._imds()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_PUT = do_POST = do_DELETE = _dispatch


if __name__ == "__main__":
    sys.exit(loopback_server.main(Handler, __doc__.splitlines()[0]))
