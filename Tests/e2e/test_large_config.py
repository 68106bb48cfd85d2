"""A config of thousands of generated profiles (one per account and role, as `aws configure sso` in a loop or
aws-sso-util writes them) read as a run reads it: the file scanned whole, only the needed sections parsed, a large
file read in parts. Same answers and the same errors as for a small file; botocore refuses what we refuse.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from botocore.configloader import raw_config_parse
from botocore.exceptions import ConfigParseError

from cache_harness import seed_app_chain
from harness import parse_credential_document

ROLES = ("ReadOnly", "PowerUser", "Admin", "Billing")


def generated(count: int, start: int = 0) -> str:
    return "".join(
        f"[profile acct{100000000000 + i // 4}-{ROLES[i % 4]}]\nsso_session = corp\n"
        f"sso_account_id = {100000000000 + i // 4}\nsso_role_name = {ROLES[i % 4]}\nregion = us-east-1\n\n"
        for i in range(start, start + count))


SSO = "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\n"


def surround(sandbox, text: str, count: int = 20000) -> int:
    """Puts `text` in the middle of `count` generated profiles; the config's size in bytes."""
    half = count // 2
    sandbox.write_config(SSO + generated(half) + text + "\n" + generated(count - half, half))
    return (sandbox.home / ".aws" / "config").stat().st_size


