"""`aws-elevate doctor` on healthy and broken setups, against snapshots (snapshots/doctor).

Peers are real: moto behind a counting proxy for a real run that fills the cache, the loopback IMDS emulator up,
down and hung, and gnome-keyring under dbus-run-session unlocked, locked, without a collection and absent.
"""

from __future__ import annotations

import os
import re
import time

from cache_harness import cache_dir, credential_process, key_file, seed_app_chain
from harness import parse_credential_document
from snapshot_harness import expect_snapshot
from test_cache_keyring import in_keyring_session, step

import pytest

HOOK = 'eval "$(aws-elevate shell-init bash)"\n'
EM_DASH = "\u2014"


def doctor(sandbox, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()):
    started = time.monotonic()
    result = sandbox.run("doctor", env={"SHELL": "/bin/bash", **(env or {})}, drop=drop)
    result.seconds = time.monotonic() - started
    return result


def rows(result) -> dict[str, tuple[str, str]]:
    """CHECK → (STATUS, DETAIL) of the table."""
    table = {}
    for line in result.out.splitlines()[1:]:
        if not line:
            break
        match = re.fullmatch(r"(.+?) +(ok|warn|FAIL|skip) +(.*)", line)
        assert match, f"not a table line: {line!r}"
        table[match[1]] = (match[2], match[3])
    return table


def assert_table(result) -> dict[str, tuple[str, str]]:
    """The table's contract: a remedy on every warn and FAIL line, the exit status from the FAIL lines."""
    assert result.stderr == b"", result
    table = rows(result)
    for check, (status, detail) in table.items():
        if status in ("warn", "FAIL"):
            assert f" {EM_DASH} " in detail, f"{check}: no remedy in {detail!r}"
    failed = any(status == "FAIL" for status, _ in table.values())
    assert result.returncode == (1 if failed else 0), result
    return table


def write_hook(sandbox, text: str = HOOK) -> None:
    (sandbox.home / ".bashrc").write_text("# shell start-up\nexport EDITOR=vi\n" + text)


def run_failure_line(sandbox, profile: str, env: dict[str, str] | None = None) -> str:
    """`problem — remedy` of the one-line error credential-process gives for `profile`."""
    result = sandbox.run("credential-process", "--profile", profile, env=env)
    assert result.returncode != 0, result
    return result.err.rstrip("\n").split(": ", 2)[2]


def test_doctor_on_a_healthy_setup_passes_every_check_quickly(sandbox, moto, proxy, unique):
    seed_app_chain(sandbox, moto, unique)
    write_hook(sandbox)
    env = {"AWS_ENDPOINT_URL": proxy.url}  # the default cache mode, auto: files here, with no session bus
    parse_credential_document(credential_process(sandbox, env))
    requests = len(proxy.exchanges)
    result = doctor(sandbox, env)
    table = assert_table(result)
    assert result.returncode == 0, result
    expect_snapshot("doctor", "healthy.stdout", result.stdout, sandbox)
    assert table["profile 'app'"][0] == "ok", "the profile SDKs use passes"
    assert len(proxy.exchanges) == requests, "doctor sent a request to STS"
    assert result.seconds < 1.5, f"doctor took {result.seconds:.2f} s"


def test_doctor_on_a_broken_config_fails_its_row_with_the_runs_remedy(sandbox):
    sandbox.write_config("[profile a]\nregion = eu-west-1\n[profile a]\nregion = us-east-1\n")
    write_hook(sandbox)
    result = doctor(sandbox)
    table = assert_table(result)
    assert result.returncode == 1
    assert table["config files"] == ("FAIL", run_failure_line(sandbox, "a"))
    assert table["profiles"][0] == "skip"
    expect_snapshot("doctor", "broken-config.stdout", result.stdout, sandbox)


def test_doctor_names_each_unresolvable_profile_with_the_runs_problem_and_remedy(sandbox):
    sandbox.write_config("""
        [profile no-source]
        role_arn = arn:aws:iam::123456789012:role/x

        [profile bad-source]
        role_arn = arn:aws:iam::123456789012:role/x
        credential_source = Ec2Metadata

        [profile loop]
        role_arn = arn:aws:iam::123456789012:role/x
        source_profile = loop

        [profile good]
        role_arn = arn:aws:iam::123456789012:role/x
        credential_source = Environment

        [default]
        region = eu-west-1
        """)
    write_hook(sandbox)
    result = doctor(sandbox)
    table = assert_table(result)
    assert result.returncode == 1
    for name in ("no-source", "bad-source", "loop"):
        assert table[f"profile '{name}'"] == ("FAIL", run_failure_line(sandbox, name)), name
    assert table["profile 'good'"] == ("ok", "env(good) → assume-role(good)")
    assert table["profile 'default'"][0] == "warn", "a profile of settings only does not fail the run"
    assert result.out.endswith("\n3 checks failed, 1 warning\n")
    expect_snapshot("doctor", "unresolved.stdout", result.stdout, sandbox)


