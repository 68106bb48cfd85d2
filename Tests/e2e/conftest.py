"""Fixtures of the end-to-end suite: the built binary, a sandbox HOME, and moto_server as a verifying STS.

Nothing here is autouse: test modules that need neither the binary nor moto (the config oracle) run without them.
The binary comes from AWS_ELEVATE_BIN (make test passes the release build), else .build/release, else .build/debug.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

pytest.register_assert_rewrite("harness")

from cache_harness import CountingProxy  # noqa: E402
from harness import Sandbox, find_binary, moto_peer  # noqa: E402
import imds_harness  # noqa: E402


@pytest.fixture(scope="session")
def binary() -> Path:
    """The aws-elevate executable under test (absolute path)."""
    path = find_binary()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"aws-elevate binary not found at {path}: run `make build` or set AWS_ELEVATE_BIN", pytrace=False)
    return path


@pytest.fixture
def sandbox(tmp_path: Path, binary: Path) -> Sandbox:
    """A fresh temporary HOME with empty ~/.aws and a clean environment."""
    return Sandbox(tmp_path, binary)


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory):
    """One moto_server for the session, on a free loopback port, signature and IAM checking on.

    Stopped (terminate, then kill) when the session ends, whatever the tests did.
    """
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    server = moto_peer.MotoServer(log_path=log)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def unique() -> str:
    """A short name unique to one test, for IAM users and roles in the shared moto."""
    return "t" + uuid.uuid4().hex[:10]


def _require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not installed: run `make deps`", pytrace=False)
    return path


@pytest.fixture(scope="session")
def bash() -> str:
    return _require("bash")


@pytest.fixture(scope="session")
def zsh() -> str:
    return _require("zsh")


@pytest.fixture
def emulator(tmp_path: Path):
    """The loopback IMDS emulator (IMDSv2 tokens, fault modes), stopped when the test ends."""
    server = imds_harness.IMDSEmulator(tmp_path / "imds.port")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def proxy(moto):
    """A counting proxy in front of the session's moto: every STS request a test's runs make passes through it."""
    server = CountingProxy(moto.url)
    try:
        yield server
    finally:
        server.stop()
