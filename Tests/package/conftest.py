"""Fixtures of the package tests: the .deb under test, and the end-to-end suite's helpers (moto, the IMDS emulator,
the output contract checks), imported from Tests/e2e rather than copied.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
pytest.register_assert_rewrite("harness")

from harness import REPO, moto_peer  # noqa: E402


@pytest.fixture(scope="session")
def deb() -> Path:
    """The package built by `make deb` (AWS_ELEVATE_DEB, as make package-test passes it)."""
    name = os.environ.get("AWS_ELEVATE_DEB")
    if not name:
        pytest.fail("AWS_ELEVATE_DEB is not set: run `make package-test`", pytrace=False)
    path = Path(name).resolve()
    if not path.is_file():
        pytest.fail(f"no package at {path}: run `make deb`", pytrace=False)
    return path


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory):
    """moto_server on a free loopback port, signatures and IAM checked (as in Tests/e2e)."""
    server = moto_peer.MotoServer(log_path=tmp_path_factory.mktemp("moto") / "moto.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def version() -> str:
    """The version as the Makefile reads it from its one place (`make version`)."""
    result = subprocess.run(["make", "--no-print-directory", "-s", "-C", str(REPO), "version"], capture_output=True,
                            text=True, check=True)
    return result.stdout.strip()


@pytest.fixture(scope="session")
def architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
