"""The loopback container credential endpoint emulator (Tests/support/ecs_emulator.py) as a test peer, and the task
role it serves: a real moto session, so that hops after it are checked by moto."""

from __future__ import annotations

import pytest

from sts_harness import LoopbackProcess

PATH = "/v1/credentials"


class ECSEmulator(LoopbackProcess):
    def __init__(self):
        super().__init__("ecs_emulator.py")
        self.full_uri = self.url + PATH

    def serve(self, credentials: dict, **extra) -> None:
        """Serves a moto AssumeRole `Credentials` dict (SessionToken becomes Token), plus `extra` fields."""
        document = {
            "AccessKeyId": credentials["AccessKeyId"], "SecretAccessKey": credentials["SecretAccessKey"],
            "Token": credentials["SessionToken"], "RoleArn": "arn:aws:iam::123456789012:role/task",
            "Expiration": credentials["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        document.update(extra)
        self.request("POST", "/_emulator/credentials", document)

    def serve_document(self, document: dict) -> None:
        self.request("POST", "/_emulator/credentials", document)

    def require_token(self, token: str | None) -> None:
        self.request("POST", "/_emulator/config", {"token": token})

    def mode(self, mode: str, count: int = 1, delay: float = 0, status: int = 200) -> None:
        self.request("POST", "/_emulator/mode", {"mode": mode, "count": count, "delay": delay, "status": status})

    def requests(self) -> list:
        """[method, path, authorization, status] of every request to the endpoint."""
        return self.request("GET", "/_emulator/requests")

    def environment(self, token: str | None = None, **extra: str) -> dict[str, str]:
        environment = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.full_uri}
        if token is not None:
            environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = token
        environment.update(extra)
        return environment


@pytest.fixture
def ecs():
    emulator = ECSEmulator()
    try:
        yield emulator
    finally:
        emulator.stop()
