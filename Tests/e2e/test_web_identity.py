"""The `web-identity` source against moto: an unsigned sts:AssumeRoleWithWebIdentity with the token from a file,
alone and as the start of a chain that the real aws CLI uses. moto checks no OIDC token and, since it checks every
request's signature when authentication is on, the calls here run with its checking off; the unit tests pin that
the request is unsigned and that the token appears in no message or log."""

import json

import pytest

from harness import EXIT_CREDENTIALS, assert_failure, parse_credential_document
from sts_harness import aws_cli

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwb2QifQ.c2lnbmF0dXJl"


@pytest.fixture
def pod(sandbox, moto, unique):
    """A role for the pod, a token file, and a config with `[profile pod]` and `[profile admin]` above it."""
    pod_role = moto.create_role(f"{unique}-pod", ["arn:aws:iam::123456789012:root"])
    admin_role = moto.create_role(f"{unique}-admin", [f"arn:aws:sts::123456789012:assumed-role/{unique}-pod/pod-1"])
    token_file = sandbox.root / "token"
    token_file.write_text(TOKEN + "\n")
    sandbox.write_config(
        f"[profile app]\ncredential_process = {sandbox.binary} credential-process --profile admin\n"
        "region = us-east-1\n\n"
        f"[profile pod]\nrole_arn = {pod_role.arn}\nweb_identity_token_file = {token_file}\n"
        "role_session_name = pod-1\nregion = us-east-1\n\n"
        f"[profile admin]\nrole_arn = {admin_role.arn}\nsource_profile = pod\nrole_session_name = admin-1\n")
    with moto.auth_disabled():
        yield pod_role, admin_role, token_file


def test_a_web_identity_profile_gives_the_role_session(sandbox, moto, pod):
    pod_role, _, _ = pod
    result = sandbox.run("credential-process", "--profile", "pod", "--debug", env={"AWS_ENDPOINT_URL": moto.url})
    document = parse_credential_document(result)
    assert document["AccessKeyId"].startswith("ASIA") and document["SessionToken"]
    assert "sts AssumeRoleWithWebIdentity at" in result.err and "unsigned" in result.err, result
    assert TOKEN not in result.err


def test_the_aws_cli_reaches_a_role_above_a_web_identity(sandbox, moto, pod):
    _, admin_role, _ = pod
    result = aws_cli(sandbox, {"AWS_ENDPOINT_URL": moto.url}, "sts", "get-caller-identity", "--profile", "app",
                     "--output", "json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"].endswith(f":assumed-role/{admin_role.name}/admin-1")


def test_a_missing_token_file_is_one_line_naming_it(sandbox, moto, pod):
    _, _, token_file = pod
    token_file.unlink()
    result = sandbox.run("credential-process", "--profile", "admin", env={"AWS_ENDPOINT_URL": moto.url})
    assert_failure(result, "admin", EXIT_CREDENTIALS, f"'{token_file}'", "no such file or directory")
