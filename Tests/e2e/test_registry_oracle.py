"""botocore as the oracle for the `credential_source` values: every value its assume-role provider accepts is served
by a registered source plugin of the built binary, and a value it refuses is refused too.

Each source is pointed at something on loopback that fails fast (no keys in the environment, a closed port for the
metadata service and the container endpoint), so a run shows how the value resolved without reaching anything.
"""

from __future__ import annotations

import socket

import pytest

from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, assert_failure


def botocore_credential_sources() -> list[str]:
    """The canonical names botocore's CanonicalNameCredentialSourcer accepts for credential_source."""
    import botocore.session

    resolver = botocore.session.Session().get_component("credential_provider")
    sourcer = resolver.get_provider("assume-role")._credential_sourcer
    return sorted(provider.CANONICAL_NAME for provider in sourcer._providers)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_botocore_accepts_the_three_values_the_unit_tests_walk():
    # Tests/ElevateCommandsTests/ResolutionRegistryTests.swift walks this list; it must be botocore's.
    assert botocore_credential_sources() == ["Ec2InstanceMetadata", "EcsContainer", "Environment"]


@pytest.mark.parametrize("value", botocore_credential_sources())
@pytest.mark.parametrize("with_role", [True, False], ids=["role_arn", "alone"])
def test_every_value_botocore_accepts_reaches_a_registered_source(sandbox, value, with_role):
    role = "role_arn = arn:aws:iam::123456789012:role/x\n" if with_role else ""
    sandbox.write_config(f"[profile p]\n{role}credential_source = {value}\n")
    port = closed_port()
    result = sandbox.run("credential-process", "--profile", "p", env={
        "AWS_EC2_METADATA_DISABLED": "false",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://127.0.0.1:{port}",
        "AWS_METADATA_SERVICE_TIMEOUT": "1",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{port}/creds",
        "AWS_ELEVATE_CACHE": "none",
    })
    # The source ran and failed to get credentials (exit 1), rather than the plan failing to resolve (exit 2).
    line = assert_failure(result, "p", EXIT_CREDENTIALS)
    assert "plugin" not in line and "not a known source" not in line, line


@pytest.mark.parametrize("value", ["environment", "SharedConfig", "ecsContainer"])
def test_a_value_botocore_refuses_is_refused(sandbox, value):
    assert value not in botocore_credential_sources()
    sandbox.write_config(f"[profile p]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = {value}\n")
    assert_failure(sandbox.run("credential-process", "--profile", "p"), "p", EXIT_CONFIGURATION,
                   "is not a known source")


SSO_SESSION = ("[sso-session corp]\nsso_start_url = https://corp.example.awsapps.com/start\n"
               "sso_region = eu-west-1\n")


@pytest.mark.parametrize("settings", [
    "sso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Admin\n",
    "sso_start_url = https://legacy.example.awsapps.com/start\nsso_region = us-east-1\n"
    "sso_account_id = 123456789012\nsso_role_name = Admin\n",
], ids=["sso_session", "legacy"])
@pytest.mark.parametrize("as_source", [False, True], ids=["alone", "source_profile"])
def test_regression_issue11_sso_settings_reach_the_sso_source_as_botocores_sso_provider(sandbox, settings, as_source):
    """The resolver reported sso_account_id / sso_role_name as unsupported. botocore gives such a profile to its SSO
    provider; so must the registry, alone and as a source profile: with no token cached, the source runs and asks
    for a login (exit 1), rather than the plan failing to resolve (exit 2)."""
    chained = "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = p\n" if as_source else ""
    sandbox.write_config(f"[profile p]\n{settings}{chained}{SSO_SESSION}")
    requested = "app" if as_source else "p"
    result = sandbox.run("credential-process", "--profile", requested, env={"AWS_ELEVATE_CACHE": "none"})
    assert_failure(result, requested, EXIT_CREDENTIALS, "no SSO token is cached", "run aws sso login")
    import botocore.session

    session = botocore.session.Session(profile="p")
    session.set_config_variable("config_file", str(sandbox.config))
    providers = session.get_component("credential_provider").get_provider("sso")
    assert providers.load() is not None, "botocore's SSO provider takes the same profile"
