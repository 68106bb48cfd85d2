"""Static stability: a cached session due for refresh whose refresh fails, with the real peers stopped or faulted and
the clock moved on by `faketime` (libfaketime, LD_PRELOADed into the binary; only aws-elevate's clock moves).

A failure that is not a denial (IMDS down, STS throttling or 5xx) serves the cached session while it is still valid,
with one warning line, and stores nothing, so the next call tries again. A denial, or an expired session, fails.
"""

from __future__ import annotations

import re
import shutil
import time
from datetime import datetime, timedelta, timezone

import pytest

import imds_harness as imds
from cache_harness import only_entry
from harness import EXIT_CREDENTIALS, assert_failure, parse_credential_document
from sts_harness import fault_proxy, hop_profiles, seed_chain, write_app_config  # noqa: F401 (fixture)

WARNING = re.compile(r"^aws-elevate: warning: profile '(?P<profile>[^']+)': (?P<failure>.+) \u2014 serving the cached "
                     r"session, (?P<minutes>\d+) minutes left; the next call tries again$")


@pytest.fixture(scope="session")
def faketime() -> str:
    path = shutil.which("faketime")
    if path is None:
        pytest.fail("faketime is not installed: run `make deps`", pytrace=False)
    return path


def at(sandbox, faketime: str, minutes: int, *args: str, env: dict[str, str]):
    """aws-elevate run with its wall clock `minutes` ahead of the real one.

    Only the wall clock moves (what the cache compares expirations with). libdispatch arms its timers (Task.sleep,
    the STS retry back-off) as absolute kernel deadlines computed from the moved clocks, which the kernel then counts
    on its own unmoved ones: with the monotonic clocks moved every back-off waited the whole offset, and a few runs
    hung even with them left alone. So the STS runs here make one attempt each (AWS_MAX_ATTEMPTS=1): no back-off.
    """
    return sandbox.run(f"+{minutes} minutes", str(sandbox.binary), *args, program=faketime,
                       env={**env, "FAKETIME_DONT_FAKE_MONOTONIC": "1"}, timeout=60)


def served_with_warning(result, cached: dict, profile: str) -> re.Match:
    """The run served `cached` with exactly one warning line, which it returns."""
    assert parse_credential_document(result) == cached, result
    lines = result.err.splitlines()
    assert len(lines) == 1, result
    warning = WARNING.match(lines[0])
    assert warning and warning["profile"] == profile, result
    for secret in (cached["SecretAccessKey"], cached["SessionToken"]):
        assert secret not in result.err
    return warning


# -- IMDS --------------------------------------------------------------------------------------------------------


@pytest.fixture
def instance_session(sandbox, emulator):
    """[profile inst] (the instance role), its session, which expires 59 minutes from now, cached in a file."""
    sandbox.write_config("[profile inst]\ncredential_source = Ec2InstanceMetadata\n")
    expiration = (datetime.now(timezone.utc) + timedelta(minutes=59)).strftime("%Y-%m-%dT%H:%M:%SZ")
    emulator._control("POST", "/_emulator/credentials", {
        "role": imds.ROLE, "AccessKeyId": imds.ACCESS_KEY_ID, "SecretAccessKey": imds.SECRET_ACCESS_KEY,
        "Token": imds.SESSION_TOKEN, "Expiration": expiration,
    })
    env = emulator.environment(AWS_ELEVATE_CACHE="file")
    cached = parse_credential_document(sandbox.run("credential-process", "--profile", "inst", env=env))
    assert cached["Expiration"] == expiration
    return cached, env


def test_faketime_moves_the_binarys_clock(sandbox, faketime, instance_session):
    """The premise of this file: under faketime, the 59-minute session is seen with 9 minutes left (debug line)."""
    _, env = instance_session
    now = sandbox.run("credential-process", "--profile", "inst", "--debug", env=env)
    assert re.search(r"cache: hit \(file\): .*, 5[89]m left", now.err), now
    later = at(sandbox, faketime, 50, "credential-process", "--profile", "inst", "--debug", env=env)
    assert re.search(r"cache: refresh \(file\): [89]m left, refresh margin 15m", later.err), later


def test_with_imds_down_a_session_due_for_refresh_is_served_with_one_warning(sandbox, faketime, emulator,
                                                                              instance_session):
    """Regression: with IMDS unreachable and the clock 50 minutes on, the cached session (9 minutes left, inside the
    refresh margin) was not served: the run failed with exit 1."""
    cached, env = instance_session
    entry = only_entry(sandbox)
    stored = entry.read_bytes()
    emulator.stop()
    for _ in range(2):  # nothing is stored, so the next call tries again (and warns again)
        result = at(sandbox, faketime, 50, "credential-process", "--profile", "inst", env=env)
        warning = served_with_warning(result, cached, "inst")
        assert warning["minutes"] in ("8", "9"), result
        assert warning["failure"].startswith(f"the IMDSv2 token request to '{emulator.endpoint}' failed: "), result
        assert entry.read_bytes() == stored, "nothing was stored"
    # The other commands serve it too.
    env_text = at(sandbox, faketime, 50, "env", "--profile", "inst", env=env)
    assert env_text.returncode == 0 and imds.ACCESS_KEY_ID in env_text.out, env_text


