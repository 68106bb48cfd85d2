#!/usr/bin/env python3
"""A loopback emulator of IAM Identity Center's portal and SSO-OIDC services for aws-elevate's tests.

One server answers both services, at any path prefix (an endpoint URL with a path, such as
http://127.0.0.1:PORT/env-sso, is served at /env-sso/...), so a test can tell which configured endpoint was used:

  GET  PREFIX/federation/credentials?role_name=R&account_id=A   the portal's GetRoleCredentials. The access token in
       x-amz-sso_bearer_token must be one the emulator knows and not expired (else 401 UnauthorizedException); the
       role must be loaded (else 403 ForbiddenException). Answers {"roleCredentials": {...}}, expiration in epoch ms.
  POST PREFIX/token   SSO-OIDC CreateToken, grantType refresh_token: clientId, clientSecret and refreshToken must
       match a loaded client (else 400 invalid_client / invalid_grant). The new access token is
       "access-from-" + the refresh token, valid for the client's expiresIn, and known to the portal at once; the new
       refresh token is the old one + ".next" (omitted when the client says so). The old refresh token stays valid
       unless the client rotates.

The credentials handed out are whatever the test loaded, normally a real moto role session, so hops after the SSO
role are checked by moto.

Control API (loopback only, used by the tests):
  POST /_emulator/role     JSON {"account": A, "role": R, "credentials": {"accessKeyId", "secretAccessKey",
                           "sessionToken", "expiration" (epoch ms)}}
  POST /_emulator/token    JSON {"accessToken": T, "expiresAt": epoch seconds (default: far future)}: a token the
                           portal accepts until then
  POST /_emulator/client   JSON {"clientId", "clientSecret", "refreshToken", "expiresIn" (default 28800),
                           "returnRefreshToken" (default true), "rotate" (default false)}
  POST /_emulator/mode     JSON {"service": "portal" | "oidc", "mode": MODE, "count": N, "status": S}; MODE is
                           one of
                             normal     answer as above
                             status     the next N answers have status S (429 as TooManyRequestsException, 5xx as
                                        InternalServerException), then normal (N = -1: all)
                             bad-json   the next N answers are 200 with a body that is not JSON
  GET  /_emulator/requests JSON list of [method, path, bearer token or null, status] since the last reset
  POST /_emulator/reset    forget requests, back to normal modes (tokens, roles and clients stay)

Run: sso_emulator.py [--port N] [--port-file PATH] [--exit-with-stdin]; it prints "listening on PORT" once it
serves. With --exit-with-stdin it exits when its standard input closes.
"""

import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import loopback_server

