"""Helpers of the session-cache end-to-end tests (test_cache_*.py): a counting proxy in front of moto, the cache's
paths in a sandbox, and an independent reader of cache files (Python's AES-GCM) to tell whole entries from partial
or corrupt ones.

Everything listens on loopback only.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness import parse_credential_document
from sts_harness import hop_profiles, seed_chain, write_app_config

HEADER = b"AEVC\x01"
ENTRY_NAME = re.compile(r"^v1-([0-9a-f]{64})\.session$")
WARNING_PREFIX = "aws-elevate: warning: cannot use the session cache"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


# -- the counting proxy -------------------------------------------------------------------------------------------


@dataclass
class Exchange:
    action: str
    status: int
    body: bytes


class _QuietOnHangUp(ThreadingHTTPServer):
    """A client killed mid-request (the crash tests do that on purpose) is not an error of the proxy; anything else
    still prints its traceback."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


@dataclass
class CountingProxy:
    """Forwards every request to `upstream` unchanged (Host included, so SigV4 still verifies) and records each
    exchange, responses included: the secrets STS handed out are known to the tests, and never printed."""

    upstream: str
    exchanges: list[Exchange] = field(default_factory=list)

    def __post_init__(self):
        target = urllib.parse.urlsplit(self.upstream)
        assert target.hostname in ("127.0.0.1", "localhost", "::1"), "loopback upstreams only"
        proxy = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = (urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                try:
                    connection.putrequest("POST", self.path, skip_host=True, skip_accept_encoding=True)
                    for name, value in self.headers.items():
                        if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                            connection.putheader(name, value)
                    connection.putheader("Content-Length", str(len(body)))
                    connection.endheaders(body)
                    response = connection.getresponse()
                    answer = response.read()
                    status, headers = response.status, response.getheaders()
                finally:
                    connection.close()
                with lock:
                    proxy.exchanges.append(Exchange(action, status, answer))
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = _QuietOnHangUp(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self, action: str = "AssumeRole") -> int:
        return sum(1 for exchange in self.exchanges if exchange.action == action)

    def issued_secrets(self) -> list[str]:
        """The SecretAccessKey and SessionToken of every successful AssumeRole answer."""
        secrets = []
        for exchange in self.exchanges:
            if exchange.action == "AssumeRole" and exchange.status == 200:
                text = exchange.body.decode()
                for tag in ("SecretAccessKey", "SessionToken"):
                    secrets += re.findall(f"<{tag}>([^<]+)</{tag}>", text)
        return secrets

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# -- sandbox layout -------------------------------------------------------------------------------------------------


def cache_dir(sandbox) -> Path:
    return sandbox.home / ".cache" / "aws-elevate"


def key_file(sandbox) -> Path:
    return sandbox.home / ".config" / "aws-elevate" / "cache.key"


def entry_files(sandbox, directory: Path | None = None) -> list[Path]:
    directory = directory or cache_dir(sandbox)
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if ENTRY_NAME.match(path.name))


def only_entry(sandbox) -> Path:
    entries = entry_files(sandbox)
    assert len(entries) == 1, entries
    return entries[0]


def sts_env(endpoint: str, **extra: str) -> dict[str, str]:
    """STS at `endpoint`, the file backend unless `extra` says otherwise."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ELEVATE_CACHE": "file", **extra}


def seed_app_chain(sandbox, moto, unique: str, hops: int = 2):
    """user → role A → role B (→ …) in moto; profile `app-chain` in the sandbox runs it."""
    chain = seed_chain(moto, unique, hops=hops)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    return chain


def credential_process(sandbox, env: dict[str, str], *extra: str):
    return sandbox.run("credential-process", "--profile", "app-chain", *extra, env=env)


def document(sandbox, env: dict[str, str]) -> dict:
    return parse_credential_document(credential_process(sandbox, env))


# -- an independent reader of cache files ---------------------------------------------------------------------------


def decrypt_entry(path: Path, key: bytes) -> bytes:
    """The plaintext payload of an entry file; raises if the file is not a whole, authentic entry."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    digest = ENTRY_NAME.match(path.name)[1]
    data = path.read_bytes()
    assert data[:5] == HEADER, f"{path.name}: bad header {data[:5]!r}"
    nonce, sealed = data[5:17], data[17:]
    return AESGCM(key).decrypt(nonce, sealed, HEADER + f"aws-elevate/v1/{digest}".encode())


def reseal_with_expiration(path: Path, key: bytes, expiration_ms: int, fetched_ms: int) -> None:
    """Rewrites an entry as if its session had been fetched at `fetched_ms` and expired at `expiration_ms` (the
    payload: a version byte, then length-prefixed strings and big-endian milliseconds; see EntryCodec)."""
    import struct

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    payload = bytearray(decrypt_entry(path, key))
    offset = 1
    for _ in range(5):  # key, profile, role, access key id, secret
        offset += 4 + struct.unpack_from(">I", payload, offset)[0]
    if payload[offset] == 1:  # the session token
        offset += 1 + 4 + struct.unpack_from(">I", payload, offset + 1)[0]
    else:
        offset += 1
    struct.pack_into(">qq", payload, offset, expiration_ms, fetched_ms)
    digest = ENTRY_NAME.match(path.name)[1]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, bytes(payload), HEADER + f"aws-elevate/v1/{digest}".encode())
    path.write_bytes(HEADER + nonce + sealed)


def files_containing(roots: list[Path], needles: list[str]) -> list[str]:
    """`path: needle` for every regular file under `roots` that contains one of `needles` as bytes."""
    found = []
    encoded = [needle.encode() for needle in needles]
    for root in roots:
        for directory, _, names in os.walk(root):
            for name in names:
                path = Path(directory) / name
                if path.is_symlink() or not path.is_file():
                    continue
                data = path.read_bytes()
                found += [f"{path}: {needle[:8]!r}…" for needle in encoded if needle in data]
    return found


def warning_lines(result) -> list[str]:
    return [line for line in result.err.splitlines() if line.startswith("aws-elevate: warning:")]


def mode_of(path: Path) -> int:
    return path.lstat().st_mode & 0o7777


def run_in_mount_namespace(sandbox, script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs `sh -c script sh args…` in a private mount namespace (unshare -m), where tmpfs mounts are private."""
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *args], stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=120, env=sandbox.environment(env), cwd=sandbox.root)


def json_of(result) -> dict:
    return json.loads(result.stdout)
