"""credential_source = EcsContainer and the container endpoint fallback: the built binary against the loopback ECS
emulator (Tests/support/ecs_emulator.py) serving a real moto task-role session, and against `aws-elevate exec
--server` as a real peer. botocore is the oracle for the URIs it allows and the credentials it reads.

Every run points aws-elevate at 127.0.0.1 with AWS_CONTAINER_CREDENTIALS_FULL_URI; a relative URI (which means
http://169.254.170.2) is only ever given with a value refused before any request.
"""

from __future__ import annotations

import json
import time

import pytest

from ecs_harness import ecs  # noqa: F401 (fixture)
from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, assert_failure, moto_peer, parse_credential_document, venv_bin
from sts_harness import aws_cli, hop_profiles, seed_chain, write_app_config

TOKEN = "ecs-e2e-authorization-token-0123456789"
PYTHON = str(venv_bin("python"))


def seed_task(moto, ecs, unique: str) -> dict:
    """A task role whose moto session the emulator serves, and role x that trusts exactly that session."""
    agent = moto.create_user(f"{unique}-agent")
    task = moto.create_role(f"{unique}-task", [agent.arn])
    keys = {"AccessKeyId": agent.access_key_id, "SecretAccessKey": agent.secret_access_key}
    session = moto.assume_role(keys, task.arn, "ecs-task")["Credentials"]
    ecs.serve(session)
    target = moto.create_role(f"{unique}-x", [moto_peer.session_arn(task.name, "ecs-task")])
    return {"task": task, "session": session, "target": target}


def e_profile(target_arn: str) -> str:
    return f"[profile e]\nrole_arn = {target_arn}\ncredential_source = EcsContainer\nrole_session_name = elevate-e\n"


TASK_ONLY = "[profile task-only]\nregion = us-east-1\n"


