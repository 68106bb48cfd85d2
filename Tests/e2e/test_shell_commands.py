"""The commands behind the shell integration: `shell-init` prints shell/aws-elevate.sh byte for byte (sourcing it by
path stays the same thing), `profiles` lists names fast and with no heavy library loaded, `completion` prints
swift-argument-parser's scripts, and `env --no-prompt` refuses to ask for an MFA code in one line."""

import subprocess

import pytest

from harness import REPO

FUNCTIONS = REPO / "shell" / "aws-elevate.sh"
HEAVY = ("libcurl", "libxml2", "libsecret", "libgio", "libglib", "libcrypto")


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_shell_init_prints_the_shipped_file_byte_for_byte(sandbox, shell_name):
    result = sandbox.run("shell-init", shell_name)
    assert result.returncode == 0 and result.err == "", result
    assert result.stdout == FUNCTIONS.read_bytes()


def test_shell_init_refuses_other_shells(sandbox):
    result = sandbox.run("shell-init", "fish")
    assert result.returncode == 64 and result.stdout == b""
    assert "'fish' is not a supported shell" in result.err


def test_profiles_lists_names_one_a_line_and_chains(sandbox):
    sandbox.write_config("[profile b-chain]\nrole_arn = arn:aws:iam::123456789012:role/B\nsource_profile = a\n"
                         "[profile \"q'uote $(touch canary)\"]\ncredential_source = Environment\n"
                         "[default]\nregion = eu-west-1\n[sso-session s]\nsso_region = x\n")
    sandbox.write_credentials("[a]\naws_access_key_id = AKID\naws_secret_access_key = s\n[c'\u0301]\n")
    result = sandbox.run("profiles", env={"LD_DEBUG": "files"})
    assert result.returncode == 0
    assert result.out == "a\nb-chain\nc'\u0301\ndefault\nq'uote $(touch canary)\n"
    opened = "\n".join(line for line in result.err.splitlines() if "file=" in line)
    assert "libc.so" in opened
    for library in HEAVY:
        assert library not in opened, f"profiles loaded {library}"
    chains = sandbox.run("profiles", "--chains")
    assert chains.out == "b-chain\nq'uote $(touch canary)\n"
    assert not (sandbox.root / "canary").exists()


def test_profiles_reports_a_broken_config_in_one_line(sandbox):
    sandbox.write_config("[profile a\nregion = x\n")
    result = sandbox.run("profiles")
    assert result.returncode == 2 and result.stdout == b""
    assert len(result.err.splitlines()) == 1 and result.err.startswith("aws-elevate: profiles: "), result


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_completion_prints_a_script_the_shell_reads(sandbox, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    result = sandbox.run("completion", shell_name)
    assert result.returncode == 0 and "shell-init" in result.out and "profiles" in result.out
    check = subprocess.run([shell, "-n"], input=result.stdout, capture_output=True, timeout=30)
    assert check.returncode == 0, check.stderr


def test_env_no_prompt_refuses_an_mfa_hop_in_one_line(sandbox):
    sandbox.write_config("[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/B\nsource_profile = base\n"
                         "mfa_serial = arn:aws:iam::123456789012:mfa/someone\n")
    sandbox.write_credentials("[base]\naws_access_key_id = AKID\naws_secret_access_key = s\n")
    result = sandbox.run("env", "--profile", "mfa", "--no-prompt", env={"AWS_ELEVATE_CACHE": "none"})
    assert result.returncode == 1 and result.stdout == b""
    assert len(result.err.splitlines()) == 1
    assert "needs an MFA code and --no-prompt forbids asking for one" in result.err
