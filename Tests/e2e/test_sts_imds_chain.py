"""The instance role from IMDS → role A → role B, with real moto session credentials served by the IMDS emulator
(Tests/support/imds_emulator.py), consumed by the real aws CLI through credential_process.

The "instance role" session is obtained by assuming it with a seeded user under the instance id as session name,
which is what an EC2 instance's role session looks like; role A trusts exactly that session, role B exactly A's.
"""

import json

from harness import parse_credential_document
from sts_harness import INSTANCE_ID, aws_cli, imds, write_app_config  # noqa: F401 (fixture)


def seed_instance(moto, imds, unique: str, a_session: str) -> dict:
    chain = moto.seed_chain(unique, instance_session=INSTANCE_ID, a_session=a_session)
    user = chain["user"]
    keys = {"AccessKeyId": user.access_key_id, "SecretAccessKey": user.secret_access_key}
    instance = moto.assume_role(keys, chain["instance"].arn, INSTANCE_ID)["Credentials"]
    imds.serve(chain["instance"].name, instance)
    return chain


def imds_env(moto, imds) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": moto.url, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url}


def chain_config(chain: dict, a_session_line: str) -> str:
    return (f"[profile app-chain]\nrole_arn = {chain['role_b'].arn}\nsource_profile = a-chain\n"
            "role_session_name = elevate-b\n\n"
            f"[profile a-chain]\nrole_arn = {chain['role_a'].arn}\ncredential_source = Ec2InstanceMetadata\n"
            f"{a_session_line}")


def test_aws_cli_gets_role_b_from_the_instance_role_through_role_a(sandbox, moto, imds, unique):
    chain = seed_instance(moto, imds, unique, a_session="elevate-a")
    write_app_config(sandbox, chain_config(chain, "role_session_name = elevate-a\n"))
    result = aws_cli(sandbox, imds_env(moto, imds), "sts", "get-caller-identity", "--profile", "app",
                     "--output", "json", drop=("AWS_EC2_METADATA_DISABLED",))
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{chain['role_b'].name}/elevate-b"
    # The instance role really came from the emulator, over IMDSv2.
    paths = [(method, path, had_token) for method, path, had_token, _ in imds.requests()]
    assert ("PUT", "/latest/api/token", False) in paths
    assert ("GET", f"/latest/meta-data/iam/security-credentials/{chain['instance'].name}", True) in paths


def test_the_first_hop_names_its_session_after_the_instance(sandbox, moto, imds, unique):
    # Role B trusts A's session only under the default name aws-elevate-<instance id> taken from IMDS.
    chain = seed_instance(moto, imds, unique, a_session=f"aws-elevate-{INSTANCE_ID}")
    write_app_config(sandbox, chain_config(chain, "duration_seconds = 7200\n"))
    result = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env=imds_env(moto, imds),
                         drop=("AWS_EC2_METADATA_DISABLED",))
    parse_credential_document(result)
    assert f"session aws-elevate-{INSTANCE_ID}" in result.err, result
    # The instance role is a role session, so even hop 1 is role chaining, capped at one hour.
    assert "hop 1: duration_seconds 7200 capped to 3600" in result.err, result
    # No region is configured anywhere: STS is signed for the region IMDS reported.
    assert "signed for us-east-1 (instance metadata region)" in result.err, result
