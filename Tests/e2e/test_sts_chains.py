"""Role chains against moto as a verifying STS: user keys → role A → role B (and a third hop), consumed by the real
aws CLI and boto3 through credential_process; trust-policy, external-id and signature failures; whoami; MFA codes.

moto matches trust principals literally, so every role trusts the exact session ARN of the hop before it, and every
hop sets role_session_name.
"""

import json
import time
from datetime import datetime, timezone

from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, assert_failure, parse_credential_document
from sts_harness import (
    aws_cli,
    boto3_caller_identity,
    create_role_with_trust,
    hop_profiles,
    run_without_terminal,
    seed_chain,
    write_app_config,
)


def moto_env(moto) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": moto.url}


def seconds_left(document: dict) -> float:
    expiration = datetime.strptime(document["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return (expiration - datetime.now(timezone.utc)).total_seconds()


def test_aws_cli_gets_role_b_through_user_then_role_a(sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    result = aws_cli(sandbox, moto_env(moto), "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.session_arn(1)


def test_boto3_gets_role_b_through_user_then_role_a(sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    result = boto3_caller_identity(sandbox, moto_env(moto))
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.session_arn(1)


def test_a_services_section_sets_the_sts_endpoint_for_us_and_for_the_aws_cli(sandbox, moto, unique):
    """No endpoint variable at all: every profile names `[services local]`, whose `sts` endpoint_url is moto."""
    chain = seed_chain(moto, unique)
    services = f"\n[services local]\nsts =\n  endpoint_url = {moto.url}\n"
    sections = hop_profiles(chain, extra={0: "services = local", 1: "services = local"})
    write_app_config(sandbox, sections + services, chain.user)
    sandbox.write_config(sandbox.config.read_text().replace("region = us-east-1\n", "region = us-east-1\nservices = local\n", 1))
    result = aws_cli(sandbox, {}, "sts", "get-caller-identity", "--profile", "app", "--output", "json",
                     drop=("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"))
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.session_arn(1)
    debug = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env={"AWS_ELEVATE_CACHE": "none"},
                        drop=("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"))
    parse_credential_document(debug)
    assert "endpoint_url of sts in [services local]" in debug.err, debug


def test_a_services_key_naming_no_section_is_a_configuration_error(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain, extra={0: "services = nowhere"}), chain.user)
    result = sandbox.run("credential-process", "--profile", "app-chain", drop=("AWS_ENDPOINT_URL",))
    assert_failure(result, "app-chain", EXIT_CONFIGURATION)
    assert "'nowhere'" in result.err and "[services NAME] section" in result.err, result


def test_three_hops_reach_the_third_role(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=3)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    document = parse_credential_document(sandbox.run("credential-process", "--profile", "app-chain",
                                                     env=moto_env(moto)))
    assert document["AccessKeyId"] and document["SessionToken"]
    assert seconds_left(document) > 15 * 60, "SDKs refresh sessions with under 15 minutes left on every call"
    result = aws_cli(sandbox, moto_env(moto), "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.session_arn(2)


def test_a_chained_hop_asks_for_one_hour_at_most(sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain, extra={1: "duration_seconds = 43200"}), chain.user)
    result = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env=moto_env(moto))
    document = parse_credential_document(result)
    # moto grants what is asked for: a 12-hour request would expire 12 hours from now.
    assert 3000 < seconds_left(document) <= 3600 + 60, document["Expiration"]
    assert "duration_seconds 43200 capped to 3600" in result.err, result


def test_the_first_hop_from_user_keys_keeps_a_long_duration(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain, extra={0: "duration_seconds = 7200"}), chain.user)
    document = parse_credential_document(sandbox.run("credential-process", "--profile", "app-chain",
                                                     env=moto_env(moto)))
    assert 7000 < seconds_left(document) <= 7200 + 60, document["Expiration"]


def test_debug_output_names_the_hops_and_never_a_secret(sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    result = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env=moto_env(moto))
    document = parse_credential_document(result)
    assert f"assume role {chain.roles[1].arn}, session elevate-b" in result.err, result
    assert "AssumeRole at http://127.0.0.1:" in result.err and "(AWS_ENDPOINT_URL)" in result.err, result
    for secret in (chain.user.secret_access_key, document["SecretAccessKey"], document["SessionToken"]):
        assert secret not in result.err


def test_the_right_external_id_passes_and_a_wrong_one_is_refused(sandbox, moto, unique):
    user = moto.create_user(f"{unique}-user")
    role = create_role_with_trust(moto, f"{unique}-partner", {
        "Effect": "Allow", "Principal": {"AWS": [user.arn]}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "partner-7f3a"}}})
    chain_section = (f"[profile app-chain]\nrole_arn = {role.arn}\nsource_profile = base\n"
                     "role_session_name = partner\nexternal_id = {}\n")
    write_app_config(sandbox, chain_section.format("partner-7f3a"), user)
    result = aws_cli(sandbox, moto_env(moto), "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{role.name}/partner"

    write_app_config(sandbox, chain_section.format("wrong-id"), user)
    result = sandbox.run("credential-process", "--profile", "app-chain", env=moto_env(moto))
    assert_failure(result, "app-chain", EXIT_CREDENTIALS, f"hop 1 ({role.arn}): sts AccessDenied: ", user.arn)


def test_a_trust_policy_that_does_not_admit_the_caller_is_one_clear_line(sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    outsider = moto.create_role(f"{unique}-outsider", [f"arn:aws:iam::123456789012:user/{unique}-someone-else"])
    sections = hop_profiles(chain).replace(chain.roles[1].arn, outsider.arn)
    write_app_config(sandbox, sections, chain.user)
    started = time.monotonic()
    result = sandbox.run("credential-process", "--profile", "app-chain", env=moto_env(moto))
    line = assert_failure(result, "app-chain", EXIT_CREDENTIALS,
                          f"hop 2 ({outsider.arn}): sts AccessDenied: ", chain.session_arn(0), "trust policy")
    assert "attempts" not in line, "AccessDenied must not be retried"
    assert time.monotonic() - started < 20

    cli = aws_cli(sandbox, moto_env(moto), "sts", "get-caller-identity", "--profile", "app")
    assert cli.returncode == 255, cli
    assert line in cli.err, cli


def test_a_wrong_secret_shows_signature_does_not_match(sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain))
    wrong = chain.user.secret_access_key[:-1] + ("X" if chain.user.secret_access_key[-1] != "X" else "Y")
    sandbox.write_credentials(
        f"[base]\naws_access_key_id = {chain.user.access_key_id}\naws_secret_access_key = {wrong}\n")
    result = sandbox.run("credential-process", "--profile", "app-chain", env=moto_env(moto))
    line = assert_failure(result, "app-chain", EXIT_CREDENTIALS,
                          f"hop 1 ({chain.roles[0].arn}): sts SignatureDoesNotMatch: ")
    assert wrong not in line and chain.user.secret_access_key not in line


def test_an_unknown_access_key_shows_invalid_client_token_id(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain))
    sandbox.write_credentials("[base]\naws_access_key_id = AKIAUNKNOWN000000000\naws_secret_access_key = nope\n")
    result = sandbox.run("credential-process", "--profile", "app-chain", env=moto_env(moto))
    assert_failure(result, "app-chain", EXIT_CREDENTIALS, "hop 1 (", "sts InvalidClientTokenId: ")


