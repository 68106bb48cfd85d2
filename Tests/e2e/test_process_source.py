"""The `process` source: a chain that starts from another program's credential_process (as aws-vault or a password
manager's helper would be configured), against moto with signature checking, through the real aws CLI."""

import json
import os
import signal
import subprocess
import sys
import time

from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, Result, assert_failure, parse_credential_document
from sts_harness import aws_cli, hop_profiles, seed_chain, write_app_config

# Prints the user's keys as a credential_process document and counts its runs in a file next to it.
HELPER = """import json, pathlib, sys
here = pathlib.Path(__file__).parent
runs = here / "runs"
runs.write_text(str(int(runs.read_text() or 0) + 1) if runs.exists() else "1")
if sys.argv[1] == "fail":
    print("helper: the vault is sealed", file=sys.stderr)
    sys.exit(4)
print(json.dumps({"Version": 1, "AccessKeyId": sys.argv[1], "SecretAccessKey": sys.argv[2]}))
"""


def helper(sandbox, *arguments: str) -> str:
    script = sandbox.root / "helper.py"
    script.write_text(HELPER)
    return " ".join([sys.executable, str(script), *arguments])


def runs(sandbox) -> int:
    path = sandbox.root / "runs"
    return int(path.read_text()) if path.exists() else 0


def test_the_aws_cli_gets_role_b_from_a_chain_that_starts_at_another_credential_process(sandbox, moto, unique):
    chain = seed_chain(moto, unique)
    command = helper(sandbox, chain.user.access_key_id, chain.user.secret_access_key)
    write_app_config(sandbox, hop_profiles(chain, first_source="source_profile = vault")
                     + f"\n[profile vault]\ncredential_process = {command}\n")
    env = {"AWS_ENDPOINT_URL": moto.url}
    result = aws_cli(sandbox, env, "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.session_arn(1)
    assert runs(sandbox) == 1
    # The session at the end is cached under the command line: the next call does not run the program.
    again = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env=env)
    parse_credential_document(again)
    assert "cache: hit (file)" in again.err, again
    assert runs(sandbox) == 1
    assert chain.user.secret_access_key not in again.err


def test_the_program_alone_is_served_but_not_cached(sandbox):
    command = helper(sandbox, "AKIAPROCESSONLY", "process-secret")
    sandbox.write_config(f"[profile vault]\ncredential_process = {command}\n")
    for _ in range(2):
        document = parse_credential_document(sandbox.run("credential-process", "--profile", "vault"))
        assert document["AccessKeyId"] == "AKIAPROCESSONLY"
    assert runs(sandbox) == 2, "a plan of the program alone leaves caching to the program"


def test_a_failing_program_is_one_line_with_its_last_error_line(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain, first_source="source_profile = vault")
                     + f"\n[profile vault]\ncredential_process = {helper(sandbox, 'fail')}\n")
    result = sandbox.run("credential-process", "--profile", "app-chain", env={"AWS_ENDPOINT_URL": moto.url})
    assert_failure(result, "app-chain", EXIT_CREDENTIALS, "exited with status 4", "helper: the vault is sealed")


def test_a_program_that_runs_aws_elevate_for_the_same_chain_fails_at_once_instead_of_recursing(
        sandbox, moto, unique):
    """Regression guard: a wrapper script around aws-elevate itself used to wait for its own caller's cache lock,
    and without the cache would start processes without end."""
    chain = seed_chain(moto, unique, hops=1)
    wrapper = f"/bin/sh -c '{sandbox.binary} credential-process --profile app-chain'"
    write_app_config(sandbox, hop_profiles(chain, first_source="source_profile = vault")
                     + f"\n[profile vault]\ncredential_process = {wrapper}\n")
    cached = sandbox.run("credential-process", "--profile", "app-chain", env={"AWS_ENDPOINT_URL": moto.url},
                         timeout=60)
    line = assert_failure(cached, "app-chain", EXIT_CREDENTIALS, "exited with status 2")
    assert "runs aws-elevate for the same chain again" in line, line
    uncached = sandbox.run("credential-process", "--profile", "app-chain", timeout=60,
                           env={"AWS_ENDPOINT_URL": moto.url, "AWS_ELEVATE_CACHE": "none"})
    line = assert_failure(uncached, "app-chain", EXIT_CREDENTIALS, "exited with status")
    assert "credential processes already run inside each other" in line, line


# Starts a background process that keeps the program's standard output and error open for 30 s (its pid in
# `grandchild.pid`), counts its runs, waits a second (so that a parallel caller finds the entry locked), then prints
# the document and exits.
DAEMONIZING_HELPER = """#!/bin/sh
here=$(dirname "$0")
(sleep 30 & echo $! >"$here/grandchild.pid")
echo x >>"$here/runs.log"
sleep 1
printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}\\n' "$1" "$2"
"""


