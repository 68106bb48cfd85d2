"""Writers killed with SIGKILL at any moment never leave a corrupt or partial entry, and a lock left by a killed
holder never blocks the next caller (flock is released by the kernel)."""

import fcntl
import random
import signal
import socket
import subprocess
import time

from cache_harness import (CountingProxy, cache_dir, credential_process, decrypt_entry, entry_files, key_file,
                           only_entry, seed_app_chain)
from harness import parse_credential_document


def spawn(sandbox, env):
    return subprocess.Popen([str(sandbox.binary), "credential-process", "--profile", "app-chain"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=sandbox.environment(env), cwd=sandbox.root)


def test_writers_killed_at_random_moments_never_leave_a_partial_entry(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    proxy = CountingProxy(moto.url)
    # The STS endpoint is part of the cache key: every call here, the last one included, goes through the proxy, so
    # that all of them are writers of one entry.
    env = {"AWS_ENDPOINT_URL": proxy.url}
    rng = random.Random(20261127)
    checked = 0
    try:
        # Calibrate: how long a cold run takes here, so that kills land before, during and after the write.
        started = time.monotonic()
        parse_credential_document(credential_process(sandbox, env))
        cold = time.monotonic() - started
        entry_name = only_entry(sandbox).name
        for _ in range(40):
            for entry in entry_files(sandbox):
                entry.unlink()
            writer = spawn(sandbox, env)
            time.sleep(rng.uniform(0, cold * 1.2))
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=30)
            key = key_file(sandbox).read_bytes()
            for entry in entry_files(sandbox):
                decrypt_entry(entry, key)  # raises on a partial or corrupt file
                checked += 1
        assert checked > 0, "no writer got as far as storing: the test proved nothing"
        # The next caller of the same entry is not blocked, serves a whole session and, storing it under the lock,
        # cleans up temporary files of dead writers. Without an entry it cannot be a hit, which takes no lock.
        for entry in entry_files(sandbox):
            entry.unlink()
        before = sorted(path.name for path in cache_dir(sandbox).iterdir())
        result = credential_process(sandbox, env, "--debug")
    finally:
        proxy.stop()
    parse_credential_document(result)
    assert "waiting for the lock" not in result.err, result
    assert "cache: stored (file)" in result.err, result
    assert [path.name for path in entry_files(sandbox)] == [entry_name], "the last call stored another entry"
    left = [path.name for path in cache_dir(sandbox).iterdir() if ".tmp-" in path.name]
    assert not left, (left, before, result.err)


def lock_is_held(path) -> bool:
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_a_lock_held_by_a_killed_process_does_not_block_the_next_caller(sandbox, moto, unique):
    seed_app_chain(sandbox, moto, unique)
    # An STS endpoint that accepts connections and never answers: the first caller holds the lock meanwhile.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    try:
        holder = spawn(sandbox, {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{silent.getsockname()[1]}"})
        deadline = time.monotonic() + 20
        locks = []
        while time.monotonic() < deadline:
            locks = list(cache_dir(sandbox).glob("*.lock")) if cache_dir(sandbox).is_dir() else []
            if locks and lock_is_held(locks[0]):
                break
            time.sleep(0.01)
        else:
            holder.kill()
            raise AssertionError("the first caller never held the lock")
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        started = time.monotonic()
        result = credential_process(sandbox, {"AWS_ENDPOINT_URL": moto.url}, "--debug")
        parse_credential_document(result)
        assert time.monotonic() - started < 10
        assert "waiting for the lock" not in result.err, result
        assert locks[0].exists(), "the same lock file was reused"
    finally:
        silent.close()


def test_only_the_next_writer_of_the_same_entry_removes_a_dead_writers_temporary_file(sandbox, moto, unique):
    """Regression: the crash test's last call used another STS endpoint than its writers, so another cache key; it
    could not remove their temporary files, and failed whenever the last writer was killed between creating its
    temporary file and renaming it. Temporary files are removed only by a writer of their own entry, under its lock:
    another entry's may belong to a live writer."""
    seed_app_chain(sandbox, moto, unique)
    env = {"AWS_ENDPOINT_URL": moto.url}
    parse_credential_document(credential_process(sandbox, env))
    entry = only_entry(sandbox)
    dead = cache_dir(sandbox) / f"{entry.name}.tmp-4242-0123456789abcdef"
    other = cache_dir(sandbox) / f"v1-{'ab' * 32}.session.tmp-4243-0123456789abcdef"
    for path in (dead, other):
        path.write_bytes(b"AEVC\x01 partial")
        path.chmod(0o600)
    entry.unlink()
    result = credential_process(sandbox, env, "--debug")
    parse_credential_document(result)
    assert "cache: stored (file)" in result.err, result
    assert entry.exists()
    assert not dead.exists(), "the next writer of the entry left a dead writer's temporary file"
    assert other.exists(), "a temporary file of another entry was removed"
