"""Two more clients people run, consuming aws-elevate through credential_process against moto: the AWS CLI v2
(Debian's awscli, /usr/bin/aws) and the AWS SDK for Go v2, the SDK of Terraform's AWS provider (Tests/support/goclient,
built from Debian's golang-github-aws-aws-sdk-go-v2-dev).

Both predate AWS_ENDPOINT_URL, so each is pointed at moto by its own option; aws-elevate, their child, still finds moto
through AWS_ENDPOINT_URL. The CLI v2 splits credential_process like a shell (no shell runs) and quotes the process's
stderr in its error; the Go SDK runs it through `sh -c` and passes the process's stderr straight through.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from harness import EXIT_CREDENTIALS, REPO, Result, assert_failure
from sts_harness import hop_profiles, imds, seed_chain, write_app_config  # noqa: F401 (fixture)
from test_sts_imds_chain import chain_config, imds_env, seed_instance

AWS_CLI_V2 = Path("/usr/bin/aws")  # the venv's and the system pip's `aws` are the CLI v1: never found through PATH
GOCLIENT_BUILD = REPO / "Tests" / "support" / "goclient" / "build.sh"
GO_SDK_DENIAL = ("goclient: operation error STS: GetCallerIdentity, failed to sign request: failed to retrieve "
                 "credentials: failed to refresh cached credentials, process provider error: error in "
                 "credential_process: exit status 1")


@dataclass(frozen=True)
class Client:
    run: Callable[..., Result]  # (sandbox, endpoint, env, drop) -> the call of sts:GetCallerIdentity as profile app
    arn: Callable[[Result], str]  # the caller ARN the client printed
    denied_exit: int  # the client's exit status when credential_process fails
    denial: Callable[[str], list[str]]  # the stderr lines it shows for aws-elevate's error line


@pytest.fixture(scope="session")
def aws_cli_v2() -> Client:
    if not AWS_CLI_V2.is_file():
        pytest.fail(f"{AWS_CLI_V2} (Debian's awscli) is not installed: run `make deps`", pytrace=False)
    version = subprocess.run([AWS_CLI_V2, "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("aws-cli/2."), version

    def run(sandbox, endpoint: str, env: dict[str, str], drop: tuple[str, ...] = ()) -> Result:
        return sandbox.run("sts", "get-caller-identity", "--profile", "app", "--endpoint-url", endpoint,
                           "--output", "json", program=AWS_CLI_V2, env=env, drop=drop, timeout=120)

    return Client(run, lambda result: json.loads(result.stdout)["Arn"], 255,
                  lambda line: [f"Error when retrieving credentials from custom-process: {line}"])


@pytest.fixture(scope="session")
def go_sdk_v2() -> Client:
    build = subprocess.run(["bash", str(GOCLIENT_BUILD)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=600)
    if build.returncode != 0:
        pytest.fail(f"building the Go client failed:\n{build.stderr}", pytrace=False)
    program = Path(build.stdout.strip())

    def run(sandbox, endpoint: str, env: dict[str, str], drop: tuple[str, ...] = ()) -> Result:
        return sandbox.run("--profile", "app", "--endpoint-url", endpoint, program=program, env=env, drop=drop,
                           timeout=120)

    # The SDK's error names only the exit status; the line itself reaches the user through the shared stderr.
    return Client(run, lambda result: result.out.strip(), 1,
                  lambda line: [line, GO_SDK_DENIAL])


@pytest.fixture(params=["aws_cli_v2", "go_sdk_v2"])
def client(request) -> Client:
    return request.getfixturevalue(request.param)


def test_the_client_gets_role_b_from_the_instance_role_through_role_a(client, sandbox, moto, imds, unique):
    chain = seed_instance(moto, imds, unique, a_session="elevate-a")
    write_app_config(sandbox, chain_config(chain, "role_session_name = elevate-a\n"))
    result = client.run(sandbox, moto.url, imds_env(moto, imds), drop=("AWS_EC2_METADATA_DISABLED",))
    assert result.returncode == 0, result
    assert client.arn(result) == f"arn:aws:sts::123456789012:assumed-role/{chain['role_b'].name}/elevate-b"


def test_the_client_gets_the_third_role_of_three_hops_from_user_keys(client, sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=3)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    result = client.run(sandbox, moto.url, {"AWS_ENDPOINT_URL": moto.url})
    assert result.returncode == 0, result
    assert client.arn(result) == chain.session_arn(2)


def test_the_client_shows_our_error_line_when_a_trust_policy_refuses_a_hop(client, sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    outsider = moto.create_role(f"{unique}-outsider", [f"arn:aws:iam::123456789012:user/{unique}-someone-else"])
    write_app_config(sandbox, hop_profiles(chain).replace(chain.roles[1].arn, outsider.arn), chain.user)
    env = {"AWS_ENDPOINT_URL": moto.url}
    line = assert_failure(sandbox.run("credential-process", "--profile", "app-chain", env=env), "app-chain",
                          EXIT_CREDENTIALS, f"hop 2 ({outsider.arn}): sts AccessDenied: ", chain.session_arn(0))

    result = client.run(sandbox, moto.url, env)
    assert result.returncode == client.denied_exit, result
    assert result.stdout == b"", result
    for expected in client.denial(line):
        assert expected in result.err.splitlines(), result
