"""`aws-elevate setup --chain CHAIN --profile NAME [--force]` on healthy and broken configs, with snapshots.

Inputs and expected outputs are files in snapshots/setup/, compared byte for byte after the run's own values are
written back as placeholders: {bin} the binary, {home} the sandbox HOME, {root} the sandbox root, {prefix} the
test's unique IAM name prefix, {stamp} a backup's time stamp. `UPDATE_SNAPSHOTS=1` rewrites the expected files from
the runs (review the diff before committing it).

After each successful setup the real AWS CLI (the venv's) uses the written profile against moto and must get the
chain's role: the written credential_process line is only right if a real client runs it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from harness import EXIT_CONFIGURATION, assert_failure, assert_usage_error, venv_bin
from sts_harness import seed_chain
from test_clients_v2_go import go_sdk_v2  # noqa: F401 (fixture)

SNAPSHOTS = Path(__file__).parent / "snapshots" / "setup"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
# setup never needs PATH; a fixed one keeps an installed aws-elevate of the machine out of the written line.
PLAIN_PATH = {"PATH": "/usr/bin:/bin"}
STAMP = re.compile(rb"\.bak-\d{8}T\d{6}Z")


def template(name: str, prefix: str) -> bytes:
    return (SNAPSHOTS / name).read_bytes().replace(b"{prefix}", prefix.encode())


def normalized(data: bytes, sandbox, prefix: str = "", extra: dict[str, str] | None = None) -> bytes:
    values = {**(extra or {}), "bin": str(sandbox.binary), "home": str(sandbox.home), "root": str(sandbox.root)}
    if prefix:
        values["prefix"] = prefix
    for key, value in sorted(values.items(), key=lambda item: -len(item[1])):
        data = data.replace(value.encode(), b"{" + key.encode() + b"}")
    return STAMP.sub(b".bak-{stamp}", data)


def expect_snapshot(name: str, actual: bytes, sandbox, prefix: str = "", extra: dict[str, str] | None = None):
    """`actual`, with the run's values as placeholders, is byte for byte snapshots/setup/NAME."""
    got = normalized(actual, sandbox, prefix, extra)
    path = SNAPSHOTS / name
    if UPDATE:
        path.write_bytes(got)
    assert path.is_file(), f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert got == path.read_bytes(), f"{name}:\n--- expected\n{path.read_bytes()!r}\n--- got\n{got!r}"


