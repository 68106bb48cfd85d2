"""`aws-elevate explain --profile NAME`: the resolved plan without any network request, against snapshots.

Every test points STS at a counting proxy (and IMDS at the emulator, which counts too) and checks that explain sent
nothing. The cache key explain prints is checked against the entry a real run then stores, in files and in a real
gnome-keyring.
"""

from __future__ import annotations

import json
import stat

from cache_harness import cache_dir, credential_process, only_entry, seed_app_chain, sts_env
from harness import EXIT_CONFIGURATION, assert_failure, parse_credential_document
from snapshot_harness import expect_snapshot
from test_cache_keyring import in_keyring_session, step

import pytest

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"

CHAIN_CONFIG = """\
[profile app]
credential_process = {bin} credential-process --profile app-chain
region = eu-west-1

[profile hop1]
role_arn = arn:aws:iam::123456789012:role/hop1
source_profile = base
role_session_name = first
external_id = ext-1

[profile app-chain]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = hop1
duration_seconds = 1800
region = eu-west-1
output = \x1b]0;forged title\x07
"""

CHAIN_CREDENTIALS = f"""\
[base]
aws_access_key_id = {KEY_ID}
aws_secret_access_key = {SECRET}
aws_session_token = {TOKEN}
"""


def explain(sandbox, *args: str, env: dict[str, str] | None = None):
    return sandbox.run("explain", *args, env=env)


def write_chain(sandbox) -> None:
    sandbox.write_config(CHAIN_CONFIG.replace("{bin}", str(sandbox.binary)))
    sandbox.write_credentials(CHAIN_CREDENTIALS)


def test_explain_names_every_setting_with_its_file_and_line_and_sends_no_request(sandbox, proxy):
    write_chain(sandbox)
    result = explain(sandbox, "--profile", "app-chain", env=sts_env(proxy.url))
    assert result.returncode == 0, result
    assert result.stderr == b"", result
    expect_snapshot("explain", "chain.stdout", result.stdout, sandbox, {"sts": proxy.url})
    for secret in (SECRET, TOKEN, KEY_ID):
        assert secret.encode() not in result.stdout
    assert b"\x1b" not in result.stdout and b"\x07" not in result.stdout, "a hostile value stays printable"
    assert proxy.exchanges == [], "explain sent a request to STS"
    assert not cache_dir(sandbox).exists(), "explain created the cache"


def test_explain_json_is_one_object_with_the_same_facts(sandbox, proxy):
    write_chain(sandbox)
    env = {**sts_env(proxy.url), "AWS_ACCESS_KEY_ID": "AKIAENVIRONMENT00001", "AWS_SECRET_ACCESS_KEY": "env/secret+1"}
    result = explain(sandbox, "--profile", "app-chain", "--json", env=env)
    assert result.returncode == 0, result
    assert result.stdout.count(b"\n") == 1
    assert b"env/secret+1" not in result.stdout and b"AKIAENVIRONMENT" not in result.stdout
    document = json.loads(result.stdout)
    assert [step["plugin"] for step in document["steps"]] == ["profile", "assume-role", "assume-role"]
    base = document["steps"][0]["settings"]
    assert [(s["key"], s["value"], s["hidden"], s["line"]) for s in base] == [
        ("aws_access_key_id", "****MPLE", False, 2), ("aws_secret_access_key", None, True, 3),
        ("aws_session_token", None, True, 4)]
    assert {s["file"] for s in base} == {str(sandbox.credentials)}
    variables = {variable["name"]: (variable["value"], variable["hidden"]) for variable in document["environment"]}
    assert variables["AWS_ACCESS_KEY_ID"] == ("****0001", False)
    assert variables["AWS_SECRET_ACCESS_KEY"] == (None, True)
    assert document["cache"]["backend"] == "file" and document["cache"]["seconds_left"] is None
    assert proxy.exchanges == []


def test_explain_prints_the_cache_key_a_real_run_stores_its_session_under(sandbox, moto, proxy, unique):
    seed_app_chain(sandbox, moto, unique)
    env = sts_env(proxy.url)

    before = json.loads(explain(sandbox, "--profile", "app-chain", "--json", env=env).stdout)
    assert before["cache"]["fresh"] is False and before["cache"]["seconds_left"] is None
    assert proxy.exchanges == []

    parse_credential_document(credential_process(sandbox, env))
    requests = len(proxy.exchanges)
    assert requests > 0
    entry = only_entry(sandbox)
    listing = sandbox.run("cache", "list", env=env)
    assert listing.returncode == 0 and b"app-chain" in listing.stdout, listing

    after = explain(sandbox, "--profile", "app-chain", env=env)
    assert after.returncode == 0, after
    document = json.loads(explain(sandbox, "--profile", "app-chain", "--json", env=env).stdout)
    assert len(proxy.exchanges) == requests, "explain refreshed or fetched"
    assert entry.name == f"v1-{before['cache']['key']}.session" == f"v1-{document['cache']['key']}.session"
    assert document["cache"]["file"] == str(entry)
    assert document["cache"]["fresh"] is True and 3000 < document["cache"]["seconds_left"] <= 3600
    assert f"  key: v1:{document['cache']['key']}\n".encode() in after.stdout
    assert b"; served without a request, refreshed when 15m are left\n" in after.stdout


