"""Bad input: each case is one clear stderr line `aws-elevate: profile 'NAME': problem — remedy`, an empty stdout,
and exit 2 for configuration errors (1 for credentials that could not be obtained)."""

import pytest

from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, assert_failure

ROLE = "arn:aws:iam::123456789012:role/admin"
KEYS = "aws_access_key_id = AKIAEXAMPLEBADINPUT\naws_secret_access_key = bad-input-secret\n"


# -- files ------------------------------------------------------------------------------------------------------


def test_a_missing_profile_names_the_files_searched(sandbox):
    sandbox.write_config("[profile other]\nregion = us-east-1\n")
    sandbox.write_credentials("[other]\n" + KEYS)
    result = sandbox.run("credential-process", "--profile", "nope")
    assert_failure(result, "nope", EXIT_CONFIGURATION, str(sandbox.config), str(sandbox.credentials))


def test_missing_config_and_credentials_files_are_named(sandbox):
    env = {"AWS_CONFIG_FILE": str(sandbox.root / "no-config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(sandbox.root / "no-credentials")}
    result = sandbox.run("credential-process", "--profile", "app", env=env)
    assert_failure(result, "app", EXIT_CONFIGURATION, "no-config", "no-credentials")


def test_a_directory_as_config_file_is_unreadable(sandbox):
    directory = sandbox.root / "config-is-a-directory"
    directory.mkdir()
    sandbox.write_credentials("[app]\n" + KEYS)
    result = sandbox.run("credential-process", "--profile", "app", env={"AWS_CONFIG_FILE": str(directory)})
    assert_failure(result, "app", EXIT_CONFIGURATION, f"'{directory}'")


def test_a_directory_as_credentials_file_is_unreadable_for_env_too(sandbox):
    directory = sandbox.root / "credentials-dir"
    directory.mkdir()
    sandbox.write_config("[profile app]\n" + KEYS)
    result = sandbox.run("env", "--profile", "app", env={"AWS_SHARED_CREDENTIALS_FILE": str(directory)})
    assert_failure(result, "app", EXIT_CONFIGURATION, f"'{directory}'")


def test_a_ten_megabyte_config_is_rejected_unread(sandbox):
    filler = ("# " + "x" * 1022 + "\n") * (10 * 1024)
    sandbox.write_config("[profile app]\n" + KEYS + filler)
    assert sandbox.config.stat().st_size > 10_000_000
    result = sandbox.run("credential-process", "--profile", "app")
    line = assert_failure(result, "app", EXIT_CONFIGURATION, str(sandbox.config))
    assert "4194304" in line or "4 MiB" in line, "the message should state the limit"


@pytest.mark.parametrize("which", ["config", "credentials"])
def test_non_utf8_bytes_are_rejected_with_file_and_line(sandbox, which):
    bad = b"[profile app]\nregion = us-east-1\nregion_note = caf\xe9 \xff\xfe\n"
    if which == "config":
        sandbox.write_config(bad)
        sandbox.write_credentials("[app]\n" + KEYS)
        path = sandbox.config
    else:
        sandbox.write_config("[profile app]\n" + KEYS)
        sandbox.write_credentials(bad.replace(b"[profile app]", b"[app]"))
        path = sandbox.credentials
    result = sandbox.run("credential-process", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, f"{path}:3", "UTF-8")


# -- INI structure -------------------------------------------------------------------------------------------------


def test_a_duplicate_section_is_named_with_its_line(sandbox):
    sandbox.write_config("[profile app]\nregion = us-east-1\n\n[profile app]\nregion = eu-west-1\n")
    sandbox.write_credentials("[app]\n" + KEYS)
    result = sandbox.run("credential-process", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, f"{sandbox.config}:4", "profile app")


def test_a_duplicate_section_in_the_credentials_file_is_named(sandbox):
    sandbox.write_credentials("[app]\n" + KEYS + "[app]\n" + KEYS)
    result = sandbox.run("env", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, f"{sandbox.credentials}:4", "[app]")


def test_a_duplicate_key_is_named(sandbox):
    sandbox.write_credentials("[app]\n" + KEYS + "AWS_ACCESS_KEY_ID = AKIASECONDKEY\n")
    result = sandbox.run("credential-process", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, f"{sandbox.credentials}:4", "aws_access_key_id")


def test_a_setting_before_any_section_is_rejected(sandbox):
    sandbox.write_config("region = us-east-1\n[profile app]\n" + KEYS)
    result = sandbox.run("credential-process", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, f"{sandbox.config}:1")


# -- profile semantics -----------------------------------------------------------------------------------------------


def test_a_source_profile_cycle_lists_the_visited_profiles(sandbox):
    sandbox.write_config(f"""
        [profile loop-one]
        role_arn = {ROLE}
        source_profile = loop-two

        [profile loop-two]
        role_arn = {ROLE}
        source_profile = loop-three

        [profile loop-three]
        role_arn = {ROLE}
        source_profile = loop-one
        """)
    result = sandbox.run("credential-process", "--profile", "loop-one")
    line = assert_failure(result, "loop-one", EXIT_CONFIGURATION, "source_profile", "'loop-two'", "'loop-three'")
    assert line.count("'loop-one'") >= 2, "the loop must be listed from the profile asked for back to it"


def test_a_missing_source_profile_is_named(sandbox):
    sandbox.write_config(f"[profile app]\nrole_arn = {ROLE}\nsource_profile = not-there\n")
    result = sandbox.run("credential-process", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, "'not-there'")


def test_role_arn_with_both_source_profile_and_credential_source(sandbox):
    sandbox.write_config(f"""
        [profile app]
        role_arn = {ROLE}
        source_profile = base
        credential_source = Environment

        [profile base]
        {KEYS.splitlines()[0]}
        {KEYS.splitlines()[1]}
        """)
    result = sandbox.run("credential-process", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, "source_profile", "credential_source")


def test_role_arn_with_neither_source_profile_nor_credential_source(sandbox):
    sandbox.write_config(f"[profile app]\nrole_arn = {ROLE}\n")
    result = sandbox.run("credential-process", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, "role_arn", "source_profile", "credential_source")


def test_an_unknown_credential_source_is_quoted_with_the_known_ones(sandbox):
    sandbox.write_config(f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Ec2Metadata\n")
    result = sandbox.run("credential-process", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, "'Ec2Metadata'", "Environment", "Ec2InstanceMetadata")


@pytest.mark.parametrize("present, missing", [
    ("aws_access_key_id = AKIAONLYTHEKEYID", "aws_secret_access_key"),
    ("aws_secret_access_key = only-the-secret", "aws_access_key_id"),
])
def test_a_key_pair_missing_one_half_names_the_missing_key(sandbox, present, missing):
    sandbox.write_credentials(f"[half]\n{present}\n")
    result = sandbox.run("credential-process", "--profile", "half")
    assert_failure(result, "half", EXIT_CONFIGURATION, missing)
    assert "only-the-secret" not in result.err, "a secret was echoed"


@pytest.mark.parametrize("key", ["aws_access_key_id", "aws_secret_access_key", "role_arn", "source_profile"])
def test_an_empty_value_names_the_key(sandbox, key):
    values = {
        "aws_access_key_id": "AKIAEXAMPLEEMPTY",
        "aws_secret_access_key": "empty-test-secret",
        "role_arn": ROLE,
        "source_profile": "base",
    }
    values[key] = ""
    if key in ("aws_access_key_id", "aws_secret_access_key"):
        text = f"[profile app]\naws_access_key_id = {values['aws_access_key_id']}\n" \
               f"aws_secret_access_key = {values['aws_secret_access_key']}\n"
    else:
        text = f"[profile app]\nrole_arn = {values['role_arn']}\nsource_profile = {values['source_profile']}\n" \
               f"[profile base]\n{KEYS}"
    sandbox.write_config(text)
    result = sandbox.run("credential-process", "--profile", "app")
    assert_failure(result, "app", EXIT_CONFIGURATION, key)
    assert "empty-test-secret" not in result.err, "a secret was echoed"


def test_a_profile_without_any_credentials_says_what_it_looked_for(sandbox):
    sandbox.write_config("[profile bare]\nregion = us-east-1\n")
    result = sandbox.run("credential-process", "--profile", "bare")
    assert_failure(result, "bare", EXIT_CONFIGURATION, "role_arn", "aws_access_key_id")


# -- credentials from the environment (exit 1: the configuration is fine, the credentials are not there) -------------


ENV_SECRET = "env-secret-never-echoed"


@pytest.mark.parametrize("environment, words", [
    ({}, ["AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"]),
    ({"AWS_ACCESS_KEY_ID": "AKIAONLYID"}, ["AWS_SECRET_ACCESS_KEY"]),
    ({"AWS_SECRET_ACCESS_KEY": ENV_SECRET}, ["AWS_ACCESS_KEY_ID"]),
    ({"AWS_ACCESS_KEY_ID": "AKIAEMPTYSECRET", "AWS_SECRET_ACCESS_KEY": ""}, ["AWS_SECRET_ACCESS_KEY", "empty"]),
    ({"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ENV_SECRET}, ["AWS_ACCESS_KEY_ID", "empty"]),
    ({"AWS_ACCESS_KEY_ID": "AKIABADEXPIRY", "AWS_SECRET_ACCESS_KEY": ENV_SECRET,
      "AWS_CREDENTIAL_EXPIRATION": "next tuesday"}, ["AWS_CREDENTIAL_EXPIRATION", "'next tuesday'"]),
], ids=["none-set", "only-key-id", "only-secret", "empty-secret", "empty-key-id", "bad-expiration"])
@pytest.mark.parametrize("command", ["credential-process", "env"])
def test_environment_credential_problems_exit_1(sandbox, environment, words, command):
    sandbox.write_config(f"[profile from-env]\ncredential_source = Environment\n")
    result = sandbox.run(command, "--profile", "from-env", env=environment)
    assert_failure(result, "from-env", EXIT_CREDENTIALS, *words)
    assert ENV_SECRET not in result.err, "a secret was echoed"


# -- recursion into ourselves ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("program", ["name", "absolute-path", "symlink"])
def test_a_profile_whose_credential_process_runs_aws_elevate_is_refused(sandbox, program):
    if program == "name":
        command = "aws-elevate"
    elif program == "absolute-path":
        command = str(sandbox.binary)
    else:
        link = sandbox.root / "bin" / "elevate-link"
        link.parent.mkdir()
        link.symlink_to(sandbox.binary)
        command = str(link)
    sandbox.write_config(f"[profile itself]\ncredential_process = {command} credential-process --profile itself\n")
    result = sandbox.run("credential-process", "--profile", "itself", timeout=20)
    assert_failure(result, "itself", EXIT_CONFIGURATION, "credential_process")


def test_a_source_profile_whose_credential_process_runs_aws_elevate_is_refused(sandbox):
    sandbox.write_config(f"""
        [profile app]
        credential_process = aws-elevate credential-process --profile app-chain

        [profile app-chain]
        role_arn = {ROLE}
        source_profile = app
        """)
    result = sandbox.run("credential-process", "--profile", "app-chain", timeout=20)
    assert_failure(result, "app-chain", EXIT_CONFIGURATION, "credential_process", "'app'")


def test_a_foreign_credential_process_that_prints_no_document_is_one_clear_line(sandbox):
    marker = sandbox.root / "ran"
    sandbox.write_config(f"[profile other]\ncredential_process = /usr/bin/touch {marker}\n")
    result = sandbox.run("credential-process", "--profile", "other")
    assert_failure(result, "other", EXIT_CREDENTIALS, "'/usr/bin/touch'", "not a JSON credential document")
    assert marker.exists(), "the program ran, as botocore runs it"


def test_expired_environment_credentials_exit_1_naming_the_time(sandbox):
    # Regression: expired keys used to be printed with exit 0, and the SDK then failed with "still expired".
    sandbox.write_config("[profile from-env]\ncredential_source = Environment\n")
    result = sandbox.run("credential-process", "--profile", "from-env", env={
        "AWS_ACCESS_KEY_ID": "ASIAEXPIRED", "AWS_SECRET_ACCESS_KEY": ENV_SECRET, "AWS_SESSION_TOKEN": "token",
        "AWS_CREDENTIAL_EXPIRATION": "2001-01-01T00:00:00Z"})
    assert_failure(result, "from-env", EXIT_CREDENTIALS, "expired at 2001-01-01T00:00:00Z")