def test_whoami_prints_the_arn_of_the_chain(sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    result = sandbox.run("whoami", "--profile", "app-chain", env=moto_env(moto))
    assert result.returncode == 0, result
    assert result.stdout == f"{chain.session_arn(1)}\n".encode(), result

    by_variable = sandbox.run("whoami", env={**moto_env(moto), "AWS_PROFILE": "base"})
    assert by_variable.returncode == 0, by_variable
    assert by_variable.stdout == f"{chain.user.arn}\n".encode(), by_variable


def test_whoami_reports_a_rejected_signature(sandbox, moto, unique):
    user = moto.create_user(unique)
    sandbox.write_credentials(
        f"[base]\naws_access_key_id = {user.access_key_id}\naws_secret_access_key = {user.secret_access_key}x\n")
    result = sandbox.run("whoami", "--profile", "base", env=moto_env(moto))
    assert_failure(result, "base", EXIT_CREDENTIALS, "sts SignatureDoesNotMatch: ")


def test_an_mfa_hop_without_code_or_terminal_fails_at_once_naming_token_code(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    mfa = f"mfa_serial = arn:aws:iam::123456789012:mfa/{unique}"
    write_app_config(sandbox, hop_profiles(chain, extra={0: mfa}), chain.user)
    started = time.monotonic()
    result = run_without_terminal(sandbox, "credential-process", "--profile", "app-chain", env=moto_env(moto))
    assert_failure(result, "app-chain", EXIT_CREDENTIALS, "hop 1", "no terminal", "--token-code")
    assert time.monotonic() - started < 20


def test_an_mfa_hop_takes_the_code_from_token_code(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    mfa = f"mfa_serial = arn:aws:iam::123456789012:mfa/{unique}"
    write_app_config(sandbox, hop_profiles(chain, extra={0: mfa}), chain.user)
    result = run_without_terminal(sandbox, "credential-process", "--profile", "app-chain", "--token-code", "864209",
                                  "--debug", env=moto_env(moto))
    parse_credential_document(result)
    assert f"mfa arn:aws:iam::123456789012:mfa/{unique}" in result.err, result
    assert "864209" not in result.err, "the MFA code is never logged"

    env_result = run_without_terminal(sandbox, "env", "--profile", "app-chain", "--token-code", "654321",
                                      env=moto_env(moto))
    assert env_result.returncode == 0, env_result

    bad = run_without_terminal(sandbox, "credential-process", "--profile", "app-chain", "--token-code", "12ab56",
                               env=moto_env(moto))
    line = assert_failure(bad, "app-chain", EXIT_CONFIGURATION, "--token-code", "six digits")
    assert "12ab56" not in line


def test_invalid_role_settings_are_configuration_errors_quoting_the_value(sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    cases = {
        "duration_seconds = 99": "invalid value '99' for duration_seconds",
        "session_tags = Team": "invalid value 'Team' for session_tags",
        "external_id = x": "invalid value 'x' for external_id",
    }
    for setting, words in cases.items():
        write_app_config(sandbox, hop_profiles(chain, extra={1: setting}), chain.user)
        result = sandbox.run("credential-process", "--profile", "app-chain", env=moto_env(moto))
        assert_failure(result, "app-chain", EXIT_CONFIGURATION, "hop 2 (profile 'app-chain')", words)

    for session_name in ("has space", "x", "n" * 65):
        sections = hop_profiles(chain).replace("role_session_name = elevate-b", f"role_session_name = {session_name}")
        write_app_config(sandbox, sections, chain.user)
        result = sandbox.run("credential-process", "--profile", "app-chain", env=moto_env(moto))
        assert_failure(result, "app-chain", EXIT_CONFIGURATION, "hop 2 (profile 'app-chain')",
                       f"invalid value '{session_name}' for role_session_name")

    write_app_config(sandbox, hop_profiles(chain).replace(chain.roles[1].arn, "arn:aws:iam::12345:role/x"),
                     chain.user)
    result = sandbox.run("credential-process", "--profile", "app-chain", env=moto_env(moto))
    assert_failure(result, "app-chain", EXIT_CONFIGURATION, "invalid value 'arn:aws:iam::12345:role/x' for role_arn")


def test_session_tags_and_source_identity_are_accepted_by_sts(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    extra = "session_tags = Team=infra, Env=prod\ntransitive_session_tags = Team\nsource_identity = alice"
    write_app_config(sandbox, hop_profiles(chain, extra={0: extra}), chain.user)
    result = sandbox.run("whoami", "--profile", "app-chain", env=moto_env(moto))
    assert result.returncode == 0, result
    assert result.stdout == f"{chain.session_arn(0)}\n".encode()
