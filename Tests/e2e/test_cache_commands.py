"""`aws-elevate cache list` and `aws-elevate cache clear [--profile NAME]`, and the cache settings' errors."""

import re

import time

from cache_harness import (CountingProxy, cache_dir, credential_process, document, entry_files, key_file, only_entry,
                           reseal_with_expiration, seed_app_chain)
from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, assert_failure, assert_usage_error


def two_cached_profiles(sandbox, moto, unique, endpoint: str | None = None):
    """app-chain (two hops) and hop1 (its first hop alone) cached; returns the chain and the endpoint env (the
    endpoint is part of the cache key)."""
    chain = seed_app_chain(sandbox, moto, unique, hops=2)
    env = {"AWS_ENDPOINT_URL": endpoint or moto.url}
    document(sandbox, env)
    assert sandbox.run("credential-process", "--profile", "hop1", env=env).returncode == 0
    assert len(entry_files(sandbox)) == 2
    return chain, env


def test_list_shows_profile_role_time_left_and_backend_and_no_secret(sandbox, moto, unique):
    chain, env = two_cached_profiles(sandbox, moto, unique)
    secret = document(sandbox, env)["SecretAccessKey"]
    result = sandbox.run("cache", "list", env=env)
    assert result.returncode == 0, result
    lines = result.out.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == ["PROFILE", "ROLE", "EXPIRES IN", "BACKEND"]
    rows = sorted(re.split(r"\s{2,}", line) for line in lines[1:])
    assert [row[0] for row in rows] == ["app-chain", "hop1"]
    assert rows[0][1] == chain.roles[1].arn and rows[1][1] == chain.roles[0].arn
    assert all(re.fullmatch(r"(59m|1h00m)", row[2]) for row in rows), rows
    assert all(row[3] == "file" for row in rows)
    assert secret not in result.out and "ASIA" not in result.out


def test_clear_with_a_profile_removes_only_its_sessions(sandbox, moto, unique):
    proxy = CountingProxy(moto.url)
    try:
        _, env = two_cached_profiles(sandbox, moto, unique, endpoint=proxy.url)
        assert proxy.count() == 3
        result = sandbox.run("cache", "clear", "--profile", "hop1", env=env)
        assert result.returncode == 0, result
        assert result.out == "removed 1 cached session of profile 'hop1' (file: 1)\n"
        listed = sandbox.run("cache", "list", env=env).out
        assert "app-chain" in listed and "hop1" not in listed
        document(sandbox, env)
        assert proxy.count() == 3, "app-chain is still cached"
        assert sandbox.run("credential-process", "--profile", "hop1", env=env).returncode == 0
        assert proxy.count() == 4, "hop1 was fetched anew"
    finally:
        proxy.stop()


def test_clear_removes_every_session_and_keeps_the_key(sandbox, moto, unique):
    _, env = two_cached_profiles(sandbox, moto, unique)
    result = sandbox.run("cache", "clear", env=env)
    assert result.out == "removed 2 cached sessions (file: 2)\n", result
    assert entry_files(sandbox) == []
    assert not list(cache_dir(sandbox).glob("*.lock"))
    assert (sandbox.home / ".config" / "aws-elevate" / "cache.key").exists()
    assert sandbox.run("cache", "list", env=env).out == "no cached sessions\n"
    assert sandbox.run("cache", "clear", env=env).out == "removed 0 cached sessions (file: 0)\n"


def test_list_on_an_insecure_cache_directory_names_the_path_and_the_remedy(sandbox, moto, unique):
    two_cached_profiles(sandbox, moto, unique)
    cache_dir(sandbox).chmod(0o755)
    result = sandbox.run("cache", "list")
    assert result.returncode == EXIT_CREDENTIALS and result.stdout == b""
    assert result.err == (f"aws-elevate: cache: the cache directory '{cache_dir(sandbox)}' is accessible by group or "
                          f"others (mode 0755) \u2014 run: chmod 700 '{cache_dir(sandbox)}'\n")


def test_clear_rejects_an_empty_profile(sandbox):
    assert_usage_error(sandbox.run("cache", "clear", "--profile", ""), "--profile")


def test_cache_none_never_writes(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_ELEVATE_CACHE": "none"}
    result = credential_process(sandbox, env, "--debug")
    assert result.returncode == 0, result
    assert "cache: off (AWS_ELEVATE_CACHE=none)" in result.err
    assert not cache_dir(sandbox).exists()


def test_the_profile_can_choose_the_backend(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    sandbox.write_config(sandbox.config.read_text().replace(
        "[profile app-chain]\n", "[profile app-chain]\nelevate_cache = none\n"))
    result = credential_process(sandbox, {"AWS_ENDPOINT_URL": moto.url}, "--debug")
    assert "cache: off (elevate_cache in profile 'app-chain'=none)" in result.err, result
    assert not cache_dir(sandbox).exists()


def test_invalid_cache_settings_are_configuration_errors(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    for name, value, expected in [("AWS_ELEVATE_CACHE", "disk", "auto, keyring, file or none"),
                                  ("AWS_ELEVATE_REFRESH_MARGIN", "ten", "whole minutes")]:
        result = credential_process(sandbox, {"AWS_ENDPOINT_URL": moto.url, name: value})
        assert_failure(result, "app-chain", EXIT_CONFIGURATION, f"'{value}'", name, expected)


def test_the_refresh_margin_decides_whether_a_session_is_served(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    proxy = CountingProxy(moto.url)
    try:
        env = {"AWS_ENDPOINT_URL": proxy.url}
        document(sandbox, env)
        document(sandbox, env)
        assert proxy.count() == 2, "the default margin serves a one-hour session"
        # 45 minutes: a session fetched moments ago (about 60 minutes left) is still served.
        document(sandbox, {**env, "AWS_ELEVATE_REFRESH_MARGIN": "45"})
        assert proxy.count() == 2
        # 70 minutes: longer than the whole session, which is then served while more than half is left.
        result = credential_process(sandbox, {**env, "AWS_ELEVATE_REFRESH_MARGIN": "70"}, "--debug")
        assert re.search(r"cache: hit \(file\).* refresh margin (29|30)m", result.err), result
        assert proxy.count() == 2
    finally:
        proxy.stop()


def test_a_session_inside_the_refresh_margin_is_refreshed(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    proxy = CountingProxy(moto.url)
    try:
        env = {"AWS_ENDPOINT_URL": proxy.url}
        first = document(sandbox, env)
        now = int(time.time() * 1000)
        # The cached session now expires in 16 minutes (fetched 44 minutes ago): still served.
        reseal_with_expiration(only_entry(sandbox), key_file(sandbox).read_bytes(), now + 16 * 60_000, now - 44 * 60_000)
        assert document(sandbox, env)["AccessKeyId"] == first["AccessKeyId"] and proxy.count() == 2
        # 14 minutes left: inside botocore's 15-minute window, so refreshed and replaced.
        reseal_with_expiration(only_entry(sandbox), key_file(sandbox).read_bytes(), now + 14 * 60_000, now - 46 * 60_000)
        result = credential_process(sandbox, env, "--debug")
        assert "cache: refresh (file): 13m left, refresh margin 15m" in result.err, result
        assert proxy.count() == 4
        refreshed = document(sandbox, env)
        assert refreshed["AccessKeyId"] != first["AccessKeyId"] and proxy.count() == 4, "the new session was stored"
    finally:
        proxy.stop()
