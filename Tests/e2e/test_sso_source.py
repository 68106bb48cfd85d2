"""The `sso` source (IAM Identity Center) end to end: the built binary against the loopback portal and SSO-OIDC
emulator (Tests/support/sso_emulator.py) handing out a real moto permission-set session, with the AWS CLI's token
cache files in the sandbox HOME. botocore, pointed at the same emulator, is the oracle: the same config and token
cache give the same credentials, the same errors, and the same refreshed token file.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, assert_failure, moto_peer, parse_credential_document, venv_bin
from sso_harness import (ACCOUNT, CLIENT_SECRET, LEGACY_PROFILE, LEGACY_URL, REFRESH_TOKEN, ROLE_NAME, SESSION,
                         SESSION_PROFILE, START_URL, sso, token_path, write_token)  # noqa: F401 (fixture)
from sts_harness import aws_cli

PYTHON = str(venv_bin("python"))

# botocore's own SSO provider: the credentials, their expiry, or the error it raises.
BOTOCORE = """
import json, sys, boto3
try:
    credentials = boto3.Session(profile_name=sys.argv[1]).get_credentials()
    frozen = credentials.get_frozen_credentials()
    print(json.dumps({"method": credentials.method, "keys": [frozen.access_key, frozen.secret_key, frozen.token],
                      "expiry": credentials._expiry_time.strftime("%Y-%m-%dT%H:%M:%SZ")}))
except Exception as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error)}))
"""


def botocore(sandbox, profile: str, env: dict[str, str]) -> dict:
    result = sandbox.run("-c", BOTOCORE, profile, program=PYTHON, env=env, timeout=120)
    assert result.returncode == 0, result
    return json.loads(result.stdout)


def seed_permission_set(moto, sso, unique: str) -> dict:
    """A user who assumes the permission set's role as session `sso-perm`; the emulator serves that session."""
    user = moto.create_user(f"{unique}-idc")
    role = moto.create_role(f"{unique}-perm", [user.arn])
    keys = {"AccessKeyId": user.access_key_id, "SecretAccessKey": user.secret_access_key}
    session = moto.assume_role(keys, role.arn, "sso-perm")["Credentials"]
    served = sso.role(session)
    return {"role": role, "session": session, "served": served}


