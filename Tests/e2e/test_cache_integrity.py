"""Damaged, foreign or insecure cache files: an entry that is truncated, tampered with, sealed with another key or
replaced by a symbolic link is discarded and fetched anew; insecure permissions or a foreign owner stop the run
with the path and the remedy; a read-only or full cache directory serves the session uncached with one warning."""

import os
import shutil
import subprocess

import pytest

from cache_harness import (CountingProxy, WARNING_PREFIX, cache_dir, credential_process, decrypt_entry, document,
                           entry_files, key_file, mode_of, only_entry, run_in_mount_namespace, seed_app_chain,
                           warning_lines)
from harness import EXIT_CREDENTIALS, assert_failure, parse_credential_document, Result


@pytest.fixture
def warm(sandbox, moto, unique):
    """A sandbox whose app-chain session is cached, and the counting proxy in front of moto."""
    seed_app_chain(sandbox, moto, unique)
    proxy = CountingProxy(moto.url)
    env = {"AWS_ENDPOINT_URL": proxy.url}
    first = document(sandbox, env)
    assert proxy.count() == 2
    try:
        yield sandbox, proxy, env, first
    finally:
        proxy.stop()


def refetched(sandbox, proxy, env, reason: str) -> dict:
    """Runs again: the entry must have been discarded for `reason`, fetched anew and stored whole."""
    result = credential_process(sandbox, env, "--debug")
    served = parse_credential_document(result)
    assert f"entry discarded (file): {reason}" in result.err, result
    assert proxy.count() == 4, "the session was fetched anew"
    assert not warning_lines(result)
    decrypt_entry(only_entry(sandbox), key_file(sandbox).read_bytes())
    assert document(sandbox, env) == served and proxy.count() == 4, "the new entry serves the next caller"
    return served


def test_a_tampered_entry_is_discarded_and_refetched(warm):
    sandbox, proxy, env, first = warm
    entry = only_entry(sandbox)
    data = bytearray(entry.read_bytes())
    data[40] ^= 0x01
    entry.write_bytes(bytes(data))
    assert refetched(sandbox, proxy, env, "it does not authenticate") != first


def test_an_entry_sealed_with_another_key_is_discarded_and_refetched(warm):
    sandbox, proxy, env, _ = warm
    key_file(sandbox).write_bytes(os.urandom(32))
    refetched(sandbox, proxy, env, "it does not authenticate")


@pytest.mark.parametrize("keep", [0, 4, 17, 60])
def test_a_truncated_entry_is_discarded_and_refetched(warm, keep):
    sandbox, proxy, env, _ = warm
    entry = only_entry(sandbox)
    entry.write_bytes(entry.read_bytes()[:keep])
    result = credential_process(sandbox, env, "--debug")
    parse_credential_document(result)
    assert "entry discarded (file)" in result.err, result
    assert proxy.count() == 4


def test_an_entry_of_another_format_version_is_discarded(warm):
    sandbox, proxy, env, _ = warm
    entry = only_entry(sandbox)
    data = bytearray(entry.read_bytes())
    data[4] = 9
    entry.write_bytes(bytes(data))
    refetched(sandbox, proxy, env, "it has format version 9")


def test_a_symlinked_cache_file_is_never_followed(warm):
    sandbox, proxy, env, _ = warm
    entry = only_entry(sandbox)
    target = sandbox.root / "elsewhere"
    shutil.copyfile(entry, target)
    before = target.read_bytes()
    entry.unlink()
    entry.symlink_to(target)
    refetched(sandbox, proxy, env, "it is a symbolic link")
    assert target.read_bytes() == before, "the link's target was written"
    assert not entry.is_symlink()


@pytest.mark.parametrize("what, bits, remedy", [
    ("directory", 0o755, "chmod 700"), ("directory", 0o770, "chmod 700"),
    ("file", 0o644, "chmod 600"), ("file", 0o640, "chmod 600"), ("key", 0o604, "chmod 600"),
])
def test_group_or_world_accessible_cache_paths_stop_the_run_with_the_remedy(warm, what, bits, remedy):
    sandbox, proxy, env, _ = warm
    path = {"directory": cache_dir(sandbox), "file": only_entry(sandbox), "key": key_file(sandbox)}[what]
    path.chmod(bits)
    result = credential_process(sandbox, env)
    line = assert_failure(result, "app-chain", EXIT_CREDENTIALS, str(path), f"{remedy} '{path}'",
                          "accessible by group or others")
    assert f"mode 0{bits:o}" in line
    assert proxy.count() == 2, "nothing was fetched"