def test_a_chain_among_twenty_thousand_profiles_resolves_and_is_cached(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    chain = (sandbox.home / ".aws" / "config").read_text()
    size = surround(sandbox, chain)
    assert size > 2_000_000
    env = {"AWS_ENDPOINT_URL": moto.url}
    first = parse_credential_document(sandbox.run("credential-process", "--profile", "app-chain", env=env))
    second = parse_credential_document(sandbox.run("credential-process", "--profile", "app-chain", env=env))
    assert first == second, "the second run is served from the cache"
    exported = sandbox.run("env", "--profile", "app-chain", "--shell", "bash", env=env)
    assert exported.returncode == 0 and first["AccessKeyId"].encode() in exported.stdout


def test_the_profiles_listing_of_twenty_thousand_profiles_is_complete(sandbox):
    surround(sandbox, "[profile \"with space\"]\nregion = x\n[profiles odd]\nregion = y\n")
    (sandbox.home / ".aws" / "credentials").write_text("[keys]\naws_access_key_id = AKIAEXAMPLE\n")
    result = sandbox.run("profiles")
    assert result.returncode == 0, result
    names = result.stdout.decode().splitlines()
    expected = {f"acct{100000000000 + i // 4}-{ROLES[i % 4]}" for i in range(20000)} | {"with space", "odd", "keys"}
    assert set(names) == expected and len(names) == len(expected)
    assert names == sorted(names, key=lambda name: name.encode())


@pytest.mark.parametrize("tail, line_offset, what", [
    ("[profile broken]\nno delimiter here\n", 2, "has no '=' or ':'"),
    ("[profile acct100000000000-ReadOnly]\nregion = again\n", 1, "appears a second time"),
    ("[profile dup-key]\nregion = a\nREGION = b\n", 3, "appears a second time in [profile dup-key]"),
])
def test_a_syntax_error_at_the_end_of_a_large_config_is_the_same_error_with_its_line(sandbox, tail, line_offset,
                                                                                    what):
    body = SSO + generated(20000)
    sandbox.write_config(body + tail)
    (sandbox.home / ".aws" / "credentials").write_text("[static]\naws_access_key_id = AKIAEXAMPLE\n"
                                                       "aws_secret_access_key = s\n")
    result = sandbox.run("credential-process", "--profile", "static")
    assert result.returncode == 2, result
    line = body.count("\n") + line_offset
    assert f"config:{line}:" in result.err and what in result.err, result.err
    # botocore refuses the whole file too.
    with pytest.raises(ConfigParseError):
        raw_config_parse(str(sandbox.home / ".aws" / "config"))


def test_a_config_over_the_size_limit_is_refused_from_its_size(sandbox):
    sandbox.write_config(SSO + generated(40000))
    assert (sandbox.home / ".aws" / "config").stat().st_size > 4 * 1024 * 1024
    result = sandbox.run("credential-process", "--profile", "acct100000000000-ReadOnly")
    assert result.returncode == 2 and f"bytes, more than the {4 * 1024 * 1024} bytes" in result.err, result.err


KEYS = "[profile keys]\naws_access_key_id = AKIAEXAMPLEFIRST0001\naws_secret_access_key = first\n"


def settled(sandbox, text: str) -> Path:
    """A 20,000-profile config around `text`, left alone long enough that a run may store its index (a file changed
    within the last two seconds gets none: its times could stay the same through another write)."""
    surround(sandbox, text)
    time.sleep(3.1)
    return sandbox.home / ".cache" / "aws-elevate"


def reading(result) -> str:
    lines = [line for line in result.err.splitlines() if f"config file '" in line and "/.aws/config'" in line]
    assert len(lines) == 1, result
    return lines[0]


def test_an_unchanged_large_config_is_read_through_its_stored_index_and_an_edit_is_seen_at_once(sandbox):
    cache = settled(sandbox, KEYS)
    first = sandbox.run("credential-process", "--profile", "keys", "--debug")
    assert first.returncode == 0 and "scanned" in reading(first), first
    records = sorted(cache.glob("config-index-*"))
    assert len(records) == 1 and records[0].stat().st_mode & 0o777 == 0o600, records
    second = sandbox.run("credential-process", "--profile", "keys", "--debug")
    assert "stored for this version of the file" in reading(second), second
    assert parse_credential_document(second)["AccessKeyId"] == "AKIAEXAMPLEFIRST0001"

    # An edit in place of the same length, right after the run: the change time tells it apart.
    config = sandbox.home / ".aws" / "config"
    before = config.stat()
    config.write_bytes(config.read_bytes().replace(b"AKIAEXAMPLEFIRST0001", b"AKIAEXAMPLESECOND001"))
    assert config.stat().st_size == before.st_size and config.stat().st_ino == before.st_ino
    third = sandbox.run("credential-process", "--profile", "keys", "--debug")
    assert "scanned" in reading(third), third
    assert parse_credential_document(third)["AccessKeyId"] == "AKIAEXAMPLESECOND001"

    # A syntax error added is the same error as ever, though an index of the file's last version is stored.
    with config.open("ab") as file:
        file.write(b"[profile broken]\nno delimiter here\n")
    broken = sandbox.run("credential-process", "--profile", "keys")
    assert broken.returncode == 2 and "has no '=' or ':'" in broken.err, broken


def test_cache_clear_removes_the_stored_index_and_cache_none_stores_none(sandbox):
    cache = settled(sandbox, KEYS)
    off = sandbox.run("credential-process", "--profile", "keys", env={"AWS_ELEVATE_CACHE": "none"})
    assert off.returncode == 0, off
    assert not cache.exists() or not list(cache.glob("config-index-*"))
    assert sandbox.run("credential-process", "--profile", "keys").returncode == 0
    assert len(list(cache.glob("config-index-*"))) == 1
    listed = sandbox.run("cache", "list")
    assert listed.returncode == 0 and "config-index" not in listed.out, listed
    cleared = sandbox.run("cache", "clear")
    assert cleared.returncode == 0 and cleared.out == "removed 0 cached sessions (file: 0) and 1 stored config index\n", cleared
    assert not list(cache.glob("config-index-*")), cleared


def test_a_stored_index_that_does_not_match_its_file_is_removed_and_the_files_are_read_again(sandbox):
    """What a file system that kept a file's times through an edit would leave: the index of the file's last
    version under the identity of its current one. The first section read through it shows the difference."""
    cache = settled(sandbox, KEYS + "[profile next]\nregion = a\n")
    assert sandbox.run("credential-process", "--profile", "keys").returncode == 0
    [record] = cache.glob("config-index-*")
    of_first = record.read_bytes()
    config = sandbox.home / ".aws" / "config"
    # The same size, with the boundary between [profile keys] and the next section one byte earlier.
    edited = config.read_bytes().replace(b"= first\n[profile next]\n", b"= firs\n[profile nextx]\n")
    assert len(edited) == config.stat().st_size
    config.write_bytes(edited)
    time.sleep(3.1)
    assert sandbox.run("credential-process", "--profile", "keys").returncode == 0
    of_second = record.read_bytes()
    identity = slice(8 + 56, 8 + 112)  # the file's identity in the record's header (INIIndexRecord)
    record.write_bytes(of_first[:identity.start] + of_second[identity] + of_first[identity.stop:])

    result = sandbox.run("credential-process", "--profile", "keys", "--debug")
    assert result.returncode == 0, result
    assert parse_credential_document(result)["SecretAccessKey"] == "firs"
    assert "its stored index did not match it; reading the files again" in result.err, result
    assert record.read_bytes() == of_second, "the stale record was replaced by the current file's"


def test_cache_clear_in_keyring_mode_removes_the_stored_indexes_too(sandbox):
    from test_cache_keyring import in_keyring_session, step
    settled(sandbox, KEYS)
    cache = sandbox.root / "cache"
    env = {"AWS_ELEVATE_CACHE": "keyring", "AWS_ELEVATE_CACHE_DIR": str(cache)}
    out = in_keyring_session(sandbox, "unlocked", """
        step run "$BIN" credential-process --profile keys
        ls "$AWS_ELEVATE_CACHE_DIR" >"$OUT/before"
        step clear "$BIN" cache clear
    """, env)
    assert step(out, "run").returncode == 0, step(out, "run")
    assert (out / "before").read_text().startswith("config-index-")
    assert step(out, "clear").out == "removed 0 cached sessions (keyring: 0) and 1 stored config index\n", step(out, "clear")
    assert not list(cache.glob("config-index-*"))