FAR_FUTURE = 4_000_000_000


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.roles = {}
        self.tokens = {}
        self.clients = {}
        self.reset()

    def reset(self):
        self.modes = {service: {"mode": "normal", "remaining": 0, "status": 200} for service in ("portal", "oidc")}
        self.requests = []


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sso-emulator"

    def log_message(self, format, *args):  # keep test output clean
        pass

    def _send(self, status, document=None, error_type=None, raw=None):
        entry = getattr(self, "_entry", None)
        if entry is not None:
            entry[3] = status
        body = raw if raw is not None else (b"" if document is None else json.dumps(document).encode())
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if error_type:
            self.send_header("x-amzn-ErrorType", f"{error_type}:http://internal.amazon.com/coral/sso/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _control(self):
        body = self._body()
        doc = json.loads(body) if body else {}
        path = self.path
        with STATE.lock:
            if path == "/_emulator/role" and self.command == "POST":
                STATE.roles[(doc["account"], doc["role"])] = doc["credentials"]
            elif path == "/_emulator/token" and self.command == "POST":
                STATE.tokens[doc["accessToken"]] = doc.get("expiresAt", FAR_FUTURE)
            elif path == "/_emulator/client" and self.command == "POST":
                STATE.clients[doc["clientId"]] = {
                    "secret": doc["clientSecret"], "refresh": {doc["refreshToken"]},
                    "expiresIn": doc.get("expiresIn", 28800), "returnRefreshToken": doc.get("returnRefreshToken", True),
                    "rotate": doc.get("rotate", False)}
            elif path == "/_emulator/mode" and self.command == "POST":
                STATE.modes[doc["service"]] = {"mode": doc["mode"], "remaining": int(doc.get("count", 1)),
                                               "status": int(doc.get("status", 200))}
            elif path == "/_emulator/requests" and self.command == "GET":
                return self._send(200, STATE.requests)
            elif path == "/_emulator/reset" and self.command == "POST":
                STATE.reset()
            else:
                return self._send(404, {"message": "no such control endpoint"})
        return self._send(200, {"ok": True})

    def _take(self, service):
        """The fault mode for this request; a counted mode falls back to normal once its count is spent."""
        with STATE.lock:
            mode = STATE.modes[service]
            if mode["mode"] == "normal" or mode["remaining"] == 0:
                return "normal", mode
            if mode["remaining"] > 0:
                mode["remaining"] -= 1
            return mode["mode"], dict(mode)

    def _fault(self, service):
        """Answers a fault and returns True, or returns False to answer normally."""
        mode, settings = self._take(service)
        if mode == "status":
            status = settings["status"]
            error = "TooManyRequestsException" if status == 429 else "InternalServerException"
            self._send(status, {"message": f"emulated {status}"}, error_type=error)
            return True
        if mode == "bad-json":
            self._send(200, raw=b'{"roleCredentials": ')
            return True
        return False

    def _portal(self, query):
        token = self.headers.get("x-amz-sso_bearer_token")
        if self._fault("portal"):
            return
        with STATE.lock:
            expires = STATE.tokens.get(token)
            role = STATE.roles.get((query.get("account_id", [None])[0], query.get("role_name", [None])[0]))
        if token is None or expires is None or expires <= time.time():
            return self._send(401, {"message": "Session token not found or invalid"},
                              error_type="UnauthorizedException")
        if role is None:
            return self._send(403, {"message": "No access"}, error_type="ForbiddenException")
        return self._send(200, {"roleCredentials": role})

    def _oidc(self, body):
        if self._fault("oidc"):
            return
        try:
            doc = json.loads(body)
        except ValueError:
            return self._send(400, {"error": "invalid_request", "error_description": "not JSON"},
                              error_type="InvalidRequestException")
        with STATE.lock:
            client = STATE.clients.get(doc.get("clientId"))
            if client is None or client["secret"] != doc.get("clientSecret"):
                return self._send(400, {"error": "invalid_client", "error_description": "Invalid client"},
                                  error_type="InvalidClientException")
            refresh = doc.get("refreshToken")
            if doc.get("grantType") != "refresh_token" or refresh not in client["refresh"]:
                return self._send(400, {"error": "invalid_grant", "error_description": "Invalid refresh token"},
                                  error_type="InvalidGrantException")
            access = "access-from-" + refresh
            STATE.tokens[access] = time.time() + client["expiresIn"]
            answer = {"accessToken": access, "tokenType": "Bearer", "expiresIn": client["expiresIn"]}
            if client["returnRefreshToken"]:
                answer["refreshToken"] = refresh + ".next"
                if client["rotate"]:
                    client["refresh"] = {refresh + ".next"}
                else:
                    client["refresh"].add(refresh + ".next")
        return self._send(200, answer)

    def _dispatch(self):
        self._entry = None  # one handler serves every request of a keep-alive connection
        try:
            if self.path.startswith("/_emulator/"):
                return self._control()
            body = self._body()
            parsed = urllib.parse.urlsplit(self.path)
            with STATE.lock:
                self._entry = [self.command, parsed.path, self.headers.get("x-amz-sso_bearer_token"), None]
                STATE.requests.append(self._entry)
            if parsed.path.endswith("/federation/credentials") and self.command == "GET":
                return self._portal(urllib.parse.parse_qs(parsed.query))
            if parsed.path.endswith("/token") and self.command == "POST":
                return self._oidc(body)
            return self._send(404, {"message": "not found"})
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_PUT = do_POST = do_DELETE = _dispatch


if __name__ == "__main__":
    sys.exit(loopback_server.main(Handler, __doc__.splitlines()[0]))