@pytest.mark.parametrize("what", ["directory", "file", "key", "lock"])
def test_cache_paths_owned_by_another_user_stop_the_run(warm, what):
    sandbox, proxy, env, _ = warm
    path = {"directory": cache_dir(sandbox), "file": only_entry(sandbox), "key": key_file(sandbox),
            "lock": next(cache_dir(sandbox).glob("*.lock"))}[what]
    os.chown(path, 65534, 65534)
    if what == "lock":
        # The entry is fresh, so a hit never looks at the lock: make the run need it.
        only_entry(sandbox).unlink()
    result = credential_process(sandbox, env)
    assert_failure(result, "app-chain", EXIT_CREDENTIALS, str(path), "owned by uid 65534",
                   f"chown {os.geteuid()} '{path}'")


def test_a_directory_in_place_of_the_entry_stops_the_run(warm):
    sandbox, proxy, env, _ = warm
    entry = only_entry(sandbox)
    entry.unlink()
    entry.mkdir(mode=0o700)
    assert_failure(credential_process(sandbox, env), "app-chain", EXIT_CREDENTIALS, str(entry), "not a regular file")


def assert_served_uncached_with_one_warning(result, directory, *words):
    served = parse_credential_document(result)
    lines = result.err.splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith(WARNING_PREFIX) and str(directory) in lines[0], result
    assert "served uncached" in lines[0]
    for word in words:
        assert word in lines[0], result
    return served


def test_a_cache_directory_below_a_regular_file_serves_uncached_with_one_warning(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    (sandbox.root / "plain").write_text("x")
    directory = sandbox.root / "plain" / "aws-elevate"
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_ELEVATE_CACHE_DIR": str(directory)}
    first = assert_served_uncached_with_one_warning(credential_process(sandbox, env), directory, "Not a directory")
    second = assert_served_uncached_with_one_warning(credential_process(sandbox, env), directory)
    assert first != second, "nothing was cached"


def test_an_immutable_cache_directory_serves_uncached_with_one_warning(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    directory = cache_dir(sandbox)
    directory.mkdir(parents=True, mode=0o700)
    subprocess.run(["chattr", "+i", str(directory)], check=True)
    try:
        result = credential_process(sandbox, {"AWS_ENDPOINT_URL": moto.url})
        assert_served_uncached_with_one_warning(result, directory, "Operation not permitted")
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


def run_on_tmpfs(sandbox, moto, prepare: str):
    """credential-process with the cache directory on a private tmpfs prepared by `prepare` (sh, $1 = mount)."""
    directory = sandbox.root / "mnt"
    directory.mkdir()
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_ELEVATE_CACHE_DIR": str(directory)}
    completed = run_in_mount_namespace(
        sandbox, f'set -e; {prepare}; exec "$2" credential-process --profile app-chain',
        str(directory), str(sandbox.binary), env=env)
    return directory, Result(["unshare"], completed.returncode, completed.stdout, completed.stderr)


def test_a_read_only_file_system_serves_uncached_with_one_warning(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    directory, result = run_on_tmpfs(
        sandbox, moto, 'mount -t tmpfs -o mode=0700,size=1m tmpfs "$1"; mount -o remount,ro "$1"')
    assert_served_uncached_with_one_warning(result, directory, "Read-only file system")


def test_a_full_cache_directory_serves_uncached_with_one_warning(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    directory, result = run_on_tmpfs(
        sandbox, moto,
        'mount -t tmpfs -o mode=0700,size=8k tmpfs "$1"; '
        'dd if=/dev/zero of="$1/filler" bs=4096 count=64 2>/dev/null || true')
    assert_served_uncached_with_one_warning(result, directory, "No space left on device")


def test_cache_files_and_directories_are_private(warm):
    sandbox, *_ = warm
    assert mode_of(cache_dir(sandbox)) == 0o700
    assert mode_of(key_file(sandbox).parent) == 0o700
    assert mode_of(key_file(sandbox)) == 0o600
    for path in cache_dir(sandbox).iterdir():
        assert mode_of(path) == 0o600, path
    assert len(entry_files(sandbox)) == 1