def test_regression_issue11_credential_source_ecs_container_assumes_the_role(sandbox, moto, ecs, unique):
    """The issue's reproduction: `no source plugin named 'ecs'` (exit 2) for role_arn + credential_source =
    EcsContainer. Now the task role from the endpoint assumes role x in moto, for aws-elevate and the AWS CLI."""
    seeded = seed_task(moto, ecs, unique)
    ecs.require_token(TOKEN)
    sandbox.write_config(
        f"[profile app]\ncredential_process = {sandbox.binary} credential-process --profile e\n"
        f"region = us-east-1\n\n{e_profile(seeded['target'].arn)}")
    env = {"AWS_ENDPOINT_URL": moto.url, **ecs.environment(token=TOKEN)}
    parse_credential_document(sandbox.run("credential-process", "--profile", "e", env=env))
    cli = aws_cli(sandbox, env, "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert cli.returncode == 0, cli
    assert json.loads(cli.stdout)["Arn"] == moto_peer.session_arn(seeded["target"].name, "elevate-e")
    # One request, with the token: the AWS CLI's run was a cache hit.
    assert ecs.requests() == [["GET", "/v1/credentials", TOKEN, 200]]


def test_a_profile_with_nothing_else_starts_from_the_endpoint_as_botocore_does(sandbox, ecs, moto, unique):
    seeded = seed_task(moto, ecs, unique)
    sandbox.write_config(TASK_ONLY)
    document = parse_credential_document(sandbox.run("credential-process", "--profile", "task-only",
                                                     env=ecs.environment()))
    session = seeded["session"]
    assert document == {
        "Version": 1, "AccessKeyId": session["AccessKeyId"], "SecretAccessKey": session["SecretAccessKey"],
        "SessionToken": session["SessionToken"],
        "Expiration": session["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    # botocore, the oracle: the same profile and environment give the same credentials.
    script = ("import boto3, json; c = boto3.Session(profile_name='task-only').get_credentials()"
              ".get_frozen_credentials(); print(json.dumps([c.access_key, c.secret_key, c.token]))")
    oracle = sandbox.run("-c", script, program=PYTHON, env=ecs.environment(), drop=("AWS_EC2_METADATA_DISABLED",))
    assert oracle.returncode == 0, oracle
    assert json.loads(oracle.stdout) == [document["AccessKeyId"], document["SecretAccessKey"],
                                         document["SessionToken"]]


def test_the_session_is_cached_so_a_hit_asks_the_endpoint_nothing(sandbox, ecs, moto, unique):
    seed_task(moto, ecs, unique)
    sandbox.write_config(TASK_ONLY)
    first = sandbox.run("credential-process", "--profile", "task-only", env=ecs.environment(AWS_ELEVATE_CACHE="file"))
    second = sandbox.run("credential-process", "--profile", "task-only", "--debug",
                         env=ecs.environment(AWS_ELEVATE_CACHE="file"))
    assert parse_credential_document(first) == parse_credential_document(second)
    assert "cache: hit (file)" in second.err, second
    assert len(ecs.requests()) == 1


def test_server_errors_are_tried_again_a_second_apart(sandbox, ecs, moto, unique):
    seed_task(moto, ecs, unique)
    sandbox.write_config(TASK_ONLY)
    ecs.mode("error-500", count=2)
    started = time.monotonic()
    result = sandbox.run("credential-process", "--profile", "task-only", "--debug",
                         env=ecs.environment(AWS_ELEVATE_CACHE="none"))
    elapsed = time.monotonic() - started
    parse_credential_document(result)
    assert [status for *_, status in ecs.requests()] == [500, 500, 200]
    assert 1.9 <= elapsed < 6, elapsed
    assert "ecs: attempt 2 of 3 failed" in result.err, result


def test_three_failures_end_in_one_line_naming_the_endpoint_and_the_attempts(sandbox, ecs):
    sandbox.write_config(TASK_ONLY)
    ecs.mode("error-500", count=-1)
    result = sandbox.run("credential-process", "--profile", "task-only", env=ecs.environment())
    assert_failure(result, "task-only", EXIT_CREDENTIALS, f"'{ecs.url}'", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                   "status 500 (3 attempts)")
    assert "/v1/credentials" not in result.err, "the path is never shown"
    assert len(ecs.requests()) == 3


def test_an_answer_that_is_not_json_is_tried_again_then_reported(sandbox, ecs):
    sandbox.write_config(TASK_ONLY)
    ecs.mode("bad-json", count=-1)
    result = sandbox.run("credential-process", "--profile", "task-only", env=ecs.environment())
    assert_failure(result, "task-only", EXIT_CREDENTIALS, "the answer is not a JSON object")
    assert len(ecs.requests()) == 3


@pytest.mark.parametrize("given, status", [(None, 401), ("WRONG-TOKEN-never-shown", 403)])
def test_a_missing_or_wrong_token_is_refused_at_once(sandbox, ecs, given, status):
    sandbox.write_config(TASK_ONLY)
    ecs.require_token(TOKEN)
    result = sandbox.run("credential-process", "--profile", "task-only", env=ecs.environment(token=given))
    line = assert_failure(result, "task-only", EXIT_CREDENTIALS, f"refused the request with status {status}",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN")
    assert "WRONG-TOKEN" not in line and TOKEN not in line
    assert [row[2:] for row in ecs.requests()] == [[given, status]], "a refusal is not tried again"


def test_a_slow_endpoint_times_out_after_two_seconds_per_attempt(sandbox, ecs, moto, unique):
    seed_task(moto, ecs, unique)
    sandbox.write_config(TASK_ONLY)
    ecs.mode("slow", count=1, delay=3)
    started = time.monotonic()
    parse_credential_document(sandbox.run("credential-process", "--profile", "task-only",
                                          env=ecs.environment(AWS_ELEVATE_CACHE="none")))
    assert 2.9 <= time.monotonic() - started < 6, "one 2 s timeout, 1 s pause, then the answer"
    ecs.mode("slow", count=-1, delay=5)
    started = time.monotonic()
    result = sandbox.run("credential-process", "--profile", "task-only", env=ecs.environment(AWS_ELEVATE_CACHE="none"))
    elapsed = time.monotonic() - started
    assert_failure(result, "task-only", EXIT_CREDENTIALS, "did not answer in time (3 attempts)")
    assert 7.5 <= elapsed < 12, elapsed


def test_hostile_values_in_the_document_are_refused_by_field_never_shown(sandbox, ecs):
    sandbox.write_config(TASK_ONLY)
    secret = "s3cret'$(touch /tmp/ecs-pwned)"
    ecs.serve_document({"AccessKeyId": "ASIA'; touch /tmp/ecs-pwned; '", "SecretAccessKey": secret,
                        "Token": "t", "Expiration": "2031-05-06T07:08:09Z"})
    result = sandbox.run("credential-process", "--profile", "task-only", env=ecs.environment())
    line = assert_failure(result, "task-only", EXIT_CREDENTIALS, "its AccessKeyId is not")
    assert "pwned" not in line
    ecs.serve_document({"AccessKeyId": "ASIAOK", "SecretAccessKey": "has space", "Token": "t",
                        "Expiration": "2031-05-06T07:08:09Z"})
    line = assert_failure(sandbox.run("credential-process", "--profile", "task-only", env=ecs.environment()),
                          "task-only", EXIT_CREDENTIALS, "its SecretAccessKey is not")
    assert "has space" not in line


def test_the_token_file_wins_is_read_on_every_fetch_and_must_not_end_in_a_newline(sandbox, ecs, moto, unique):
    seed_task(moto, ecs, unique)
    sandbox.write_config(TASK_ONLY)
    ecs.require_token("token-one")
    token_file = sandbox.root / "token"
    token_file.write_bytes(b"token-one")
    env = ecs.environment(token="ignored", AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file),
                          AWS_ELEVATE_CACHE="none")
    parse_credential_document(sandbox.run("credential-process", "--profile", "task-only", env=env))
    ecs.require_token("token-two")
    token_file.write_bytes(b"token-two")
    parse_credential_document(sandbox.run("credential-process", "--profile", "task-only", env=env))
    assert [row[2] for row in ecs.requests()] == ["token-one", "token-two"]
    token_file.write_bytes(b"token-two\n")
    result = sandbox.run("credential-process", "--profile", "task-only", env=env)
    line = assert_failure(result, "task-only", EXIT_CONFIGURATION, "not a legal header value", str(token_file))
    assert "token-two" not in line
    assert len(ecs.requests()) == 2


# URIs botocore's ContainerMetadataFetcher refuses: aws-elevate refuses them too, before any request (exit 2).
REFUSED = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.1.2.3/creds",
    "http://example.com/creds",
    "http://127.0.0.1.nip.io/creds",
    "http://[::ffff:127.0.0.1]/creds",
    "http://169.254.170.3/creds",
]
# Loopback URIs both accept; nothing listens there, so aws-elevate gets as far as the connection.
ACCEPTED_LOOPBACK = ["http://127.0.0.1:{port}/creds", "http://127.9.8.7:{port}/creds", "http://localhost:{port}/c",
                     "http://[::1]:{port}/creds"]


def botocore_allows(uri: str) -> bool:
    from botocore.utils import ContainerMetadataFetcher

    try:
        ContainerMetadataFetcher()._validate_allowed_url(uri)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("uri", REFUSED)
def test_full_uris_botocore_refuses_are_refused_before_any_request(sandbox, uri):
    assert not botocore_allows(uri)
    sandbox.write_config(TASK_ONLY)
    started = time.monotonic()
    result = sandbox.run("credential-process", "--profile", "task-only",
                         env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri})
    assert_failure(result, "task-only", EXIT_CONFIGURATION, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "plain http://")
    assert time.monotonic() - started < 1, "refused without trying to connect"


@pytest.mark.parametrize("template", ACCEPTED_LOOPBACK)
def test_loopback_full_uris_are_accepted_as_by_botocore(sandbox, ecs, template):
    uri = template.format(port=ecs.port)
    assert botocore_allows(uri)
    ecs.stop()  # nothing listens on the port now
    sandbox.write_config(TASK_ONLY)
    result = sandbox.run("credential-process", "--profile", "task-only",
                         env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri, "AWS_ELEVATE_CACHE": "none"})
    assert_failure(result, "task-only", EXIT_CREDENTIALS, "cannot reach the container credential endpoint",
                   "(3 attempts)")


