"""Helpers and fixtures of the STS end-to-end tests: role chains seeded in moto, the SDK-facing profiles that run
aws-elevate for them, the fault-injecting proxy and the IMDS emulator (both loopback only).

Test modules import the fixtures they use from here (`from sts_harness import fault_proxy, imds`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from dataclasses import dataclass

import pytest

from harness import REPO, moto_peer, venv_bin

SUPPORT = REPO / "Tests" / "support"
ACCOUNT = moto_peer.ACCOUNT_ID
INSTANCE_ID = "i-0123456789abcdef0"  # what Tests/support/imds_emulator.py reports


@dataclass(frozen=True)
class Chain:
    """A user and the roles it reaches: roles[0] trusts the user, roles[n] trusts roles[n-1]'s fixed session."""

    user: moto_peer.User
    roles: tuple[moto_peer.Role, ...]
    sessions: tuple[str, ...]

    def session_arn(self, index: int) -> str:
        return moto_peer.session_arn(self.roles[index].name, self.sessions[index])


def seed_chain(moto, prefix: str, hops: int = 2) -> Chain:
    """A user with keys, then `hops` roles, each trusting exactly the session of the one before it."""
    user = moto.create_user(f"{prefix}-user")
    roles: list[moto_peer.Role] = []
    sessions: list[str] = []
    trusted = user.arn
    for index in range(hops):
        name = f"{prefix}-role-{chr(ord('a') + index)}"
        session = f"elevate-{chr(ord('a') + index)}"
        roles.append(moto.create_role(name, [trusted]))
        sessions.append(session)
        trusted = moto_peer.session_arn(name, session)
    return Chain(user, tuple(roles), tuple(sessions))


def create_role_with_trust(moto, name: str, statement: dict) -> moto_peer.Role:
    """A role whose trust policy is exactly `statement` (for conditions such as sts:ExternalId)."""
    trust = {"Version": "2012-10-17", "Statement": [statement]}
    with moto.auth_disabled():
        iam = moto.client("iam")
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=name, PolicyName="allow-sts", PolicyDocument=json.dumps(moto_peer.ALLOW_STS))
    return moto_peer.Role(name, arn, tuple(statement["Principal"]["AWS"]))


def hop_profiles(chain: Chain, first_source: str = "source_profile = base", extra: dict[int, str] | None = None,
                 names: tuple[str, ...] | None = None) -> str:
    """`[profile NAME]` sections for the chain's roles, the last one named `app-chain`, each assuming its role with
    its fixed session name from the one before; the first one's source is `first_source`."""
    count = len(chain.roles)
    names = names or tuple(["app-chain" if i == count - 1 else f"hop{i + 1}" for i in range(count)])
    sections = []
    for index, role in enumerate(chain.roles):
        source = first_source if index == 0 else f"source_profile = {names[index - 1]}"
        lines = [f"[profile {names[index]}]", f"role_arn = {role.arn}", source,
                 f"role_session_name = {chain.sessions[index]}"]
        if extra and index in extra:
            lines.append(extra[index])
        sections.append("\n".join(lines) + "\n")
    return "\n".join(sections)


def write_app_config(sandbox, chain_sections: str, keys: moto_peer.User | None = None, region: str = "us-east-1"):
    """The SDK-facing `[profile app]` running aws-elevate for `app-chain`, the chain's sections, and the base keys."""
    sandbox.write_config(
        f"[profile app]\ncredential_process = {sandbox.binary} credential-process --profile app-chain\n"
        f"region = {region}\n\n{chain_sections}")
    if keys is not None:
        sandbox.write_credentials(
            f"[base]\naws_access_key_id = {keys.access_key_id}\naws_secret_access_key = {keys.secret_access_key}\n")


def aws_cli(sandbox, env: dict[str, str], *args: str, drop: tuple[str, ...] = ()):
    """The real aws CLI of the venv, in the sandbox."""
    return sandbox.run(*args, program=venv_bin("aws"), env=env, drop=drop, timeout=120)


BOTO3_CALLER_IDENTITY = """
import json, boto3
print(json.dumps(boto3.Session(profile_name="app").client("sts").get_caller_identity()))
"""


def boto3_caller_identity(sandbox, env: dict[str, str]):
    return sandbox.run("-c", BOTO3_CALLER_IDENTITY, program=venv_bin("python"), env=env, timeout=120)


# -- loopback helper processes ------------------------------------------------------------------------------


class LoopbackProcess:
    """A Python helper of Tests/support started with --exit-with-stdin; it prints "listening on PORT"."""

    def __init__(self, script: str, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, str(SUPPORT / script), "--exit-with-stdin", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.process.stdout.readline().decode()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"{script} did not start: {line!r}")
        self.port = int(line.split()[-1])
        self.url = f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, document=None):
        data = None if document is None else json.dumps(document).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body.startswith((b"[", b"{")) else body

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process.stdout.close()


class FaultProxy(LoopbackProcess):
    def __init__(self, upstream: str):
        super().__init__("sts_fault_proxy.py", "--upstream", upstream)

    def plan(self, action: str, *faults: dict) -> None:
        self.request("POST", "/_fault/plan", {"action": action, "faults": list(faults)})

    def log(self) -> list[dict]:
        return self.request("GET", "/_fault/log")


class IMDSEmulator(LoopbackProcess):
    def __init__(self):
        super().__init__("imds_emulator.py")

    def serve(self, role: str, credentials: dict) -> None:
        self.request("POST", "/_emulator/credentials", {
            "role": role, "AccessKeyId": credentials["AccessKeyId"],
            "SecretAccessKey": credentials["SecretAccessKey"], "Token": credentials["SessionToken"],
            "Expiration": credentials["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")})

    def requests(self) -> list:
        return self.request("GET", "/_emulator/requests")


@pytest.fixture
def fault_proxy(moto):
    proxy = FaultProxy(moto.url)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def imds():
    emulator = IMDSEmulator()
    try:
        yield emulator
    finally:
        emulator.stop()


def run_without_terminal(sandbox, *args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                         timeout: float = 60):
    """Runs aws-elevate in a new session, so that it has no controlling terminal (/dev/tty cannot be opened)."""
    from harness import Result

    argv = [str(sandbox.binary), *args]
    completed = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                               env=sandbox.environment(env, drop), cwd=sandbox.root, start_new_session=True)
    return Result(argv, completed.returncode, completed.stdout, completed.stderr)