def _stop_pid_in(path) -> None:
    if path.exists():
        try:
            os.kill(int(path.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_regression_a_background_process_holding_stdout_neither_hangs_the_run_nor_keeps_the_lock(
        sandbox, moto, unique):
    """A credential_process that exits while a process it started keeps its stdout open used to hang the run, and
    with it every caller waiting for the cache entry's lock, until that process ended."""
    chain = seed_chain(moto, unique, hops=1)
    script = sandbox.root / "vault-helper"
    script.write_text(DAEMONIZING_HELPER)
    script.chmod(0o755)
    write_app_config(sandbox, hop_profiles(chain, first_source="source_profile = vault")
                     + f"\n[profile vault]\ncredential_process = {script} {chain.user.access_key_id} "
                     + f"{chain.user.secret_access_key}\n")
    environment = sandbox.environment({"AWS_ENDPOINT_URL": moto.url, "AWS_ELEVATE_CACHE": "file"})
    argv = [str(sandbox.binary), "credential-process", "--profile", "app-chain", "--debug"]
    grandchild = sandbox.root / "grandchild.pid"
    try:
        start = time.monotonic()
        first = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=environment, cwd=sandbox.root)
        time.sleep(0.4)
        second = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=environment, cwd=sandbox.root)
        results = []
        for process in (first, second):
            try:
                stdout, stderr = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                first.kill()
                second.kill()
                raise AssertionError("a run still waited 15 s after the program had printed its document")
            results.append(Result(argv, process.returncode, stdout, stderr))
        elapsed = time.monotonic() - start
        documents = [parse_credential_document(result) for result in results]
        assert elapsed < 8, f"both runs took {elapsed:.1f} s"
        assert documents[0] == documents[1] and documents[0]["SessionToken"]
        assert (sandbox.root / "runs.log").read_text() == "x\n", "the second caller waited for the first's session"
        assert "cache: waiting for the lock" in results[1].err, results[1]
        assert _alive(int(grandchild.read_text())), "the background process is the program's, not ours to stop"
    finally:
        _stop_pid_in(grandchild)


def test_a_program_that_runs_past_elevate_process_timeout_is_stopped_with_one_line(sandbox):
    pid_file = sandbox.root / "program.pid"
    sandbox.write_config("[profile vault]\nelevate_process_timeout = 1\n"
                         f"credential_process = /bin/sh -c 'echo $$ >\"$0\"; exec sleep 30' {pid_file}\n")
    try:
        start = time.monotonic()
        result = sandbox.run("credential-process", "--profile", "vault", timeout=15)
        elapsed = time.monotonic() - start
        line = assert_failure(result, "vault", EXIT_CREDENTIALS, "credential_process program '/bin/sh'",
                              "of profile 'vault' did not finish within 1 s", "raise elevate_process_timeout")
        assert str(pid_file) not in line, "the program's arguments are not shown"
        assert 1 <= elapsed < 5, elapsed
        assert not _alive(int(pid_file.read_text())), "the program was killed"
    finally:
        _stop_pid_in(pid_file)


def test_a_bad_elevate_process_timeout_is_a_configuration_error_quoting_it(sandbox):
    marker = sandbox.root / "ran"
    sandbox.write_config(f"[profile vault]\nelevate_process_timeout = 5m\ncredential_process = /bin/touch {marker}\n")
    result = sandbox.run("credential-process", "--profile", "vault")
    assert_failure(result, "vault", EXIT_CONFIGURATION, "invalid value '5m' for elevate_process_timeout in profile "
                   "'vault': expected whole seconds from 1 to 3600")
    assert not marker.exists(), "the program ran"


def test_regression_a_caller_that_ignores_sigchld_still_gets_the_programs_document(sandbox):
    """An ignored SIGCHLD is inherited through exec; the program was then reaped by the kernel, and waiting for it
    failed with 'no child processes'."""
    sandbox.write_config("[profile vault]\ncredential_process = /bin/sh -c "
                         "'echo {\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"AKIASIGCHLD\\\",\\\"SecretAccessKey\\\":\\\"s\\\"}'\n")
    argv = [str(sandbox.binary), "credential-process", "--profile", "vault"]
    completed = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                               env=sandbox.environment(), cwd=sandbox.root,
                               preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN))
    document = parse_credential_document(Result(argv, completed.returncode, completed.stdout, completed.stderr))
    assert document["AccessKeyId"] == "AKIASIGCHLD"
