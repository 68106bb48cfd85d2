"""moto_server as a verifying STS/IAM peer for aws-elevate's end-to-end tests and demo.

Used two ways:

* as a module (the pytest fixtures): ``with MotoServer() as moto: user = moto.create_user("alice")``;
* from the command line (the demo, in bash)::

      python moto.py start STATE_DIR        # starts moto on a free loopback port, prints its URL
      python moto.py seed-user STATE_DIR N  # creates IAM user N with an access key; prints JSON
      python moto.py stop STATE_DIR         # terminates it (then kills it)

moto runs with ``INITIAL_NO_AUTH_ACTION_COUNT=0``: every request's SigV4 signature is recomputed and IAM
identity and trust policies are enforced. Seeding switches that off for its own requests only
(``/moto-api/reset-auth``) and back on afterwards. Only loopback addresses are ever used.

This file's name shadows the real ``moto`` package if its folder is on ``sys.path``: import it under another
name (the pytest conftest loads it as ``moto_peer``), and never ``import moto`` in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

HOST = "127.0.0.1"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account

# What seeded users and roles may do: everything in STS (GetCallerIdentity, AssumeRole, ...).
ALLOW_STS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}],
}


@dataclass(frozen=True)
class User:
    """An IAM user with one access key."""

    name: str
    arn: str
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class Role:
    """An IAM role and the principals its trust policy names."""

    name: str
    arn: str
    trusted: tuple[str, ...]


def free_loopback_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago (bind port 0 and read what the kernel chose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def session_arn(role_name: str, session_name: str, account_id: str = ACCOUNT_ID) -> str:
    """The ARN of a role session: what a trust policy must name for moto, which matches principals literally."""
    return f"arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def _post(url: str, body: bytes, content_type: str, timeout: float = 5.0) -> bytes:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


class MotoServer:
    """One ``moto_server`` process on a free loopback port, with signature checking on."""

    def __init__(self, python: str | None = None, log_path: str | os.PathLike[str] | None = None,
                 die_with_parent: bool = True):
        self.python = python or sys.executable
        self.log_path = Path(log_path) if log_path else None
        # A test run that is killed outright (SIGKILL, a CI timeout) takes moto with it; the demo's detached
        # `start` turns this off, since its starter exits at once.
        self.die_with_parent = die_with_parent
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("moto_server is not started")
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0, attempts: int = 3) -> "MotoServer":
        """Starts moto and waits until it answers; retries on another port if the chosen one was taken."""
        last_error = ""
        for _ in range(attempts):
            self.port = free_loopback_port()
            environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
            environment["PYTHONUNBUFFERED"] = "1"
            if self.log_path:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                self._log_file = open(self.log_path, "ab")
            output = self._log_file or subprocess.DEVNULL
            self.process = subprocess.Popen(
                [self.python, "-m", "moto.server", "-H", HOST, "-p", str(self.port)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                env=environment,
                cwd="/",  # never a folder holding this file, whose name would shadow the moto package
                start_new_session=True,  # its own process group: stop() can signal everything it started
                preexec_fn=_terminate_with_parent if self.die_with_parent else None,
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    last_error = f"moto_server exited with status {self.process.returncode}"
                    break
                if self._answers():
                    return self
                time.sleep(0.1)
            else:
                last_error = f"moto_server did not answer on {self.url} within {timeout:.0f} s"
            self.stop()
        raise RuntimeError(last_error + (f" (log: {self.log_path})" if self.log_path else ""))

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def stop(self, grace: float = 5.0) -> None:
        """Terminates moto's process group, and kills it if it has not exited within `grace` seconds."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=grace)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> "MotoServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- auth switch -----------------------------------------------------------------------------------------

    def set_auth(self, enabled: bool) -> None:
        """Turns moto's signature and IAM checking on or off (the body is the number of free requests)."""
        _post(f"{self.url}/moto-api/reset-auth", b"0" if enabled else b"inf", "text/plain")

    @contextlib.contextmanager
    def auth_disabled(self):
        """Seeding: requests inside are not checked; checking is on again afterwards, even on error."""
        self.set_auth(False)
        try:
            yield
        finally:
            self.set_auth(True)

    # -- clients ---------------------------------------------------------------------------------------------

    def client(self, service: str, access_key_id: str = "seeding", secret_access_key: str = "seeding",
               session_token: str | None = None):
        """A boto3 client for moto, with explicit keys (never the environment's or ~/.aws's)."""
        import boto3  # imported here so that `moto.py stop` works without boto3

        return boto3.session.Session(
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            aws_session_token=session_token,
            region_name=REGION,
        ).client(service, endpoint_url=self.url)

    def client_for(self, service: str, user: User):
        return self.client(service, user.access_key_id, user.secret_access_key)

    # -- seeding ---------------------------------------------------------------------------------------------

    def create_user(self, name: str, policy: dict | None = None) -> User:
        """An IAM user with an access key and an inline policy (default: sts:* allowed)."""
        with self.auth_disabled():
            iam = self.client("iam")
            arn = iam.create_user(UserName=name)["User"]["Arn"]
            iam.put_user_policy(UserName=name, PolicyName="allow-sts",
                                PolicyDocument=json.dumps(policy or ALLOW_STS))
            key = iam.create_access_key(UserName=name)["AccessKey"]
        return User(name, arn, key["AccessKeyId"], key["SecretAccessKey"])

    def create_role(self, name: str, trusted: list[str] | tuple[str, ...], policy: dict | None = None) -> Role:
        """A role whose trust policy admits exactly the principal ARNs in `trusted`, allowed sts:* itself."""
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": list(trusted)}, "Action": "sts:AssumeRole"}],
        }
        with self.auth_disabled():
            iam = self.client("iam")
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            iam.put_role_policy(RoleName=name, PolicyName="allow-sts", PolicyDocument=json.dumps(policy or ALLOW_STS))
        return Role(name, arn, tuple(trusted))

    def seed_chain(self, prefix: str, instance_session: str, a_session: str, b_session: str | None = None) -> dict:
        """The chain later stages test: a user → an "instance role" → role A → role B.

        The user stands for whatever gave the instance its role: its own AssumeRole into the instance role (as
        session `instance_session`) yields the credentials an IMDS emulator hands out. Role A trusts exactly that
        session, role B exactly A's session `a_session` (moto matches principals literally).
        """
        user = self.create_user(f"{prefix}-provisioner")
        instance = self.create_role(f"{prefix}-instance", [user.arn])
        role_a = self.create_role(f"{prefix}-role-a", [session_arn(instance.name, instance_session)])
        role_b = self.create_role(f"{prefix}-role-b", [session_arn(role_a.name, a_session)])
        return {"user": user, "instance": instance, "role_a": role_a, "role_b": role_b,
                "instance_session": instance_session, "a_session": a_session, "b_session": b_session}

    def assume_role(self, credentials: dict, role_arn: str, session_name: str, duration: int = 3600) -> dict:
        """boto3's AssumeRole with `credentials` (AccessKeyId/SecretAccessKey/SessionToken): checked by moto."""
        sts = self.client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                          credentials.get("SessionToken"))
        return sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=duration)

    # -- self-check ------------------------------------------------------------------------------------------

    def verify_signature_checking(self, user: User) -> None:
        """Raises unless moto accepts `user`'s real keys and rejects the same key id with a wrong secret."""
        from botocore.exceptions import ClientError

        identity = self.client_for("sts", user).get_caller_identity()
        if identity["Arn"] != user.arn:
            raise AssertionError(f"moto answered {identity['Arn']!r} for {user.arn!r}")
        try:
            self.client("sts", user.access_key_id, user.secret_access_key + "x").get_caller_identity()
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code != "SignatureDoesNotMatch":
                raise AssertionError(f"a wrong secret got {code!r}, expected SignatureDoesNotMatch") from error
        else:
            raise AssertionError("moto accepted a request signed with a wrong secret: signature checking is off")


