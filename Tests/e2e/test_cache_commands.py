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
    # Each fetch left its entry's lock file, which clearing all removes and counts too.
    assert result.out == "removed 2 cached sessions (file: 2) and 2 lock or temporary files\n", result
    assert entry_files(sandbox) == []
    assert not list(cache_dir(sandbox).glob("*.lock"))
    assert (sandbox.home / ".config" / "aws-elevate" / "cache.key").exists()
    assert sandbox.run("cache", "list", env=env).out == "no cached sessions\n"
    assert sandbox.run("cache", "clear", env=env).out == "removed 0 cached sessions (file: 0)\n"


def test_clear_removes_only_names_of_its_own_format_and_reports_the_true_count(sandbox, moto, unique):
    """Regression: clearing removed every `*.lock` and `*.tmp-*` in the cache directory, made by aws-elevate or not,
    and counted none of them."""
    _, env = two_cached_profiles(sandbox, moto, unique)
    directory = cache_dir(sandbox)
    digest = entry_files(sandbox)[0].name[3:67]
    leftover = directory / f"v1-{digest}.session.tmp-4242-0123456789abcdef"
    foreign = ["notes.lock", "backup.tmp-1", f"v1-{digest}.lock.bak", f"v1-{digest.upper()}.lock",
               f"v1-{digest}.session.tmp-4242-0123456789ABCDEF", f"v1-{digest}.session.tmp-0-0123456789abcdef",
               f"v1-{digest}.session.old"]
    for path in [leftover] + [directory / name for name in foreign]:
        path.write_bytes(b"x")
        path.chmod(0o600)
    result = sandbox.run("cache", "clear", env=env)
    assert result.returncode == 0, result
    assert result.out == "removed 2 cached sessions (file: 2) and 3 lock or temporary files\n", result
    assert sorted(path.name for path in directory.iterdir()) == sorted(foreign)


def test_list_and_clear_see_entries_of_other_cache_format_versions(sandbox, moto, unique):
    """Regression: files of another cache format version (`vN-…` with another N) were neither listed nor removed,
    so an entry of an older version stayed on disk forever. Now they are listed as stale and removed by clearing
    all, with the older version's lock and temporary files; a newer version's lock is left to the aws-elevate that
    may hold it."""
    _, env = two_cached_profiles(sandbox, moto, unique)
    directory = cache_dir(sandbox)
    digest = entry_files(sandbox)[0].name[3:67]
    stale = [f"v0-{digest}.session", f"v2-{'c' * 64}.session"]
    older = [f"v0-{digest}.lock", f"v0-{digest}.session.tmp-7-0123456789abcdef"]
    newer = [f"v2-{'c' * 64}.lock"]
    for name in stale + older + newer:
        (directory / name).write_bytes(b"an entry of another format")
        (directory / name).chmod(0o600)

    listed = sandbox.run("cache", "list", env=env)
    assert listed.returncode == 0, listed
    lines = listed.out.splitlines()
    rows = [re.split(r"\s{2,}", line) for line in lines[1:-1]]
    assert sorted(row[0] for row in rows) == sorted(["app-chain", "hop1"] + [f"(stale: {name})" for name in stale])
    assert sorted(row[2] for row in rows if row[0].startswith("(stale")) == ["stale (v0)", "stale (v2)"], rows
    assert all(re.fullmatch(r"(59m|1h00m)", row[2]) for row in rows if not row[0].startswith("(stale")), rows
    assert lines[-1] == ("stale: entries of another cache format version, never used again; "
                         "'aws-elevate cache clear' removes them"), listed

    # A stale entry is never read, so it belongs to no profile: clearing one profile leaves it.
    result = sandbox.run("cache", "clear", "--profile", "hop1", env=env)
    assert result.out == "removed 1 cached session of profile 'hop1' (file: 1)\n", result
    assert all((directory / name).exists() for name in stale + older)
    document(sandbox, env)  # the v1 entry of app-chain is still served beside them

    result = sandbox.run("cache", "clear", env=env)
    assert result.out == ("removed 1 cached session (file: 1), 2 stale entries of another cache format version "
                          "and 4 lock or temporary files\n"), result
    assert sorted(path.name for path in directory.iterdir()) == newer
    assert sandbox.run("cache", "list", env=env).out == "no cached sessions\n"


def test_clear_refuses_a_cache_directory_that_is_a_symbolic_link_and_deletes_nothing_behind_it(sandbox, moto, unique):
    """Regression: with the cache directory a symbolic link to another 0700 folder, clearing deleted that folder's
    `*.lock` and `*.tmp-*` files and reported "removed 0"."""
    _, env = two_cached_profiles(sandbox, moto, unique)
    directory = cache_dir(sandbox)
    elsewhere = sandbox.root / "elsewhere"
    directory.rename(elsewhere)
    directory.symlink_to(elsewhere)
    for name in ("keep.lock", "draft.tmp-7"):
        (elsewhere / name).write_bytes(b"x")
        (elsewhere / name).chmod(0o600)
    before = sorted(path.name for path in elsewhere.iterdir())
    for extra in ((), ("--profile", "hop1")):
        result = sandbox.run("cache", "clear", *extra, env=env)
        assert result.returncode == EXIT_CREDENTIALS and result.stdout == b"", result
        assert result.err == (
            f"aws-elevate: cache: the cache directory '{directory}' is a symbolic link, which aws-elevate does not "
            f"follow when it removes files \u2014 point AWS_ELEVATE_CACHE_DIR at the directory it links to, or replace "
            f"the link with a directory of its own: rm '{directory}' && mkdir -m 700 '{directory}'\n"), result
    assert sorted(path.name for path in elsewhere.iterdir()) == before
    # Pointed at the real directory, as the remedy says, clearing works.
    result = sandbox.run("cache", "clear", env={**env, "AWS_ELEVATE_CACHE_DIR": str(elsewhere)})
    assert result.out == "removed 2 cached sessions (file: 2) and 2 lock or temporary files\n", result
    assert sorted(path.name for path in elsewhere.iterdir()) == ["draft.tmp-7", "keep.lock"]


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