def test_explain_of_the_instance_role_asks_the_metadata_service_nothing(sandbox, emulator, proxy):
    sandbox.write_config("""
        [profile inst-chain]
        role_arn = arn:aws:iam::123456789012:role/admin
        credential_source = Ec2InstanceMetadata
        """)
    result = explain(sandbox, "--profile", "inst-chain", env={**emulator.environment(), **sts_env(proxy.url)})
    assert result.returncode == 0, result
    assert result.out.startswith("profile 'inst-chain': imds(inst-chain) → assume-role(inst-chain)\n"), result
    assert f"endpoint='{emulator.endpoint}'" in result.out
    assert emulator.requests() == [], "explain sent a request to IMDS"
    assert proxy.exchanges == []


@pytest.mark.parametrize("name, config", [
    ("unresolved", "[profile broken]\nrole_arn = arn:aws:iam::123456789012:role/x\n"),
    ("broken-ini", "[profile broken]\nrole_arn\n"),
    ("missing", "[profile other]\nregion = eu-west-1\n"),
])
def test_explain_of_a_broken_profile_fails_exactly_as_a_run_does(sandbox, name, config):
    sandbox.write_config(config)
    result = explain(sandbox, "--profile", "broken")
    run = sandbox.run("credential-process", "--profile", "broken")
    assert_failure(result, "broken", EXIT_CONFIGURATION)
    assert (result.returncode, result.stderr) == (run.returncode, run.stderr)
    expect_snapshot("explain", f"{name}.stderr", result.stderr, sandbox)


def test_explain_shows_the_cache_error_a_run_would_stop_on(sandbox, proxy):
    write_chain(sandbox)
    env = sts_env(proxy.url)
    cache_dir(sandbox).mkdir(parents=True, mode=0o755)
    cache_dir(sandbox).chmod(0o755)
    run = credential_process(sandbox, env)
    line = assert_failure(run, "app-chain", 1, "accessible by group or others")
    result = explain(sandbox, "--profile", "app-chain", env=env)
    assert result.returncode == 0, result
    assert line.split(": ", 2)[2].encode() in result.stdout, "the run's problem and remedy, word for word"
    expect_snapshot("explain", "insecure-cache.stdout", result.stdout, sandbox, {"sts": proxy.url})
    assert stat.S_IMODE(cache_dir(sandbox).stat().st_mode) == 0o755, "explain changed nothing"
    assert proxy.exchanges == []


def test_explain_names_the_keyring_and_its_key_is_the_keyring_items_key(sandbox, moto, proxy, unique):
    seed_app_chain(sandbox, moto, unique)
    env = {"AWS_ENDPOINT_URL": proxy.url, "AWS_ELEVATE_CACHE_DIR": str(sandbox.root / "cache"),
           "XDG_CONFIG_HOME": str(sandbox.root / "config")}
    out = in_keyring_session(sandbox, "unlocked", """
        step before "$BIN" explain --profile app-chain --json
        step run "$BIN" credential-process --profile app-chain
        step after "$BIN" explain --profile app-chain --json
        step items secret-tool search --all profile app-chain
        lock_default
        step locked "$BIN" explain --profile app-chain
    """, env)
    before = json.loads(step(out, "before").stdout)
    assert (before["cache"]["backend"], before["cache"]["why"]) == ("keyring", "auto: a Secret Service can serve")
    parse_credential_document(step(out, "run"))
    requests = len(proxy.exchanges)
    after = json.loads(step(out, "after").stdout)
    assert (after["cache"]["backend"], after["cache"]["why"]) == ("keyring", "auto: found in the keyring")
    assert after["cache"]["fresh"] is True and after["cache"]["key"] == before["cache"]["key"]
    items = step(out, "items")
    assert f"attribute.key = aws-elevate/v1/{after['cache']['key']}\n".encode() in items.stdout + items.stderr, items
    locked = step(out, "locked")
    assert locked.returncode == 0, locked
    assert (b"  backend: file: auto: the keyring cannot serve: the default collection is locked\n"
            in locked.stdout), locked
    assert len(proxy.exchanges) == requests, "explain fetched"
