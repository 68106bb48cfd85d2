"""`aws-elevate --version` (the version and the commit the release rule built it from), and the command line where
/proc is not mounted: the Swift runtime reads the arguments from /proc/self/cmdline, so a binary that trusted it saw
none there and printed the help text with exit 0 — a `credential_process` call got help on stdout and "success".
Off the fast path the concurrency runtime's thread pool must not start there either: libdispatch's pool monitor
reads /proc/TID/stat and crashes (SIGILL) when it cannot. The runs below hide /proc behind an empty tmpfs in a mount namespace of their own (unshare).
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from harness import EXIT_OK, REPO, Result, parse_credential_document

KEY = "AKIAVERSIONARGVTEST1"
SECRET = "version/argv+secret"


def _unshare() -> list[str]:
    if os.geteuid() == 0:
        return ["unshare", "--mount", "--propagation", "private"]
    return ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private"]


def run_without_proc(sandbox, *args: str | bytes, env: dict[str, str] | None = None) -> Result:
    """aws-elevate with `args` in a mount namespace whose /proc is an empty tmpfs; fails the test if it is not."""
    argv = [*_unshare(), "sh", "-c",
            'mount -t tmpfs none /proc && test ! -e /proc/self/cmdline && exec "$@"', "sh",
            str(sandbox.binary), *args]
    completed = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                               env=sandbox.environment(env), cwd=sandbox.root)
    assert b"mount:" not in completed.stderr, completed.stderr
    return Result(argv, completed.returncode, completed.stdout, completed.stderr)


def head_commit() -> str:
    """What the release rule records for this checkout: 12 hex digits of HEAD, `-dirty` with tracked changes."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)

    commit = git("rev-parse", "--short=12", "HEAD").stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{12}", commit), "the e2e suite runs in a git checkout"
    git("update-index", "-q", "--refresh")
    return commit + ("-dirty" if git("diff-index", "--quiet", "HEAD", "--").returncode else "")


@pytest.fixture
def static_keys(sandbox):
    sandbox.write_config(f"[profile keys]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n")


def test_version_names_the_version_and_the_commit_of_head(sandbox):
    version = subprocess.run(["make", "-s", "--no-print-directory", "version"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.strip()
    result = sandbox.run("--version")
    assert result.returncode == EXIT_OK, result
    assert result.out == f"aws-elevate {version} (commit {head_commit()})\n", result
    assert result.stderr == b"", result


def test_version_without_proc(sandbox):
    result = run_without_proc(sandbox, "--version")
    assert result.returncode == EXIT_OK, result
    assert result.out == sandbox.run("--version").out, result


def test_without_proc_credential_process_is_not_help_with_exit_0(sandbox, static_keys):
    result = run_without_proc(sandbox, "credential-process", "--profile", "keys")
    document = parse_credential_document(result)
    assert (document["AccessKeyId"], document["SecretAccessKey"]) == (KEY, SECRET)


def test_without_proc_the_full_parser_gets_the_arguments(sandbox, static_keys):
    # `env` is not the fast path: swift-argument-parser parses it. AWS_CONFIG_FILE (the sandbox's) is read from
    # environ, not /proc, or the profile would not be found.
    result = run_without_proc(sandbox, "env", "--profile", "keys")
    assert result.returncode == EXIT_OK, result
    assert f"export AWS_ACCESS_KEY_ID='{KEY}'\n" in result.out, result
    assert "USAGE" not in result.out.upper(), result


def test_without_proc_a_usage_error_still_fails(sandbox):
    result = run_without_proc(sandbox, "credential-process", "--no-such-option")
    assert result.returncode == 64, result
    assert result.stdout == b"", result


def test_without_proc_exec_runs_the_command_bytes_it_was_given(sandbox, static_keys):
    # The bytes after `--` go to the command unchanged, including bytes that are not UTF-8.
    result = run_without_proc(sandbox, "exec", "--profile", "keys", "--", "sh", "-c",
                              'printf "%s|%s" "$1" "$AWS_ACCESS_KEY_ID"', "sh", b"caf\xe9 \xff")
    assert result.returncode == EXIT_OK, result
    assert result.stdout == b"caf\xe9 \xff|" + KEY.encode(), result


def test_without_proc_commands_off_the_fast_path_do_not_crash_in_the_thread_pool(sandbox, static_keys):
    # The crash came at the pool monitor's first tick, in about half of the runs: 20 runs all have to succeed.
    for _ in range(20):
        result = run_without_proc(sandbox, "env", "--profile", "keys")
        assert result.returncode == EXIT_OK, result
