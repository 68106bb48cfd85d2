"""credential_source = Ec2InstanceMetadata: the built binary against the loopback IMDS emulator.

Every run points aws-elevate at the emulator on 127.0.0.1; nothing here can reach a link-local metadata address.
"""

from __future__ import annotations

import time

import pytest

import imds_harness as imds
from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, assert_failure, parse_credential_document

TOKEN_PATH = "/latest/api/token"
ROLES_PATH = "/latest/meta-data/iam/security-credentials/"
INSTANCE_PROFILE = "[profile inst]\ncredential_source = Ec2InstanceMetadata\n"


@pytest.fixture
def inst(sandbox):
    """A sandbox whose config holds [profile inst] with credential_source = Ec2InstanceMetadata."""
    sandbox.write_config(INSTANCE_PROFILE)
    return sandbox


def credential_process(sandbox, emulator, *extra_args: str, **environment: str):
    return sandbox.run("credential-process", "--profile", "inst", *extra_args,
                       env=emulator.environment(**environment))


def assert_no_secret(text: str, emulator) -> None:
    for secret in [imds.SECRET_ACCESS_KEY, imds.SESSION_TOKEN, *emulator.tokens()]:
        assert secret not in text, f"a secret is shown: {text!r}"


def test_the_instance_role_as_a_credential_process_document(inst, emulator):
    document = parse_credential_document(credential_process(inst, emulator))
    assert document == {
        "Version": 1,
        "AccessKeyId": imds.ACCESS_KEY_ID,
        "SecretAccessKey": imds.SECRET_ACCESS_KEY,
        "SessionToken": imds.SESSION_TOKEN,
        "Expiration": imds.EXPIRATION,
    }
    requests = emulator.requests()
    assert [method for method, *_ in requests] == ["PUT", "GET", "GET", "GET", "GET"]
    assert requests[0][1] == TOKEN_PATH
    assert all(had_token for _, _, had_token, _ in requests[1:]), "IMDSv2: every GET carries the token"


def test_debug_explains_the_steps_without_secrets(inst, emulator):
    result = credential_process(inst, emulator, "--debug")
    parse_credential_document(result)
    stderr = result.err
    assert emulator.endpoint in stderr
    assert "IMDSv2 token obtained" in stderr
    assert f"role '{imds.ROLE}'" in stderr
    assert "****" + imds.ACCESS_KEY_ID[-4:] in stderr
    assert imds.ACCESS_KEY_ID not in stderr
    assert_no_secret(stderr, emulator)


def test_an_imdsv1_only_instance_fails_without_the_opt_in(inst, emulator):
    emulator.mode("v1-only")
    result = credential_process(inst, emulator)
    line = assert_failure(result, "inst", EXIT_CREDENTIALS, "IMDSv2", "status 404", emulator.endpoint,
                          "AWS_ELEVATE_IMDS_V1=allow", "elevate_imds_v1 = allow")
    assert_no_secret(line, emulator)
    assert [method for method, *_ in emulator.requests()] == ["PUT"], "nothing is sent without a token"


@pytest.mark.parametrize("how", ["environment", "profile"])
def test_imdsv1_is_used_only_after_the_opt_in(sandbox, emulator, how):
    emulator.mode("v1-only")
    environment = {}
    if how == "environment":
        sandbox.write_config(INSTANCE_PROFILE)
        environment["AWS_ELEVATE_IMDS_V1"] = "allow"
    else:
        sandbox.write_config(INSTANCE_PROFILE + "elevate_imds_v1 = allow\n")
    document = parse_credential_document(credential_process(sandbox, emulator, **environment))
    assert document["AccessKeyId"] == imds.ACCESS_KEY_ID
    assert not any(had_token for _, _, had_token, _ in emulator.requests())


def test_v1_disabled_beats_the_opt_in(inst, emulator):
    emulator.mode("v1-only")
    result = credential_process(inst, emulator, AWS_ELEVATE_IMDS_V1="allow", AWS_EC2_METADATA_V1_DISABLED="true")
    assert_failure(result, "inst", EXIT_CREDENTIALS, "IMDSv2", "AWS_EC2_METADATA_V1_DISABLED")
    assert [method for method, *_ in emulator.requests()] == ["PUT"]


@pytest.mark.parametrize("mode, words", [
    ("no-role", ["no IAM role"]),
    ("code-fail", ["'AssumeRoleUnauthorizedAccess'", f"'{imds.ROLE}'"]),
    ("missing-field", ["'SecretAccessKey'"]),
    ("bad-json", ["not a JSON object"]),
    ("token-403", ["IMDSv2", "status 403"]),
    ("error-500", ["IMDSv2", "status 500"]),
])
def test_a_fault_is_one_line_on_stderr_and_nothing_on_stdout(inst, emulator, mode, words):
    emulator.mode(mode)
    result = credential_process(inst, emulator)
    line = assert_failure(result, "inst", EXIT_CREDENTIALS, emulator.endpoint, *words)
    assert_no_secret(line, emulator)


def test_an_expired_token_is_replaced_once(inst, emulator):
    emulator.mode("expire-tokens", count=1)
    document = parse_credential_document(credential_process(inst, emulator))
    assert document["SecretAccessKey"] == imds.SECRET_ACCESS_KEY
    methods = [method for method, *_ in emulator.requests()]
    assert methods.count("PUT") == 2, emulator.requests()


def test_a_silent_service_times_out_quickly(inst, emulator):
    emulator.mode("slow", delay=30)
    started = time.monotonic()
    result = credential_process(inst, emulator, AWS_METADATA_SERVICE_TIMEOUT="0.5")
    elapsed = time.monotonic() - started
    assert_failure(result, "inst", EXIT_CREDENTIALS, "IMDSv2", "no answer within 0.5 s")
    assert elapsed < 10, f"took {elapsed:.1f} s with a 0.5 s timeout"


def test_attempts_are_honoured(inst, emulator):
    emulator.mode("error-500")
    result = credential_process(inst, emulator, AWS_METADATA_SERVICE_NUM_ATTEMPTS="3")
    assert_failure(result, "inst", EXIT_CREDENTIALS, "status 500")
    assert [method for method, *_ in emulator.requests()] == ["PUT", "PUT", "PUT"]


def test_disabled_imds_is_a_configuration_error(inst, emulator):
    result = inst.run("credential-process", "--profile", "inst",
                      env=emulator.environment(AWS_EC2_METADATA_DISABLED="true"))
    assert_failure(result, "inst", EXIT_CONFIGURATION, "AWS_EC2_METADATA_DISABLED")
    assert emulator.requests() == []


@pytest.mark.parametrize("name, value", [
    ("AWS_METADATA_SERVICE_TIMEOUT", "soon"),
    ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "0"),
    ("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv5"),
    ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ftp://127.0.0.1"),
    ("AWS_ELEVATE_IMDS_V1", "sometimes"),
])
def test_a_bad_setting_is_a_configuration_error_quoting_it(inst, emulator, name, value):
    result = credential_process(inst, emulator, **{name: value})
    assert_failure(result, "inst", EXIT_CONFIGURATION, name, f"'{value}'")
    assert emulator.requests() == []


def test_the_plugins_command_lists_imds(sandbox):
    result = sandbox.run("plugins")
    assert result.returncode == 0, result
    assert any(line.split()[:1] == ["imds"] for line in result.out.splitlines()), result