def _terminate_with_parent() -> None:
    """In the child before exec: ask Linux for SIGTERM when the process that started it dies."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


# -- command line (for the demo) ----------------------------------------------------------------------------


def _state_path(state_dir: str) -> Path:
    return Path(state_dir) / "moto.json"


def _attach(state_dir: str) -> MotoServer:
    state = json.loads(_state_path(state_dir).read_text())
    server = MotoServer()
    server.port = state["port"]
    return server


def _cli(argv: list[str]) -> int:
    usage = "usage: moto.py start STATE_DIR | seed-user STATE_DIR NAME | stop STATE_DIR"
    if len(argv) < 2:
        print(usage, file=sys.stderr)
        return 64
    command, state_dir = argv[0], argv[1]
    if command == "start" and len(argv) == 2:
        Path(state_dir).mkdir(parents=True, exist_ok=True)
        server = MotoServer(log_path=Path(state_dir) / "moto.log", die_with_parent=False).start()
        _state_path(state_dir).write_text(json.dumps({"pid": server.process.pid, "port": server.port}))
        # Detach: the process keeps running after this script exits; `stop` ends it through the state file.
        server.process = None
        print(server.url)
        return 0
    if command == "seed-user" and len(argv) == 3:
        server = _attach(state_dir)
        user = server.create_user(argv[2])
        server.verify_signature_checking(user)
        print(json.dumps(asdict(user)))
        return 0
    if command == "stop" and len(argv) == 2:
        path = _state_path(state_dir)
        if not path.exists():
            return 0
        pid = json.loads(path.read_text())["pid"]
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
        path.unlink()
        return 0
    print(usage, file=sys.stderr)
    return 64


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of nobody we know still answers kill(0); /proc tells whether it has exited.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