def test_doctor_fails_open_cache_files_with_the_chmod_remedy(sandbox):
    sandbox.write_config("[profile good]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = Environment\n")
    write_hook(sandbox)
    cache_dir(sandbox).mkdir(parents=True)
    cache_dir(sandbox).chmod(0o755)
    key_file(sandbox).parent.mkdir(parents=True, mode=0o700)
    key_file(sandbox).write_bytes(os.urandom(32))
    key_file(sandbox).chmod(0o644)
    result = doctor(sandbox)
    table = assert_table(result)
    assert result.returncode == 1
    assert table["cache directory"] == ("FAIL", run_failure_line(sandbox, "good", {"AWS_ACCESS_KEY_ID": "AKIAX",
                                                                                  "AWS_SECRET_ACCESS_KEY": "s"}))
    assert table["cache key file"][1].endswith(f"{EM_DASH} run: chmod 600 '{key_file(sandbox)}'")
    expect_snapshot("doctor", "insecure-cache.stdout", result.stdout, sandbox)
    assert oct(cache_dir(sandbox).stat().st_mode & 0o777) == "0o755", "doctor changed nothing"


def test_doctor_without_the_shell_hook_warns_with_the_line_to_add(sandbox):
    sandbox.write_config("[profile good]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = Environment\n")
    write_hook(sandbox, '# eval "$(aws-elevate shell-init bash)"\n')
    result = doctor(sandbox)
    table = assert_table(result)
    assert result.returncode == 0, "a missing hook is a warning"
    assert table["shell hook"] == (
        "warn", f"'{sandbox.home}/.bashrc' does not load the shell functions (elevate, unelevate) {EM_DASH} "
                'add this line to it: eval "$(aws-elevate shell-init bash)"')
    zsh = doctor(sandbox, {"SHELL": "/usr/bin/zsh"})
    assert rows(zsh)["shell hook"][1].endswith('eval "$(aws-elevate shell-init zsh)"')
    (sandbox.home / ".zshrc").write_text('eval "$(aws-elevate shell-init zsh)"\n')
    assert rows(doctor(sandbox, {"SHELL": "/usr/bin/zsh"}))["shell hook"] == ("ok", f"'{sandbox.home}/.zshrc' line 1")


INSTANCE_CONFIG = """
    [profile inst-chain]
    role_arn = arn:aws:iam::123456789012:role/admin
    credential_source = Ec2InstanceMetadata
    """


def test_doctor_reaches_the_metadata_service_a_profile_starts_from(sandbox, emulator):
    sandbox.write_config(INSTANCE_CONFIG)
    write_hook(sandbox)
    result = doctor(sandbox, emulator.environment())
    table = assert_table(result)
    assert result.returncode == 0, result
    assert table["instance metadata"] == ("ok", f"'{emulator.endpoint}' hands out IMDSv2 tokens")
    assert [request[:2] for request in emulator.requests()] == [["PUT", "/latest/api/token"]], "one token request"


def test_doctor_fails_an_unreachable_or_hung_metadata_service_within_about_a_second(sandbox, emulator):
    sandbox.write_config(INSTANCE_CONFIG)
    write_hook(sandbox)
    emulator.mode("slow", delay=10)
    hung = doctor(sandbox, emulator.environment())
    table = assert_table(hung)
    assert hung.returncode == 1
    assert table["instance metadata"][0] == "FAIL" and "within 1 s" in table["instance metadata"][1], table
    assert hung.seconds < 2.5, f"doctor took {hung.seconds:.2f} s"
    expect_snapshot("doctor", "imds-hung.stdout", hung.stdout, sandbox, {"imds": emulator.endpoint})

    endpoint = emulator.environment()
    emulator.stop()
    down = doctor(sandbox, endpoint)
    assert_table(down)
    assert down.returncode == 1 and rows(down)["instance metadata"][0] == "FAIL"
    assert down.seconds < 2.5


def test_doctor_skips_the_metadata_service_when_no_profile_uses_it_or_it_is_switched_off(sandbox, emulator):
    sandbox.write_config("[profile good]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = Environment\n")
    write_hook(sandbox)
    endpoint = emulator.environment()
    emulator.stop()
    unused = doctor(sandbox, endpoint)
    assert_table(unused)
    assert unused.returncode == 0
    status, detail = rows(unused)["instance metadata"]
    assert status == "skip" and detail.endswith("; no profile starts from it"), detail
    off = doctor(sandbox)  # the sandbox sets AWS_EC2_METADATA_DISABLED=true
    assert rows(off)["instance metadata"] == ("skip", "not checked: switched off by AWS_EC2_METADATA_DISABLED")


