"""The command-line contract: output documents, help, version, plugins, debug logging and usage errors."""

import re

import pytest

from harness import (
    EXIT_CREDENTIALS,
    EXIT_OK,
    assert_usage_error,
    parse_credential_document,
    parse_env_lines,
)

KEY_ID = "AKIAEXAMPLESTATIC7Q2Z"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYstaticKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN////=="


@pytest.fixture
def static_sandbox(sandbox):
    """[profile static] with region in the config file, its keys in the credentials file."""
    sandbox.write_config("""
        [profile static]
        region = eu-west-2

        [profile plain]
        """)
    sandbox.write_credentials(f"""
        [static]
        aws_access_key_id = {KEY_ID}
        aws_secret_access_key = {SECRET}

        [plain]
        aws_access_key_id = {KEY_ID}
        aws_secret_access_key = {SECRET}

        [with-token]
        aws_access_key_id = {KEY_ID}
        aws_secret_access_key = {SECRET}
        aws_session_token = {TOKEN}
        """)
    return sandbox


# -- credential-process ---------------------------------------------------------------------------------------


def test_credential_process_prints_exactly_the_static_keys_document(static_sandbox):
    result = static_sandbox.run("credential-process", "--profile", "static")
    document = parse_credential_document(result)
    assert document == {"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET}
    assert result.stderr == b""


def test_credential_process_includes_the_session_token_of_temporary_keys(static_sandbox):
    result = static_sandbox.run("credential-process", "--profile", "with-token")
    document = parse_credential_document(result)
    assert document["SessionToken"] == TOKEN
    assert "Expiration" not in document
    assert result.stderr == b""


def test_credential_process_escapes_json_specials_in_values(sandbox):
    secret = 'back\\slash"quoted"/end'
    sandbox.write_credentials(f"[odd]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {secret}\n")
    document = parse_credential_document(sandbox.run("credential-process", "--profile", "odd"))
    assert document["SecretAccessKey"] == secret


@pytest.mark.parametrize("secret", ["with space", "tab\tend", "caf\u00e9"], ids=["space", "tab", "non-ascii"])
def test_credential_process_refuses_a_secret_outside_printable_ascii(sandbox, secret):
    sandbox.write_credentials(f"[odd]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {secret}\n")
    result = sandbox.run("credential-process", "--profile", "odd")
    assert result.returncode == EXIT_CREDENTIALS and result.stdout == b""
    assert "SecretAccessKey" in result.err and secret not in result.err
    assert len(result.err.splitlines()) == 1


@pytest.mark.parametrize("args", [
    ["--profile=static"],
    ["--debug", "--profile", "static"],
    ["--profile", "static", "--debug"],
], ids=["equals-form", "debug-first", "debug-last"])
def test_credential_process_accepts_every_spelling_of_its_options(static_sandbox, args):
    result = static_sandbox.run("credential-process", *args)
    assert parse_credential_document(result) == {"Version": 1, "AccessKeyId": KEY_ID, "SecretAccessKey": SECRET}


def test_a_profile_name_starting_with_a_dash_is_still_a_profile_name(sandbox):
    sandbox.write_credentials(f"[-dash]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n")
    result = sandbox.run("credential-process", "--profile=-dash")
    assert parse_credential_document(result)["AccessKeyId"] == KEY_ID


# -- env --------------------------------------------------------------------------------------------------------


def test_env_prints_single_quoted_exports_and_region(static_sandbox):
    result = static_sandbox.run("env", "--profile", "static", "--shell", "bash")
    assert result.stderr == b"", result
    lines = result.out.splitlines()
    assert f"export AWS_ACCESS_KEY_ID='{KEY_ID}'" in lines
    assert f"export AWS_SECRET_ACCESS_KEY='{SECRET}'" in lines
    assert "unset AWS_SESSION_TOKEN" in lines
    variables = parse_env_lines(result)
    assert variables == {
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": None,
        "AWS_CREDENTIAL_EXPIRATION": None,
        "AWS_ELEVATE_PROFILE": "static",
        "AWS_REGION": "eu-west-2",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }


def test_env_without_a_region_exports_none(static_sandbox):
    variables = parse_env_lines(static_sandbox.run("env", "--profile", "plain", "--shell", "zsh"))
    assert "AWS_REGION" not in variables and "AWS_DEFAULT_REGION" not in variables
    assert variables["AWS_ELEVATE_PROFILE"] == "plain"


def test_env_exports_the_session_token_when_there_is_one(static_sandbox):
    variables = parse_env_lines(static_sandbox.run("env", "--profile", "with-token"))
    assert variables["AWS_SESSION_TOKEN"] == TOKEN


def test_env_prints_the_same_text_for_bash_zsh_and_no_shell(static_sandbox):
    outputs = {
        shell: static_sandbox.run("env", "--profile", "static", *(["--shell", shell] if shell else [])).stdout
        for shell in ("bash", "zsh", None)
    }
    assert outputs["bash"] == outputs["zsh"] == outputs[None]
    assert outputs["bash"].startswith(b"export ")


# -- help, version, plugins --------------------------------------------------------------------------------------


def test_version_prints_a_semantic_version_and_the_commit(sandbox):
    result = sandbox.run("--version")
    assert result.returncode == EXIT_OK, result
    assert re.fullmatch(rb"aws-elevate \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n", result.stdout), result
    assert result.stderr == b""


def test_help_names_the_commands_and_the_exit_codes(sandbox):
    result = sandbox.run("--help")
    assert result.returncode == EXIT_OK, result
    for word in ("credential-process", "env", "plugins", "64"):
        assert word in result.out, result


def test_credential_process_help_shows_how_to_configure_it(sandbox):
    result = sandbox.run("credential-process", "--help")
    assert result.returncode == EXIT_OK, result
    assert "credential_process = aws-elevate credential-process --profile" in result.out, result


def test_plugins_lists_the_builtin_sources(sandbox):
    result = sandbox.run("plugins")
    assert result.returncode == EXIT_OK, result
    lines = result.out.splitlines()
    assert lines[0] == "source plugins:", result
    names = {line.split()[0] for line in lines if line.startswith("  ") and line.strip() != "(none)"}
    assert {"env", "profile"} <= names, result
    assert "elevation plugins:" in lines, result


# -- debug logging ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "environment"])
@pytest.mark.parametrize("command", ["credential-process", "env"])
def test_debug_explains_on_stderr_with_masked_keys_and_no_secrets(static_sandbox, command, how):
    args = [command, "--profile", "with-token"]
    if how == "flag":
        result = static_sandbox.run(*args, "--debug")
    else:
        result = static_sandbox.run(*args, env={"AWS_ELEVATE_DEBUG": "1"})
    if command == "credential-process":
        assert parse_credential_document(result)["AccessKeyId"] == KEY_ID
    else:
        assert parse_env_lines(result)["AWS_ACCESS_KEY_ID"] == KEY_ID
    lines = result.err.splitlines()
    assert lines, "debug printed nothing"
    assert all(line.startswith("aws-elevate: ") for line in lines), result
    assert any("debug" in line for line in lines), result
    assert "****" + KEY_ID[-4:] in result.err, result
    for secret in (KEY_ID, SECRET, TOKEN):
        assert secret not in result.err, f"{secret!r} leaked to stderr"


def test_without_debug_stderr_stays_empty(static_sandbox):
    result = static_sandbox.run("credential-process", "--profile", "static", env={"AWS_ELEVATE_DEBUG": "0"})
    parse_credential_document(result)
    assert result.stderr == b""


# -- usage errors --------------------------------------------------------------------------------------------------


def test_credential_process_without_profile_is_a_usage_error(static_sandbox):
    assert_usage_error(static_sandbox.run("credential-process"), "--profile")


def test_an_empty_profile_name_is_a_usage_error(static_sandbox):
    assert_usage_error(static_sandbox.run("credential-process", "--profile", ""), "--profile")


def test_an_unsupported_shell_is_a_usage_error_naming_it(static_sandbox):
    assert_usage_error(static_sandbox.run("env", "--profile", "static", "--shell", "fish"), "'fish'")


def test_an_unknown_subcommand_is_a_usage_error(sandbox):
    assert_usage_error(sandbox.run("elevate-everything"))


def test_an_unknown_option_is_a_usage_error(sandbox):
    assert_usage_error(sandbox.run("credential-process", "--profile", "static", "--no-such-option"))
