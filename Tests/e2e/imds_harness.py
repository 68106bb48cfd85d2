"""The loopback IMDS emulator (Tests/support/imds_emulator.py) as a test peer: start, control, inspect, stop."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "Tests" / "support" / "imds_emulator.py"

ROLE = "elevate-instance-role"
ACCESS_KEY_ID = "ASIAIMDSE2EEXAMPLE01"
SECRET_ACCESS_KEY = "imds/e2e+secret/never-shown-0123456789"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjE2ESESSIONTOKEN/never+shown=="
EXPIRATION = "2031-05-06T07:08:09Z"
INSTANCE_ID = "i-0123456789abcdef0"
REGION = "us-east-1"

# The control API is on loopback: never through a proxy of the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class IMDSEmulator:
    """One emulator process on a free loopback port, loaded with the example credentials."""

    def __init__(self, port_file: Path):
        # --exit-with-stdin: the emulator ends with the test run even if this process is killed.
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--port-file", str(port_file), "--exit-with-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while not port_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError("the IMDS emulator exited before it was ready")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the IMDS emulator did not start within 15 s")
            time.sleep(0.02)
        self.port = int(port_file.read_text())
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._control("POST", "/_emulator/credentials", {
            "role": ROLE, "AccessKeyId": ACCESS_KEY_ID, "SecretAccessKey": SECRET_ACCESS_KEY,
            "Token": SESSION_TOKEN, "Expiration": EXPIRATION,
        })

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin:
            self.process.stdin.close()

    def mode(self, mode: str, delay: float = 0, count: int = 1) -> None:
        self._control("POST", "/_emulator/mode", {"mode": mode, "delay": delay, "count": count})

    def requests(self) -> list[list]:
        """[method, path, had_token, status] of every IMDS request so far."""
        return self._control("GET", "/_emulator/requests")

    def tokens(self) -> list[str]:
        """Every IMDSv2 token handed out so far."""
        return self._control("GET", "/_emulator/tokens")

    def environment(self, **extra: str) -> dict[str, str]:
        """What aws-elevate needs to use this emulator: its endpoint, IMDS switched back on, a short timeout."""
        return {
            "AWS_EC2_METADATA_DISABLED": "false",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.endpoint,
            "AWS_METADATA_SERVICE_TIMEOUT": "2",
            **extra,
        }

    def _control(self, method: str, path: str, document: dict | None = None):
        data = json.dumps(document).encode() if document is not None else None
        request = urllib.request.Request(self.endpoint + path, data=data, method=method)
        with _OPENER.open(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if method == "GET" else body