KEYRING_SCRIPT = """
    step auto "$BIN" doctor
    step required env AWS_ELEVATE_CACHE=keyring "$BIN" doctor
    if [ "$LOCK" = 1 ]; then
        lock_default
        step auto-locked "$BIN" doctor
        step required-locked env AWS_ELEVATE_CACHE=keyring "$BIN" doctor
    fi
    if has_service; then echo running >"$OUT/service"; else echo none >"$OUT/service"; fi
"""


@pytest.mark.parametrize("mode", ["unlocked", "nokeyring", "noservice"])
def test_doctor_tells_an_unlocked_a_locked_and_a_missing_keyring_apart_without_starting_one(sandbox, mode):
    sandbox.write_config("[profile good]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = Environment\n")
    env = {"AWS_ELEVATE_CACHE_DIR": str(sandbox.root / "cache"), "XDG_CONFIG_HOME": str(sandbox.root / "config"),
           "LOCK": "1" if mode == "unlocked" else "0", "SHELL": "/bin/bash"}
    out = in_keyring_session(sandbox, mode, KEYRING_SCRIPT, env)
    auto, required = step(out, "auto"), step(out, "required")
    for result in (auto, required):
        assert_table(result)
    if mode == "unlocked":
        assert rows(auto)["keyring"] == ("ok", "a Secret Service answers; its default collection is unlocked")
        assert required.returncode == 0
        locked, required_locked = step(out, "auto-locked"), step(out, "required-locked")
        assert_table(locked)
        assert_table(required_locked)
        assert locked.returncode == 0, "auto falls back to files: a warning"
        remedy = f"{EM_DASH} unlock it (log in to the desktop session, or open Passwords and Keys)"
        assert rows(locked)["keyring"] == (
            "warn", f"the default collection is locked: sessions are cached in the encrypted files meanwhile {remedy}")
        assert required_locked.returncode == 1
        assert rows(required_locked)["keyring"] == ("FAIL", f"the default collection is locked {remedy}")
    else:
        status, detail = rows(auto)["keyring"]
        assert status == "ok" and detail.endswith("sessions are cached in the encrypted files"), detail
        assert required.returncode == 1 and rows(required)["keyring"][0] == "FAIL"
    if mode == "noservice":
        assert (out / "service").read_text() == "none\n", "doctor started a keyring daemon"


def test_doctor_keeps_hostile_profile_names_and_values_on_their_line(sandbox):
    sandbox.write_config(b"[profile evil\x1b]2;x\x07\xe2\x80\xae]\nrole_arn = arn:aws:iam::1:role/\x1b[2J\r\n"
                         b"[profile ok\x1b[31m]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
                         b"credential_source = Environment\n")
    write_hook(sandbox)
    result = doctor(sandbox)
    table = assert_table(result)
    assert result.returncode == 1
    assert not any(byte in result.stdout for byte in (b"\x1b", b"\x07", b"\r")), result
    assert len(table) == len(result.out.split("\n\n")[0].splitlines()) - 1, "one line per check"
    assert [check for check in table if check.startswith("profile ")] == [
        "profile 'evil?]2;x?\u202e'", "profile 'ok?[31m'"]


def test_doctor_warns_of_process_plugins_that_never_run(sandbox, tmp_path):
    sandbox.write_config("[profile good]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = Environment\n")
    write_hook(sandbox)
    assert rows(doctor(sandbox))["process plugins"] == ("ok", "none shadowed")
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, name in ((first, "env"), (first, "keys"), (second, "keys")):
        folder.mkdir(exist_ok=True)
        plugin = folder / f"aws-elevate-plugin-{name}"
        plugin.write_text("#!/bin/sh\nexit 1\n")
        plugin.chmod(0o755)
    result = doctor(sandbox, {"AWS_ELEVATE_PLUGIN_PATH": f"{first}:{second}"})
    assert_table(result)
    assert result.returncode == 0, "a shadowed plugin is a warning"
    lines = [line for line in result.out.splitlines() if line.startswith("process plugins ")]
    assert len(lines) == 2, result.out
    assert f"'{first}/aws-elevate-plugin-env' never runs: built-in plugin 'env'" in lines[0]
    assert f"'{second}/aws-elevate-plugin-keys' never runs: '{first}/aws-elevate-plugin-keys'" in lines[1]
    assert all(line.endswith("drop the folder that shadows it from AWS_ELEVATE_PLUGIN_PATH") for line in lines)