def test_the_relative_uri_wins_over_the_full_one(sandbox, ecs):
    sandbox.write_config(TASK_ONLY)
    result = sandbox.run("credential-process", "--profile", "task-only",
                         env=ecs.environment(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="v2/credentials/no-slash"))
    line = assert_failure(result, "task-only", EXIT_CONFIGURATION, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                          "does not start with '/'")
    assert "no-slash" not in line, "the relative URI is a capability: never shown"
    assert ecs.requests() == []


def test_credential_source_ecs_container_without_the_variables_says_so(sandbox):
    sandbox.write_config(e_profile("arn:aws:iam::123456789012:role/x"))
    result = sandbox.run("credential-process", "--profile", "e")
    assert_failure(result, "e", EXIT_CREDENTIALS, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                   "AWS_CONTAINER_CREDENTIALS_FULL_URI")


# -- exec --server as the endpoint ------------------------------------------------------------------------


def test_exec_server_is_the_container_endpoint_of_a_second_aws_elevate(sandbox, moto, unique):
    """`aws-elevate exec --server` serves role B to its command; a second aws-elevate inside it starts from that
    endpoint: role C through credential_source = EcsContainer, and role B itself for a profile with nothing."""
    chain = seed_chain(moto, unique)
    role_c = moto.create_role(f"{unique}-role-c", [chain.session_arn(1)])
    write_app_config(
        sandbox,
        hop_profiles(chain) + f"\n[profile inner]\nrole_arn = {role_c.arn}\ncredential_source = EcsContainer\n"
        "role_session_name = elevate-c\n\n[profile bare]\nregion = us-east-1\n",
        chain.user)
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_DEFAULT_REGION": "us-east-1"}
    for profile, expected in [("inner", moto_peer.session_arn(role_c.name, "elevate-c")),
                              ("bare", chain.session_arn(1))]:
        result = sandbox.run("exec", "--server", "--profile", "app-chain", "--",
                             str(sandbox.binary), "whoami", "--profile", profile, "--debug", env=env, timeout=120)
        assert result.returncode == 0, result
        assert result.out == expected + "\n", result
        assert "ecs: GET 'http://127.0.0.1:" in result.err, result
    document = sandbox.run("exec", "--server", "--profile", "app-chain", "--",
                           str(sandbox.binary), "credential-process", "--profile", "bare", env=env, timeout=120)
    parse_credential_document(document)
