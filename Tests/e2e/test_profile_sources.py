"""Where base credentials come from: static keys in the shared files, or the environment (credential_source)."""

import pytest

from harness import parse_credential_document, parse_env_lines

CRED_KEY, CRED_SECRET = "AKIAFROMCREDENTIALS1", "secret-from-credentials-file"
CONF_KEY, CONF_SECRET = "AKIAFROMCONFIGFILE01", "secret-from-config-file"
ENV_KEY, ENV_SECRET, ENV_TOKEN = "AKIAFROMENVIRONMENT1", "secret/from+environment", "token-from-environment"


# -- static keys ---------------------------------------------------------------------------------------------------


def test_static_keys_in_the_config_file(sandbox):
    sandbox.write_config(f"[profile cfg]\naws_access_key_id = {CONF_KEY}\naws_secret_access_key = {CONF_SECRET}\n")
    document = parse_credential_document(sandbox.run("credential-process", "--profile", "cfg"))
    assert (document["AccessKeyId"], document["SecretAccessKey"]) == (CONF_KEY, CONF_SECRET)


def test_the_credentials_file_wins_over_the_config_file(sandbox):
    sandbox.write_config(f"""
        [profile both]
        aws_access_key_id = {CONF_KEY}
        aws_secret_access_key = {CONF_SECRET}
        region = eu-central-1
        """)
    sandbox.write_credentials(f"[both]\naws_access_key_id = {CRED_KEY}\naws_secret_access_key = {CRED_SECRET}\n")
    result = sandbox.run("env", "--profile", "both")
    variables = parse_env_lines(result)
    assert (variables["AWS_ACCESS_KEY_ID"], variables["AWS_SECRET_ACCESS_KEY"]) == (CRED_KEY, CRED_SECRET)
    assert variables["AWS_REGION"] == "eu-central-1", "the config file's other keys still apply"


def test_the_default_profile_is_a_plain_default_section(sandbox):
    sandbox.write_config("[default]\nregion = sa-east-1\n")
    sandbox.write_credentials(f"[default]\naws_access_key_id = {CRED_KEY}\naws_secret_access_key = {CRED_SECRET}\n")
    variables = parse_env_lines(sandbox.run("env"))
    assert variables["AWS_ELEVATE_PROFILE"] == "default"
    assert variables["AWS_ACCESS_KEY_ID"] == CRED_KEY
    assert variables["AWS_REGION"] == "sa-east-1"


@pytest.mark.parametrize("environment, expected", [
    ({}, "default"),
    ({"AWS_PROFILE": "by-profile"}, "by-profile"),
    ({"AWS_DEFAULT_PROFILE": "by-default-profile", "AWS_PROFILE": "by-profile"}, "by-default-profile"),
    ({"AWS_DEFAULT_PROFILE": "", "AWS_PROFILE": "by-profile"}, "by-profile"),
])
def test_env_picks_the_profile_as_botocore_does(sandbox, environment, expected):
    sandbox.write_credentials("".join(
        f"[{name}]\naws_access_key_id = AKIA{index:016d}\naws_secret_access_key = secret-of-{name}\n"
        for index, name in enumerate(["default", "by-profile", "by-default-profile"])
    ))
    variables = parse_env_lines(sandbox.run("env", env=environment))
    assert variables["AWS_ELEVATE_PROFILE"] == expected
    assert variables["AWS_SECRET_ACCESS_KEY"] == f"secret-of-{expected}"


def test_an_explicit_profile_beats_the_environment(sandbox):
    sandbox.write_credentials(
        "[chosen]\naws_access_key_id = AKIACHOSEN\naws_secret_access_key = chosen\n"
        "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n")
    variables = parse_env_lines(sandbox.run("env", "--profile", "chosen", env={"AWS_PROFILE": "other"}))
    assert variables["AWS_ACCESS_KEY_ID"] == "AKIACHOSEN"


# -- credential_source = Environment -----------------------------------------------------------------------------------


@pytest.fixture
def env_profile(sandbox):
    sandbox.write_config("[profile from-env]\ncredential_source = Environment\nregion = eu-north-1\n")
    return sandbox


def test_environment_source_long_term_keys(env_profile):
    result = env_profile.run("credential-process", "--profile", "from-env",
                             env={"AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET})
    assert parse_credential_document(result) == {"Version": 1, "AccessKeyId": ENV_KEY, "SecretAccessKey": ENV_SECRET}
    assert result.stderr == b""


def test_environment_source_temporary_keys_with_expiration_in_utc(env_profile):
    result = env_profile.run("credential-process", "--profile", "from-env", env={
        "AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET, "AWS_SESSION_TOKEN": ENV_TOKEN,
        "AWS_CREDENTIAL_EXPIRATION": "2031-06-30T23:30:15.250+02:00",
    })
    assert parse_credential_document(result) == {
        "Version": 1, "AccessKeyId": ENV_KEY, "SecretAccessKey": ENV_SECRET, "SessionToken": ENV_TOKEN,
        "Expiration": "2031-06-30T21:30:15Z",
    }


def test_environment_source_reads_the_older_security_token_variable(env_profile):
    result = env_profile.run("credential-process", "--profile", "from-env", env={
        "AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET, "AWS_SECURITY_TOKEN": ENV_TOKEN})
    assert parse_credential_document(result)["SessionToken"] == ENV_TOKEN


def test_environment_source_through_env_exports_expiration_and_region(env_profile):
    result = env_profile.run("env", "--profile", "from-env", "--shell", "bash", env={
        "AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET, "AWS_SESSION_TOKEN": ENV_TOKEN,
        "AWS_CREDENTIAL_EXPIRATION": "2031-01-01T00:00:00Z",
    })
    assert parse_env_lines(result) == {
        "AWS_ACCESS_KEY_ID": ENV_KEY,
        "AWS_SECRET_ACCESS_KEY": ENV_SECRET,
        "AWS_SESSION_TOKEN": ENV_TOKEN,
        "AWS_CREDENTIAL_EXPIRATION": "2031-01-01T00:00:00Z",
        "AWS_ELEVATE_PROFILE": "from-env",
        "AWS_REGION": "eu-north-1",
        "AWS_DEFAULT_REGION": "eu-north-1",
    }


def test_environment_source_ignores_static_keys_of_other_profiles(env_profile):
    env_profile.write_credentials("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default\n")
    result = env_profile.run("credential-process", "--profile", "from-env",
                             env={"AWS_ACCESS_KEY_ID": ENV_KEY, "AWS_SECRET_ACCESS_KEY": ENV_SECRET})
    assert parse_credential_document(result)["AccessKeyId"] == ENV_KEY