def expected_document(served: dict) -> dict:
    import datetime

    expiry = datetime.datetime.fromtimestamp(served["expiration"] / 1000.0, datetime.timezone.utc)
    return {"Version": 1, "AccessKeyId": served["accessKeyId"], "SecretAccessKey": served["secretAccessKey"],
            "SessionToken": served["sessionToken"], "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_sso_session_profile_gives_the_credentials_botocore_gives(sandbox, moto, sso, unique):
    seeded = seed_permission_set(moto, sso, unique)
    sso.token("access-valid")
    sandbox.write_config(SESSION_PROFILE)
    write_token(sandbox.home, SESSION, "access-valid", 3600)
    env = sso.environment(AWS_ELEVATE_CACHE="none")
    document = parse_credential_document(sandbox.run("credential-process", "--profile", "dev", env=env))
    assert document == expected_document(seeded["served"])
    assert sso.requests() == [["GET", "/federation/credentials", "access-valid", 200]]
    oracle = botocore(sandbox, "dev", env)
    assert oracle["method"] == "sso"
    assert oracle["keys"] == [document["AccessKeyId"], document["SecretAccessKey"], document["SessionToken"]]
    assert oracle["expiry"] == document["Expiration"]


def test_legacy_profile_gives_the_credentials_botocore_gives(sandbox, moto, sso, unique):
    seeded = seed_permission_set(moto, sso, unique)
    sso.token("access-legacy")
    sandbox.write_config(LEGACY_PROFILE)
    write_token(sandbox.home, LEGACY_URL, "access-legacy", 3600, start_url=LEGACY_URL, region="us-east-1")
    env = sso.environment(AWS_ELEVATE_CACHE="none")
    document = parse_credential_document(sandbox.run("credential-process", "--profile", "old", env=env))
    assert document == expected_document(seeded["served"])
    oracle = botocore(sandbox, "old", env)
    assert oracle["keys"] == [document["AccessKeyId"], document["SecretAccessKey"], document["SessionToken"]]


def test_a_near_expiry_token_is_refreshed_and_written_back_as_botocore_writes_it(sandbox, tmp_path, moto, sso, unique):
    seeded = seed_permission_set(moto, sso, unique)
    sso.client()
    sandbox.write_config(SESSION_PROFILE)
    ours = write_token(sandbox.home, SESSION, "access-old", 300)
    original = ours.read_bytes()
    env = sso.environment(AWS_ELEVATE_CACHE="none")
    document = parse_credential_document(sandbox.run("credential-process", "--profile", "dev", env=env))
    assert document == expected_document(seeded["served"])
    assert [row[:3] for row in sso.requests()] == [
        ["POST", "/token", None], ["GET", "/federation/credentials", "access-from-" + REFRESH_TOKEN]]
    assert stat.S_IMODE(os.stat(ours).st_mode) == 0o600
    assert sorted(os.listdir(ours.parent)) == [ours.name], "no temporary file is left"

    # botocore refreshes the same token file in a second HOME: the files must be byte for byte the same, but for
    # the expiry time, which each computes from its own clock.
    theirs_home = tmp_path / "botocore-home"
    theirs = token_path(theirs_home, SESSION)
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(original)
    oracle = botocore(sandbox, "dev", {**env, "HOME": str(theirs_home)})
    assert oracle["keys"] == [document["AccessKeyId"], document["SecretAccessKey"], document["SessionToken"]]
    ours_text, theirs_text = ours.read_text(), theirs.read_text()
    assert list(json.loads(ours_text)) == list(json.loads(theirs_text)) == [
        "startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret", "registrationExpiresAt",
        "refreshToken"]
    ours_doc, theirs_doc = json.loads(ours_text), json.loads(theirs_text)
    assert abs(_epoch(ours_doc.pop("expiresAt")) - _epoch(theirs_doc.pop("expiresAt"))) <= 120
    assert ours_doc == theirs_doc
    assert ours_doc["accessToken"] == "access-from-" + REFRESH_TOKEN
    assert ours_doc["refreshToken"] == REFRESH_TOKEN + ".next"
    assert ours_text == json.dumps(json.loads(ours_text)), "written as Python's json.dumps writes it"
    assert CLIENT_SECRET not in sandbox.run("credential-process", "--profile", "dev", "--debug", env=env).err


def _epoch(text: str) -> float:
    import datetime

    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def test_a_token_with_more_than_15_minutes_left_is_not_refreshed(sandbox, moto, sso, unique):
    seed_permission_set(moto, sso, unique)
    sso.client()
    sso.token("access-fresh")
    sandbox.write_config(SESSION_PROFILE)
    path = write_token(sandbox.home, SESSION, "access-fresh", 16 * 60)
    before = path.read_bytes()
    parse_credential_document(sandbox.run("credential-process", "--profile", "dev", env=sso.environment()))
    assert [row[0] for row in sso.requests()] == ["GET"]
    assert path.read_bytes() == before


def test_an_expired_session_says_to_run_aws_sso_login(sandbox, sso):
    sandbox.write_config(SESSION_PROFILE)
    # No client is loaded: the emulator refuses the refresh (invalid_client), as for a revoked registration.
    write_token(sandbox.home, SESSION, "access-expired", -60)
    result = sandbox.run("credential-process", "--profile", "dev", env=sso.environment())
    line = assert_failure(result, "dev", EXIT_CREDENTIALS, "SSO session sso-session 'corp' expired",
                          "run aws sso login --sso-session corp")
    assert REFRESH_TOKEN not in line and CLIENT_SECRET not in line
    assert [row[:2] for row in sso.requests()] == [["POST", "/token"]], "no role is asked for with an expired token"
    oracle = botocore(sandbox, "dev", sso.environment())
    assert oracle.get("error") == "TokenRetrievalError", oracle


def test_an_expired_legacy_session_says_to_log_in_with_the_profile_and_is_never_refreshed(sandbox, sso):
    sso.client()
    sandbox.write_config(LEGACY_PROFILE)
    write_token(sandbox.home, LEGACY_URL, "access-expired", -60, start_url=LEGACY_URL, region="us-east-1")
    result = sandbox.run("credential-process", "--profile", "old", env=sso.environment())
    assert_failure(result, "old", EXIT_CREDENTIALS, "run aws sso login --profile old")
    assert sso.requests() == []
    assert botocore(sandbox, "old", sso.environment()).get("error") == "UnauthorizedSSOTokenError"


def test_no_cached_token_says_to_run_aws_sso_login(sandbox, sso):
    sandbox.write_config(SESSION_PROFILE)
    result = sandbox.run("credential-process", "--profile", "dev", env=sso.environment())
    assert_failure(result, "dev", EXIT_CREDENTIALS, "no SSO token is cached for sso-session 'corp'",
                   str(token_path(sandbox.home, SESSION)), "run aws sso login --sso-session corp")
    assert botocore(sandbox, "dev", sso.environment()).get("error") == "SSOTokenLoadError"


def test_a_token_the_portal_refuses_says_to_log_in(sandbox, sso):
    """The cache file says an hour is left, the portal says the session ended (signed out, revoked)."""
    import time

    sso.token("access-revoked", expires_at=time.time() - 1)
    sandbox.write_config(SESSION_PROFILE)
    write_token(sandbox.home, SESSION, "access-revoked", 3600)
    result = sandbox.run("credential-process", "--profile", "dev", env=sso.environment())
    assert_failure(result, "dev", EXIT_CREDENTIALS, "(401)", "run aws sso login --sso-session corp")
    assert "access-revoked" not in result.err
    assert [row[3] for row in sso.requests()] == [401], "a refused token is not tried again"
    assert botocore(sandbox, "dev", sso.environment()).get("error") == "UnauthorizedSSOTokenError"


def test_an_answer_that_is_not_json_is_one_line_without_secrets(sandbox, sso):
    sso.token("access-valid")
    sandbox.write_config(SESSION_PROFILE)
    write_token(sandbox.home, SESSION, "access-valid", 3600)
    sso.mode("portal", "bad-json", count=-1)
    result = sandbox.run("credential-process", "--profile", "dev", env=sso.environment())
    assert_failure(result, "dev", EXIT_CREDENTIALS, "the SSO portal", "gave an unusable answer",
                   "the answer is not a JSON object")
    assert len(sso.requests()) == 1, "a 200 answer is not tried again"


def test_a_role_the_user_is_not_assigned_is_refused_naming_the_settings(sandbox, sso):
    sso.token("access-valid")
    sandbox.write_config(SESSION_PROFILE)
    write_token(sandbox.home, SESSION, "access-valid", 3600)
    result = sandbox.run("credential-process", "--profile", "dev", env=sso.environment())
    assert_failure(result, "dev", EXIT_CREDENTIALS, f"refused role '{ROLE_NAME}' in account '{ACCOUNT}' with status 403",
                   "ForbiddenException", "'No access'",
                   "check sso_account_id and sso_role_name")


def test_throttling_and_server_errors_are_tried_again(sandbox, moto, sso, unique):
    seed_permission_set(moto, sso, unique)
    sso.token("access-valid")
    sandbox.write_config(SESSION_PROFILE)
    write_token(sandbox.home, SESSION, "access-valid", 3600)
    sso.mode("portal", "status", count=1, status=429)
    sso.mode("portal", "status", count=2, status=503)
    parse_credential_document(sandbox.run("credential-process", "--profile", "dev", env=sso.environment()))
    assert [row[3] for row in sso.requests()] == [503, 503, 200]
    sso.reset()
    sso.mode("portal", "status", count=-1, status=500)
    result = sandbox.run("credential-process", "--profile", "dev", env=sso.environment(AWS_ELEVATE_CACHE="none"))
    assert_failure(result, "dev", EXIT_CREDENTIALS, "status 500 (3 attempts)", "InternalServerException")
    assert len(sso.requests()) == 3


@pytest.mark.parametrize("form", ["session", "legacy"])
def test_settings_botocore_refuses_are_one_configuration_line(sandbox, form):
    if form == "session":
        # The profile holds sso_region, its session section does not: botocore's SSO provider is satisfied, its
        # token provider is not.
        sandbox.write_config(SESSION_PROFILE.replace("sso_region = eu-west-1\n", "")
                             .replace("region = us-east-1\n", "region = us-east-1\nsso_region = eu-west-1\n")
                             + "[profile missing]\nsso_session = nowhere\nsso_role_name = x\n")
        assert_failure(sandbox.run("credential-process", "--profile", "missing"), "missing", EXIT_CONFIGURATION,
                       "the sso-session 'nowhere' does not exist")
        assert_failure(sandbox.run("credential-process", "--profile", "dev"), "dev", EXIT_CONFIGURATION,
                       "the sso-session 'corp' is missing required configuration: sso_region")
        oracle = botocore(sandbox, "dev", {})
        assert oracle["error"] == "InvalidConfigError" and "['sso_region']" in oracle["message"], oracle
        oracle = botocore(sandbox, "missing", {})
        assert oracle["error"] == "InvalidConfigError" and "does not exist" in oracle["message"], oracle
    else:
        sandbox.write_config(f"[profile old]\nsso_role_name = {ROLE_NAME}\nsso_start_url = {LEGACY_URL}\n")
        assert_failure(sandbox.run("credential-process", "--profile", "old"), "old", EXIT_CONFIGURATION,
                       "is missing required configuration: sso_account_id, sso_region")
        oracle = botocore(sandbox, "old", {})
        assert oracle["message"].endswith("missing required configuration: sso_account_id, sso_region"), oracle


def test_inconsistent_profile_and_session_values_are_refused_as_botocore_refuses_them(sandbox):
    sandbox.write_config(SESSION_PROFILE + "[profile mismatch]\nsso_session = corp\nsso_region = us-west-2\n"
                         f"sso_account_id = {ACCOUNT}\nsso_role_name = x\n")
    assert_failure(sandbox.run("credential-process", "--profile", "mismatch"), "mismatch", EXIT_CONFIGURATION,
                   "the value for sso_region is inconsistent between the profile ('us-west-2') and the sso-session "
                   "('eu-west-1')")
    oracle = botocore(sandbox, "mismatch", {})
    assert oracle["error"] == "InvalidConfigError" and "inconsistent" in oracle["message"], oracle


ENDPOINT_LAYERS = ["AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL", "services", "endpoint_url"]


@pytest.mark.parametrize("first", range(len(ENDPOINT_LAYERS)), ids=ENDPOINT_LAYERS)
def test_endpoint_overrides_follow_botocores_precedence(sandbox, moto, sso, unique, first):
    """Every layer from `first` on is set, each with its own path on the emulator: the first one must win, for
    aws-elevate and for botocore, for the portal and for SSO-OIDC."""
    seed_permission_set(moto, sso, unique)
    sso.client()
    layers = ENDPOINT_LAYERS[first:]
    env = {"AWS_ELEVATE_CACHE": "none"}
    profile_lines = ""
    if "AWS_ENDPOINT_URL_SSO" in layers:
        env["AWS_ENDPOINT_URL_SSO"] = sso.url + "/env-sso"
        env["AWS_ENDPOINT_URL_SSO_OIDC"] = sso.url + "/env-oidc"
    if "AWS_ENDPOINT_URL" in layers:
        env["AWS_ENDPOINT_URL"] = sso.url + "/env-global"
    if "services" in layers:
        profile_lines += "services = local\n"
    if "endpoint_url" in layers:
        profile_lines += f"endpoint_url = {sso.url}/profile\n"
    services = (f"[services local]\nsso =\n  endpoint_url = {sso.url}/svc-sso\n"
                f"sso_oidc =\n  endpoint_url = {sso.url}/svc-oidc\n")
    sandbox.write_config(SESSION_PROFILE.replace("region = us-east-1\n", "region = us-east-1\n" + profile_lines)
                         + services)
    expected = {"AWS_ENDPOINT_URL_SSO": ("/env-oidc", "/env-sso"), "AWS_ENDPOINT_URL": ("/env-global", "/env-global"),
                "services": ("/svc-oidc", "/svc-sso"), "endpoint_url": ("/profile", "/profile")}[layers[0]]
    paths = [expected[0] + "/token", expected[1] + "/federation/credentials"]

    write_token(sandbox.home, SESSION, "access-old", 300)
    parse_credential_document(sandbox.run("credential-process", "--profile", "dev", env=env))
    assert [row[1] for row in sso.requests()] == paths
    sso.reset()
    write_token(sandbox.home, SESSION, "access-old", 300)
    assert "keys" in botocore(sandbox, "dev", env)
    assert [row[1] for row in sso.requests()] == paths, "botocore chose the same endpoints"


@pytest.mark.parametrize("kind", ["directory", "fifo", "device", "huge", "not-json", "no-access-token",
                                  "number-token", "newline-token", "bad-expiry"])
def test_a_hostile_token_file_is_one_clear_line(sandbox, sso, kind):
    sandbox.write_config(SESSION_PROFILE)
    path = token_path(sandbox.home, SESSION)
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = "secret-token-text-never-shown"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "huge":
        path.write_text(json.dumps({"accessToken": secret, "expiresAt": "2099-01-01T00:00:00Z",
                                    "pad": "x" * 200_000}))
    elif kind == "not-json":
        path.write_text('{"accessToken": "' + secret)
    elif kind == "no-access-token":
        path.write_text(json.dumps({"expiresAt": "2099-01-01T00:00:00Z"}))
    elif kind == "number-token":
        path.write_text(json.dumps({"accessToken": 12345, "expiresAt": "2099-01-01T00:00:00Z"}))
    elif kind == "newline-token":
        path.write_text(json.dumps({"accessToken": secret + "\r\nX-Injected: 1", "expiresAt": "2099-01-01T00:00:00Z"}))
    elif kind == "bad-expiry":
        path.write_text(json.dumps({"accessToken": secret, "expiresAt": "tomorrow"}))
    result = sandbox.run("credential-process", "--profile", "dev", env=sso.environment(), timeout=20)
    line = assert_failure(result, "dev", EXIT_CREDENTIALS, "cannot be used", "run aws sso login --sso-session corp")
    assert secret not in line
    assert sso.requests() == []


def test_a_chain_from_an_sso_role_assumes_two_roles_in_moto_and_is_cached(sandbox, moto, sso, unique):
    """SSO → A → B: the permission set's session assumes role A, whose session assumes role B, all checked by moto;
    the second run and the AWS CLI's are cache hits that ask neither the portal nor STS."""
    seeded = seed_permission_set(moto, sso, unique)
    role_a = moto.create_role(f"{unique}-a", [moto_peer.session_arn(seeded["role"].name, "sso-perm")])
    role_b = moto.create_role(f"{unique}-b", [moto_peer.session_arn(role_a.name, "elevate-a")])
    sso.token("access-valid")
    write_token(sandbox.home, SESSION, "access-valid", 3600)
    sandbox.write_config(
        f"[profile app]\ncredential_process = {sandbox.binary} credential-process --profile b\nregion = us-east-1\n\n"
        + SESSION_PROFILE
        + f"\n[profile a]\nrole_arn = {role_a.arn}\nsource_profile = dev\nrole_session_name = elevate-a\n"
        f"\n[profile b]\nrole_arn = {role_b.arn}\nsource_profile = a\nrole_session_name = elevate-b\n")
    env = {"AWS_ENDPOINT_URL_STS": moto.url, **sso.environment(AWS_ELEVATE_CACHE="file")}
    first = parse_credential_document(sandbox.run("credential-process", "--profile", "b", env=env))
    second_run = sandbox.run("credential-process", "--profile", "b", "--debug", env=env)
    assert parse_credential_document(second_run) == first
    assert "cache: hit (file)" in second_run.err, second_run
    # The hit reads no token file and loads no network library.
    traced = sandbox.run("credential-process", "--profile", "b", env={**env, "LD_DEBUG": "files"})
    assert parse_credential_document(traced) == first
    opened = "\n".join(line for line in traced.err.splitlines() if "file=" in line)
    assert "libc.so" in opened and "libcurl" not in opened and "libxml2" not in opened, opened
    cli = aws_cli(sandbox, env, "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert cli.returncode == 0, cli
    assert json.loads(cli.stdout)["Arn"] == moto_peer.session_arn(role_b.name, "elevate-b")
    assert len(sso.requests()) == 1, "one GetRoleCredentials for three runs"


def test_ignore_configured_endpoint_urls_skips_every_override_as_botocore_does(sandbox, sso):
    """With AWS_IGNORE_CONFIGURED_ENDPOINT_URLS the portal is the regional one again. Nothing leaves loopback: the
    request goes to an HTTPS proxy on a closed loopback port, which refuses it, and the error names the endpoint."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    sso.token("access-valid")
    sandbox.write_config(SESSION_PROFILE)
    write_token(sandbox.home, SESSION, "access-valid", 3600)
    env = sso.environment(AWS_ENDPOINT_URL=sso.url, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true",
                          HTTPS_PROXY=f"http://127.0.0.1:{closed}", AWS_ELEVATE_CACHE="none")
    result = sandbox.run("credential-process", "--profile", "dev", env=env)
    assert_failure(result, "dev", EXIT_CREDENTIALS, "cannot reach the SSO portal "
                   "'https://portal.sso.eu-west-1.amazonaws.com'", "(3 attempts)")
    assert botocore(sandbox, "dev", env).get("error") == "ProxyConnectionError"
    assert sso.requests() == [], "neither asked the configured endpoint"
    script = ("import boto3; s = boto3.Session(profile_name='dev'); "
              "print(s.client('sso', region_name='eu-west-1').meta.endpoint_url, "
              "s.client('sso-oidc', region_name='eu-west-1').meta.endpoint_url)")
    endpoints = sandbox.run("-c", script, program=PYTHON, env=env)
    assert endpoints.out.split() == ["https://portal.sso.eu-west-1.amazonaws.com",
                                     "https://oidc.eu-west-1.amazonaws.com"], endpoints
