"""Real consumers of credential_process (the aws CLI and boto3 from the venv) against moto with signature checking.

The SDK-facing profile `app` holds only `credential_process = <aws-elevate> credential-process --profile
app-chain`; `app-chain` holds the credentials. Every request goes to moto on a loopback port.
"""

import json

import pytest

from harness import venv_bin

BOTO3_CALLER_IDENTITY = """
import json, sys
import boto3
sts = boto3.Session(profile_name="app").client("sts", endpoint_url=sys.argv[1])
print(json.dumps(sts.get_caller_identity()))
"""


def write_app_profiles(sandbox, access_key_id: str, secret: str, token: str | None = None) -> None:
    sandbox.write_config(f"""
        [profile app]
        credential_process = {sandbox.binary} credential-process --profile app-chain
        region = us-east-1

        [profile app-chain]
        region = us-east-1
        """)
    token_line = f"aws_session_token = {token}\n" if token else ""
    sandbox.write_credentials(
        f"[app-chain]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret}\n{token_line}")


def aws_cli(sandbox, moto, *args: str):
    return sandbox.run(*args, program=venv_bin("aws"), env={"AWS_ENDPOINT_URL": moto.url}, timeout=120)


def boto3_caller_identity(sandbox, moto):
    return sandbox.run("-c", BOTO3_CALLER_IDENTITY, moto.url, program=venv_bin("python"), timeout=120)


@pytest.fixture
def user(moto, unique):
    return moto.create_user(unique)


def test_aws_cli_gets_the_users_identity_through_credential_process(sandbox, moto, user):
    write_app_profiles(sandbox, user.access_key_id, user.secret_access_key)
    result = aws_cli(sandbox, moto, "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert result.returncode == 0, result
    identity = json.loads(result.stdout)
    assert identity["Arn"] == user.arn
    assert identity["Account"] == "123456789012"


def test_boto3_gets_the_users_identity_through_credential_process(sandbox, moto, user):
    write_app_profiles(sandbox, user.access_key_id, user.secret_access_key)
    result = boto3_caller_identity(sandbox, moto)
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == user.arn


def test_a_session_token_reaches_moto_through_credential_process(sandbox, moto, user, unique):
    role = moto.create_role(f"{unique}-temp", [user.arn])
    keys = {"AccessKeyId": user.access_key_id, "SecretAccessKey": user.secret_access_key}
    session = moto.assume_role(keys, role.arn, "e2e-temporary")["Credentials"]
    write_app_profiles(sandbox, session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    result = aws_cli(sandbox, moto, "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{role.name}/e2e-temporary"


def test_a_wrong_secret_shows_motos_signature_error_to_the_user(sandbox, moto, user):
    write_app_profiles(sandbox, user.access_key_id, user.secret_access_key + "-wrong")
    result = aws_cli(sandbox, moto, "sts", "get-caller-identity", "--profile", "app")
    assert result.returncode != 0, result
    assert result.stdout == b"", result
    assert "SignatureDoesNotMatch" in result.err, result


def test_boto3_raises_motos_signature_error_for_a_wrong_secret(sandbox, moto, user):
    write_app_profiles(sandbox, user.access_key_id, user.secret_access_key + "-wrong")
    result = boto3_caller_identity(sandbox, moto)
    assert result.returncode != 0, result
    assert "SignatureDoesNotMatch" in result.err, result


def test_aws_cli_shows_our_one_line_error_when_credential_process_fails(sandbox, moto, user):
    write_app_profiles(sandbox, user.access_key_id, user.secret_access_key)
    sandbox.write_credentials("[unrelated]\naws_access_key_id = AKIAUNRELATED\naws_secret_access_key = x\n")
    result = aws_cli(sandbox, moto, "sts", "get-caller-identity", "--profile", "app")
    assert result.returncode == 255, result
    assert "Error when retrieving credentials from custom-process" in result.err, result
    assert "aws-elevate: profile 'app-chain': " in result.err, result