def test_an_expired_session_is_never_served_when_the_refresh_fails(sandbox, faketime, emulator, instance_session):
    _, env = instance_session
    emulator.stop()
    result = at(sandbox, faketime, 60, "credential-process", "--profile", "inst", env=env)
    assert_failure(result, "inst", EXIT_CREDENTIALS, "the IMDSv2 token request", "failed")
    assert "warning" not in result.err


@pytest.mark.parametrize("mode, words", [("no-role", "no IAM role is attached"),
                                         ("code-fail", "AssumeRoleUnauthorizedAccess")])
def test_an_instance_that_refuses_its_role_fails_the_refresh(sandbox, faketime, emulator, instance_session, mode,
                                                            words):
    _, env = instance_session
    emulator.mode(mode)
    result = at(sandbox, faketime, 50, "credential-process", "--profile", "inst", env=env)
    assert_failure(result, "inst", EXIT_CREDENTIALS, words)


# -- STS ---------------------------------------------------------------------------------------------------------


THROTTLING = {"status": 400, "code": "Throttling", "message": "Rate exceeded"}


@pytest.fixture
def chain_session(sandbox, moto, fault_proxy, unique):
    """app-chain (two hops) through the fault proxy; its session cached in a file."""
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_ENDPOINT_URL_STS": fault_proxy.url, "AWS_ELEVATE_CACHE": "file",
           "AWS_MAX_ATTEMPTS": "1"}
    cached = parse_credential_document(sandbox.run("credential-process", "--profile", "app-chain", env=env))
    fault_proxy.request("POST", "/_fault/reset")
    return chain, cached, env


@pytest.mark.parametrize("fault, words", [
    (THROTTLING, "sts Throttling: Rate exceeded"),
    ({"status": 503, "body": "text"}, "with HTTP 503"),
    ({"status": 500, "code": "InternalFailure", "message": "We encountered an internal error"},
     "sts InternalFailure: We encountered an internal error"),
])
def test_with_sts_throttling_or_failing_a_session_due_for_refresh_is_served(sandbox, faketime, moto, fault_proxy,
                                                                            chain_session, fault, words):
    chain, cached, env = chain_session
    entry = only_entry(sandbox)
    stored = entry.read_bytes()
    fault_proxy.plan("AssumeRole", fault)
    started = time.monotonic()
    result = at(sandbox, faketime, 50, "credential-process", "--profile", "app-chain", env=env)
    assert time.monotonic() - started < 30
    warning = served_with_warning(result, cached, "app-chain")
    assert warning["failure"].startswith(f"hop 1 ({chain.roles[0].arn}): ") and words in warning["failure"], result
    assert warning["minutes"] in ("9", "10"), result
    assert entry.read_bytes() == stored, "nothing was stored"
    # STS answers again: the next call refreshes.
    assert [e["answer"] for e in fault_proxy.log() if e["action"] == "AssumeRole"] == [fault_answer(fault)]
    retried = at(sandbox, faketime, 50, "credential-process", "--profile", "app-chain", env=env)
    assert parse_credential_document(retried)["AccessKeyId"] != cached["AccessKeyId"], retried
    assert "warning" not in retried.err, retried


def fault_answer(fault: dict) -> str:
    return f"fault {fault['status']} {fault.get('code', 'text')}"


@pytest.mark.parametrize("hop, fault", [
    (1, {"status": 403, "code": "AccessDenied", "message": "User is not authorized to perform: sts:AssumeRole"}),
    (2, {"status": 403, "code": "AccessDenied", "message": "User is not authorized to perform: sts:AssumeRole"}),
    (1, {"status": 400, "code": "ExpiredToken", "message": "The security token included in the request is expired"}),
    (1, {"status": 403, "code": "InvalidClientTokenId", "message": "The security token is invalid"}),
])
def test_a_denied_refresh_fails_although_a_valid_session_is_cached(sandbox, faketime, moto, fault_proxy,
                                                                   chain_session, hop, fault):
    chain, _, env = chain_session
    # Hop 1 goes through (to moto) when the fault is for hop 2.
    fault_proxy.plan("AssumeRole", *[{"forward": True}] * (hop - 1), fault)
    result = at(sandbox, faketime, 50, "credential-process", "--profile", "app-chain", env=env)
    assert_failure(result, "app-chain", EXIT_CREDENTIALS,
                   f"hop {hop} ({chain.roles[hop - 1].arn}): sts {fault['code']}: {fault['message']}")


def test_an_expired_chain_session_is_never_served(sandbox, faketime, moto, fault_proxy, chain_session):
    _, _, env = chain_session
    fault_proxy.plan("AssumeRole", THROTTLING)
    result = at(sandbox, faketime, 61, "credential-process", "--profile", "app-chain", env=env)
    assert_failure(result, "app-chain", EXIT_CREDENTIALS, "sts Throttling")
