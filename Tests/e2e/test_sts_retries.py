"""Retries against moto behind a fault-injecting loopback proxy (Tests/support/sts_fault_proxy.py): throttling and
5xx answers are retried with backoff until moto's real answer comes through; access errors are not retried; the
retry budget is bounded; the proxy settings of the environment are honoured for STS.
"""

import json
import time

from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, assert_failure, parse_credential_document
from sts_harness import aws_cli, fault_proxy, hop_profiles, seed_chain, write_app_config  # noqa: F401 (fixture)

THROTTLING = {"status": 400, "code": "Throttling", "message": "Rate exceeded"}


def through_proxy(moto, proxy) -> dict[str, str]:
    # STS calls (aws-elevate's, and the aws CLI's own) go through the proxy, which forwards what it does not fault.
    return {"AWS_ENDPOINT_URL": moto.url, "AWS_ENDPOINT_URL_STS": proxy.url}


def assume_role_answers(proxy) -> list[str]:
    return [entry["answer"] for entry in proxy.log() if entry["action"] == "AssumeRole"]


def test_throttling_is_retried_until_sts_answers(sandbox, moto, fault_proxy, unique):
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    fault_proxy.plan("AssumeRole", THROTTLING, THROTTLING)
    started = time.monotonic()
    result = sandbox.run("credential-process", "--profile", "app-chain", "--debug",
                         env=through_proxy(moto, fault_proxy))
    parse_credential_document(result)
    assert time.monotonic() - started < 30
    # Two throttled answers for hop 1, then moto's answers for hop 1 and hop 2.
    assert assume_role_answers(fault_proxy) == ["fault 400 Throttling"] * 2 + ["forwarded 200"] * 2
    assert "sts Throttling: Rate exceeded; retrying in" in result.err, result


def test_the_aws_cli_gets_role_b_although_sts_throttles(sandbox, moto, fault_proxy, unique):
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    # The CLI's AWS_RETRY_MODE reaches aws-elevate too: standard means 3 attempts, so two faults still pass.
    fault_proxy.plan("AssumeRole", THROTTLING, {"status": 400, "code": "RequestLimitExceeded"})
    env = {**through_proxy(moto, fault_proxy), "AWS_RETRY_MODE": "standard"}
    result = aws_cli(sandbox, env, "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.session_arn(1)
    assert assume_role_answers(fault_proxy).count("forwarded 200") == 2


def test_server_errors_are_retried_with_or_without_an_error_document(sandbox, moto, fault_proxy, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    fault_proxy.plan("AssumeRole", {"status": 503, "body": "text"}, {"status": 500, "code": "InternalFailure"})
    result = sandbox.run("credential-process", "--profile", "app-chain", env=through_proxy(moto, fault_proxy))
    parse_credential_document(result)
    assert assume_role_answers(fault_proxy) == ["fault 503 text", "fault 500 InternalFailure", "forwarded 200"]


def test_persistent_throttling_gives_up_after_four_attempts(sandbox, moto, fault_proxy, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    fault_proxy.plan("AssumeRole", *[THROTTLING] * 10)
    started = time.monotonic()
    result = sandbox.run("credential-process", "--profile", "app-chain", env=through_proxy(moto, fault_proxy))
    elapsed = time.monotonic() - started
    assert_failure(result, "app-chain", EXIT_CREDENTIALS,
                   f"hop 1 ({chain.roles[0].arn}): sts Throttling: Rate exceeded (after 4 attempts)", "try again")
    assert assume_role_answers(fault_proxy) == ["fault 400 Throttling"] * 4
    assert elapsed < 30, f"retries took {elapsed:.1f} s"


def test_max_attempts_and_retry_mode_set_the_attempts_as_in_botocore(sandbox, moto, fault_proxy, unique):
    chain = seed_chain(moto, unique, hops=1)
    for extra, env, attempts in (("", {"AWS_MAX_ATTEMPTS": "1"}, 1), ("max_attempts = 2", {}, 2),
                                 ("retry_mode = standard", {}, 3),
                                 ("max_attempts = 2", {"AWS_MAX_ATTEMPTS": "5"}, 5)):
        write_app_config(sandbox, hop_profiles(chain, extra={0: extra}), chain.user)
        fault_proxy.request("POST", "/_fault/reset")
        fault_proxy.plan("AssumeRole", *[THROTTLING] * 10)
        result = sandbox.run("credential-process", "--profile", "app-chain", env={**through_proxy(moto, fault_proxy), **env})
        line = assert_failure(result, "app-chain", EXIT_CREDENTIALS, "sts Throttling: Rate exceeded")
        assert (f"(after {attempts} attempts)" in line) == (attempts > 1), line
        assert assume_role_answers(fault_proxy) == ["fault 400 Throttling"] * attempts, (extra, env)


def test_an_invalid_max_attempts_is_a_configuration_error_quoting_it(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain, extra={0: "max_attempts = many"}), chain.user)
    result = sandbox.run("credential-process", "--profile", "app-chain", env={"AWS_ENDPOINT_URL": moto.url})
    assert_failure(result, "app-chain", EXIT_CONFIGURATION, "'many'", "max_attempts")


def test_access_denied_is_never_retried(sandbox, moto, fault_proxy, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    for code in ("AccessDenied", "ExpiredToken", "InvalidClientTokenId", "SignatureDoesNotMatch"):
        fault_proxy.request("POST", "/_fault/reset")
        fault_proxy.plan("AssumeRole", {"status": 403, "code": code, "message": "no"})
        result = sandbox.run("credential-process", "--profile", "app-chain", env=through_proxy(moto, fault_proxy))
        assert_failure(result, "app-chain", EXIT_CREDENTIALS, f"sts {code}: no")
        assert assume_role_answers(fault_proxy) == [f"fault 403 {code}"], code


def test_the_http_proxy_of_the_environment_is_used_for_sts_and_no_proxy_bypasses_it(
        sandbox, moto, fault_proxy, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    proxied = sandbox.run("credential-process", "--profile", "app-chain",
                          env={"AWS_ENDPOINT_URL": moto.url, "http_proxy": fault_proxy.url})
    parse_credential_document(proxied)
    assert [(e["action"], e["mode"], e["answer"]) for e in fault_proxy.log()] == [
        ("AssumeRole", "proxy", "forwarded 200")]

    fault_proxy.request("POST", "/_fault/reset")
    bypassed = sandbox.run("credential-process", "--profile", "app-chain",
                           env={"AWS_ENDPOINT_URL": moto.url, "http_proxy": fault_proxy.url, "NO_PROXY": "127.0.0.1"})
    parse_credential_document(bypassed)
    assert fault_proxy.log() == []
