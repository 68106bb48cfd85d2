"""Runs the built aws-elevate binary in a sandbox and checks its output contract.

A sandbox is a temporary HOME with its own AWS config and credentials files and an environment that carries no
AWS_* variable of the machine running the tests. Output is kept as bytes: the contract is about exact bytes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The one-line failure report: `aws-elevate: profile 'NAME': <problem> — <remedy>`.
EM_DASH = "\u2014"
EXPIRATION_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

# Exit codes of the contract.
EXIT_OK = 0
EXIT_CREDENTIALS = 1
EXIT_CONFIGURATION = 2
EXIT_USAGE = 64


def _load_moto_peer():
    # Loaded under another name: Tests/support/moto.py would shadow the real moto package on sys.path.
    spec = importlib.util.spec_from_file_location("moto_peer", REPO / "Tests" / "support" / "moto.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["moto_peer"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


moto_peer = _load_moto_peer()


def find_binary() -> Path:
    """AWS_ELEVATE_BIN, else the release build, else the debug build."""
    if os.environ.get("AWS_ELEVATE_BIN"):
        return Path(os.environ["AWS_ELEVATE_BIN"]).resolve()
    for candidate in (REPO / ".build/release/aws-elevate", REPO / ".build/debug/aws-elevate"):
        if candidate.is_file():
            return candidate
    return REPO / ".build/release/aws-elevate"


def venv_bin(name: str) -> Path:
    """A program of the venv running the tests (.venv), which holds the pinned aws CLI, moto and boto3."""
    return Path(sys.prefix) / "bin" / name


@dataclass(repr=False)
class Result:
    args: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")

    def __repr__(self) -> str:  # pytest shows it when an assertion about a result fails
        return f"{self.args!r} exited {self.returncode}\n--- stdout\n{self.stdout!r}\n--- stderr\n{self.err}"


class Sandbox:
    """A temporary HOME with ~/.aws/config and ~/.aws/credentials, and a clean environment to run programs in."""

    def __init__(self, root: Path, binary: Path):
        self.root = root
        self.binary = binary
        self.home = root / "home"
        self.aws_dir = self.home / ".aws"
        self.aws_dir.mkdir(parents=True)
        self.config = self.aws_dir / "config"
        self.credentials = self.aws_dir / "credentials"

    def write_config(self, text: str | bytes) -> Path:
        return _write(self.config, text)

    def write_credentials(self, text: str | bytes) -> Path:
        return _write(self.credentials, text)

    def environment(self, extra: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> dict[str, str]:
        """PATH and locale of the test run, the sandbox HOME and files, no inherited AWS_* variable.

        IMDS is switched off so that nothing can ever reach a link-local metadata address.
        """
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.home),
            "AWS_CONFIG_FILE": str(self.config),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for name in drop:
            environment.pop(name, None)
        environment.update(extra or {})
        return environment

    def run(self, *args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = (),
            program: Path | str | None = None, timeout: float = 60) -> Result:
        """Runs aws-elevate (or `program`) with `args`, no stdin, in the sandbox environment plus `env`."""
        argv = [str(program or self.binary), *args]
        completed = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                                   env=self.environment(env, drop), cwd=self.root)
        return Result(argv, completed.returncode, completed.stdout, completed.stderr)


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = textwrap.dedent(text).lstrip("\n").encode("utf-8")
    path.write_bytes(text)
    return path


# -- contract checks ----------------------------------------------------------------------------------------


def assert_failure(result: Result, profile: str, exit_code: int, *words: str) -> str:
    """A failure as the contract says: the exit code, empty stdout, exactly one stderr line
    `aws-elevate: profile 'NAME': problem — remedy` that contains every one of `words`. Returns the line."""
    assert result.returncode == exit_code, result
    assert result.stdout == b"", result
    assert result.stderr.endswith(b"\n"), result
    lines = result.err.splitlines()
    assert len(lines) == 1, result
    line = lines[0]
    prefix = f"aws-elevate: profile '{profile}': "
    assert line.startswith(prefix), result
    assert f" {EM_DASH} " in line[len(prefix):], f"no ' {EM_DASH} remedy' part: {line!r}"
    for word in words:
        assert word in line, f"{word!r} missing from {line!r}"
    return line


def assert_usage_error(result: Result, *words: str) -> None:
    """argument-parser's usage error: exit 64, empty stdout, an `Error:` message on stderr."""
    assert result.returncode == EXIT_USAGE, result
    assert result.stdout == b"", result
    assert "Error:" in result.err, result
    for word in words:
        assert word in result.err, f"{word!r} missing from stderr: {result.err!r}"


def parse_credential_document(result: Result) -> dict:
    """Checks the credential_process success contract and returns the JSON object."""
    assert result.returncode == EXIT_OK, result
    assert result.stdout.endswith(b"\n"), result
    assert result.stdout.count(b"\n") == 1, f"stdout must be one line: {result.stdout!r}"
    document = json.loads(result.stdout)
    assert isinstance(document, dict), result
    assert document.get("Version") == 1 and type(document["Version"]) is int, document
    allowed = {"Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert set(document) <= allowed, f"unexpected fields: {set(document) - allowed}"
    assert isinstance(document.get("AccessKeyId"), str) and document["AccessKeyId"], document
    assert isinstance(document.get("SecretAccessKey"), str) and document["SecretAccessKey"], document
    if "Expiration" in document:
        assert EXPIRATION_FORMAT.match(document["Expiration"]), document
    return document


def parse_env_lines(result: Result) -> dict[str, str | None]:
    """`export NAME='value'` and `unset NAME` lines → {NAME: value or None}. Every line must be one of those."""
    assert result.returncode == EXIT_OK, result
    assert result.stdout.endswith(b"\n"), result
    variables: dict[str, str | None] = {}
    for line in result.out.splitlines():
        if match := re.fullmatch(r"export ([A-Z_]+)='((?:[^']|'\\'')*)'", line):
            variables[match[1]] = match[2].replace("'\\''", "'")
        elif match := re.fullmatch(r"unset ([A-Z_]+)", line):
            variables[match[1]] = None
        else:
            raise AssertionError(f"not an export or unset line: {line!r}")
    return variables