def listing(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


def backups(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if ".bak-" in path.name)


def write_base_keys(sandbox, chain) -> None:
    sandbox.write_credentials(f"[base]\naws_access_key_id = {chain.user.access_key_id}\n"
                              f"aws_secret_access_key = {chain.user.secret_access_key}\n")


def setup(sandbox, *args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()):
    return sandbox.run("setup", *args, env={**PLAIN_PATH, **(env or {})}, drop=drop)


def aws_cli_arn(sandbox, moto, *profile: str, drop: tuple[str, ...] = ()) -> str:
    """The ARN the venv's AWS CLI gets from sts:GetCallerIdentity with `--profile NAME` (or none: default)."""
    result = sandbox.run("sts", "get-caller-identity", *profile, "--output", "json", program=venv_bin("aws"),
                         env={"AWS_ENDPOINT_URL": moto.url, "AWS_DEFAULT_REGION": "us-east-1"}, drop=drop,
                         timeout=120)
    assert result.returncode == 0, result
    return json.loads(result.stdout)["Arn"]


@pytest.fixture
def chain(moto, unique):
    return seed_chain(moto, unique)


def test_setup_on_a_healthy_config_gives_the_aws_cli_the_chains_role(sandbox, moto, chain, unique):
    original = template("healthy.config", unique)  # CRLF, comments, odd spacing, no final line break
    sandbox.write_config(original)
    sandbox.config.chmod(0o640)
    write_base_keys(sandbox, chain)

    result = setup(sandbox, "--chain", "app-chain", "--profile", "app")
    assert result.returncode == 0, result
    assert result.stderr == b"", result
    expect_snapshot("healthy.stdout", result.stdout, sandbox, unique)
    updated = sandbox.config.read_bytes()
    expect_snapshot("healthy.config.after", updated, sandbox, unique)
    assert updated.startswith(original), "every byte of the file before the new section stays"

    [backup] = backups(sandbox.aws_dir)
    assert backup.read_bytes() == original
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(sandbox.config.stat().st_mode) == 0o640
    assert listing(sandbox.aws_dir) == sorted(["config", "credentials", backup.name]), "no temporary file stays"

    assert aws_cli_arn(sandbox, moto, "--profile", "app") == chain.session_arn(1)


def test_setup_refuses_an_existing_profile_without_force_and_changes_nothing(sandbox, chain, unique):
    original = template("existing.config", unique)
    sandbox.write_config(original)
    write_base_keys(sandbox, chain)
    before = listing(sandbox.aws_dir)

    result = setup(sandbox, "--chain", "app-chain", "--profile", "app")
    line = assert_failure(result, "app", EXIT_CONFIGURATION, "already exists", "--force")
    expect_snapshot("existing.refused.stderr", result.stderr, sandbox, unique)
    assert line.endswith("or choose another --profile")
    assert sandbox.config.read_bytes() == original
    assert listing(sandbox.aws_dir) == before


def test_setup_with_force_replaces_only_the_profiles_settings_and_keeps_a_backup(sandbox, moto, chain, unique):
    original = template("existing.config", unique)
    sandbox.write_config(original)
    write_base_keys(sandbox, chain)

    result = setup(sandbox, "--chain", "app-chain", "--profile", "app", "--force")
    assert result.returncode == 0, result
    assert result.stderr == b"", result
    expect_snapshot("existing.force.stdout", result.stdout, sandbox, unique)
    expect_snapshot("existing.force.config", sandbox.config.read_bytes(), sandbox, unique)
    [backup] = backups(sandbox.aws_dir)
    assert backup.read_bytes() == original
    assert aws_cli_arn(sandbox, moto, "--profile", "app") == chain.session_arn(1)

    # Again: the first backup is kept, the second one holds the file as the first run left it.
    first_run = sandbox.config.read_bytes()
    again = setup(sandbox, "--chain", "app-chain", "--profile", "app", "--force")
    assert again.returncode == 0, again
    assert sandbox.config.read_bytes() == first_run, "the same setup twice gives the same file"
    assert [path.read_bytes() for path in backups(sandbox.aws_dir)] == [original, first_run]


def test_setup_on_a_broken_config_is_one_clear_error_and_touches_nothing(sandbox, chain, unique):
    original = template("broken.config", unique)
    sandbox.write_config(original)
    write_base_keys(sandbox, chain)
    before = listing(sandbox.aws_dir)

    result = setup(sandbox, "--chain", "app-chain", "--profile", "app", "--force")
    assert_failure(result, "app-chain", EXIT_CONFIGURATION, f"{sandbox.config}:4: ")
    expect_snapshot("broken.stderr", result.stderr, sandbox, unique)
    assert sandbox.config.read_bytes() == original
    assert listing(sandbox.aws_dir) == before


def test_setup_for_a_chain_that_does_not_resolve_is_refused(sandbox, unique):
    original = b"[profile app-chain]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = nowhere\n"
    sandbox.write_config(original)
    result = setup(sandbox, "--chain", "app-chain", "--profile", "app")
    assert_failure(result, "app-chain", EXIT_CONFIGURATION, "source_profile 'nowhere'", "is not a profile")
    expect_snapshot("unresolved.stderr", result.stderr, sandbox)
    missing = setup(sandbox, "--chain", "nowhere", "--profile", "app")
    assert_failure(missing, "nowhere", EXIT_CONFIGURATION, "not found in")
    assert sandbox.config.read_bytes() == original
    assert listing(sandbox.aws_dir) == ["config"]


def test_setup_refuses_a_profile_the_chain_itself_uses(sandbox, chain, unique):
    """hop1 is the chain's middle profile: pointing its credential_process at the chain would make it recurse."""
    original = template("existing.config", unique)
    sandbox.write_config(original)
    write_base_keys(sandbox, chain)
    result = setup(sandbox, "--chain", "app-chain", "--profile", "hop1", "--force")
    assert_failure(result, "hop1", EXIT_CONFIGURATION, "would break the chain 'app-chain', which would then fail with: ",
                   "recurse")
    expect_snapshot("chain-profile.stderr", result.stderr, sandbox, unique)
    assert sandbox.config.read_bytes() == original
    assert backups(sandbox.aws_dir) == []


def test_a_profile_in_the_credentials_file_exists_and_its_keys_would_win(sandbox, chain, unique):
    original = template("existing.config", unique)
    sandbox.write_config(original)
    keys = (f"[base]\naws_access_key_id = {chain.user.access_key_id}\n"
            f"aws_secret_access_key = {chain.user.secret_access_key}\n"
            "[ci]\naws_access_key_id = AKIAEXAMPLECI\naws_secret_access_key = ci-secret\n")
    sandbox.write_credentials(keys)

    refused = setup(sandbox, "--chain", "app-chain", "--profile", "ci")
    assert_failure(refused, "ci", EXIT_CONFIGURATION, f"already exists ({sandbox.credentials}:4)", "give it a section")
    forced = setup(sandbox, "--chain", "app-chain", "--profile", "ci", "--force")
    assert_failure(forced, "ci", EXIT_CONFIGURATION, "'aws_access_key_id'", "before the new credential_process")
    expect_snapshot("credentials-keys.stderr", refused.stderr + forced.stderr, sandbox, unique)
    assert "ci-secret" not in forced.err and "AKIAEXAMPLECI" not in forced.err
    assert sandbox.config.read_bytes() == original
    assert backups(sandbox.aws_dir) == []


def test_setup_creates_aws_folder_and_config_and_default_is_written_as_default(sandbox, moto, chain):
    """No ~/.aws at all: the keys are in a credentials file elsewhere and the config file is the default one."""
    shutil.rmtree(sandbox.aws_dir)
    elsewhere = sandbox.root / "keys"
    elsewhere.write_text(f"[app-chain]\naws_access_key_id = {chain.user.access_key_id}\n"
                         f"aws_secret_access_key = {chain.user.secret_access_key}\n")
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(elsewhere)}
    result = setup(sandbox, "--chain", "app-chain", "--profile", "default", env=env, drop=("AWS_CONFIG_FILE",))
    assert result.returncode == 0, result
    expect_snapshot("new.stdout", result.stdout, sandbox)
    expect_snapshot("new.config", sandbox.config.read_bytes(), sandbox)
    assert stat.S_IMODE(sandbox.aws_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(sandbox.config.stat().st_mode) == 0o600
    assert listing(sandbox.aws_dir) == ["config"]

    # The AWS CLI without --profile uses [default], whose credential_process gives the chain's (the user's) keys.
    result = sandbox.run("sts", "get-caller-identity", "--output", "json", program=venv_bin("aws"),
                         env={**env, "AWS_ENDPOINT_URL": moto.url, "AWS_DEFAULT_REGION": "us-east-1"},
                         drop=("AWS_CONFIG_FILE",), timeout=120)
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.user.arn


def test_a_binary_under_a_path_with_spaces_is_quoted_so_the_aws_cli_and_the_go_sdk_run_it(
        sandbox, moto, chain, unique, go_sdk_v2):
    """botocore splits credential_process with shlex; the Go SDK runs it with `sh -c`: both must get the path back."""
    folder = sandbox.root / "my tools $(x) it's"
    folder.mkdir()
    copy = folder / "aws-elevate"
    shutil.copy2(sandbox.binary, copy)
    sandbox.write_config(template("healthy.config", unique))
    write_base_keys(sandbox, chain)

    result = sandbox.run("setup", "--chain", "app-chain", "--profile", "app", program=copy, env=PLAIN_PATH)
    assert result.returncode == 0, result
    expect_snapshot("spaces.config.after", sandbox.config.read_bytes(), sandbox, unique)
    assert aws_cli_arn(sandbox, moto, "--profile", "app") == chain.session_arn(1)
    go = go_sdk_v2.run(sandbox, moto.url, {"AWS_ENDPOINT_URL": moto.url, "AWS_REGION": "us-east-1"})
    assert go.returncode == 0, go
    assert go_sdk_v2.arn(go) == chain.session_arn(1)


def test_the_binary_is_named_by_its_path_entry_when_path_runs_it(sandbox, moto, chain, unique):
    """A link in a PATH folder (as make install or a package puts it) is written, not the file it points to."""
    bin_dir = sandbox.root / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws-elevate").symlink_to(sandbox.binary)
    sandbox.write_config(template("healthy.config", unique))
    write_base_keys(sandbox, chain)
    result = setup(sandbox, "--chain", "app-chain", "--profile", "app", env={"PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert result.returncode == 0, result
    assert f"credential_process = {bin_dir}/aws-elevate credential-process --profile app-chain" in result.out
    assert aws_cli_arn(sandbox, moto, "--profile", "app") == chain.session_arn(1)


def test_a_symlinked_config_is_written_through_and_stays_a_link(sandbox, moto, chain, unique):
    dotfiles = sandbox.root / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "aws-config"
    original = template("healthy.config", unique)
    target.write_bytes(original)
    sandbox.config.symlink_to("../../dotfiles/aws-config")
    write_base_keys(sandbox, chain)

    result = setup(sandbox, "--chain", "app-chain", "--profile", "app")
    assert result.returncode == 0, result
    expect_snapshot("symlink.stdout", result.stdout, sandbox, unique)
    assert sandbox.config.is_symlink() and os.readlink(sandbox.config) == "../../dotfiles/aws-config"
    expect_snapshot("healthy.config.after", target.read_bytes(), sandbox, unique)
    [backup] = backups(dotfiles)
    assert backup.read_bytes() == original
    assert aws_cli_arn(sandbox, moto, "--profile", "app") == chain.session_arn(1)


@pytest.mark.parametrize("args, words", [
    (("--chain", "app", "--profile", "app"), ["--profile must differ from --chain"]),
    (("--chain", "app-chain", "--profile", "a b"), ["cannot be written as a profile name", "white space"]),
    (("--chain", "app-chain", "--profile", "[x]"), ["cannot be written as a profile name", "a bracket"]),
    (("--chain", "app-chain"), ["Missing expected argument '--profile <profile>'"]),
])
def test_setup_usage_errors_change_nothing(sandbox, args, words):
    sandbox.write_config("[profile app-chain]\ncredential_source = Environment\n")
    original = sandbox.config.read_bytes()
    assert_usage_error(setup(sandbox, *args), *words)
    assert sandbox.config.read_bytes() == original
    assert listing(sandbox.aws_dir) == ["config"]
