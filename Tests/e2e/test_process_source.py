"""The `process` source: a chain that starts from another program's credential_process (as aws-vault or a password
manager's helper would be configured), against moto with signature checking, through the real aws CLI."""

import json
import sys

from harness import EXIT_CREDENTIALS, assert_failure, parse_credential_document
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
