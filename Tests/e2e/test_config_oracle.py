"""Proves that Tests/ElevateConfigTests/Fixtures/ini-cases.json states botocore's meaning.

Every case is written to real files and read by the installed botocore, through the same path an SDK takes:
``botocore.session.Session().full_config['profiles']`` (configloader.load_config for the config file, then
raw_config_parse for the credentials file merged key by key). The Swift tests check ElevateConfig against the same
fixture, so the two together show that ElevateConfig reads these files as botocore does.

Run: python3 -m pytest Tests/e2e/test_config_oracle.py
"""

import json
import pathlib

import botocore.configprovider
import botocore.exceptions
import botocore.session
import pytest

FIXTURE = pathlib.Path(__file__).resolve().parents[1] / "ElevateConfigTests" / "Fixtures" / "ini-cases.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))


def file_text(value):
    """A case gives a file as one string, or as a list of lines (joined with newlines)."""
    if isinstance(value, list):
        return "\n".join(value) + "\n"
    return value


def full_profiles(tmp_path, monkeypatch, case):
    config = tmp_path / "config"
    credentials = tmp_path / "credentials"
    # newline="" writes the text byte for byte, so CR and CRLF cases reach botocore unchanged.
    if "config" in case:
        config.write_text(file_text(case["config"]), encoding="utf-8", newline="")
    if "credentials" in case:
        credentials.write_text(file_text(case["credentials"]), encoding="utf-8", newline="")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return botocore.session.Session().full_config["profiles"]


def service_endpoint(profile: str, service: str):
    """endpoint_url of `service` in the [services NAME] section `profile` names, as botocore's
    ConfiguredEndpointProvider reads it; "missing" when the named section does not exist."""
    session = botocore.session.Session(profile=profile)
    provider = botocore.configprovider.ConfiguredEndpointProvider(
        full_config=session.full_config, scoped_config=session.get_scoped_config(), client_name=service, environ={})
    try:
        return provider._get_endpoint_url_config_service()
    except botocore.exceptions.InvalidConfigError:
        return "missing"


def test_fixture_has_enough_cases():
    assert len(CASES) >= 30
    assert len({case["name"] for case in CASES}) == len(CASES), "case names must be unique"


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_botocore_agrees_with_fixture(case, tmp_path, monkeypatch):
    if case.get("expect_error"):
        with pytest.raises(botocore.exceptions.ConfigParseError) as raised:
            full_profiles(tmp_path, monkeypatch, case)
        expected_file = case["error_at"].split(":")[0]
        assert pathlib.Path(raised.value.kwargs["path"]).name == expected_file
    else:
        assert full_profiles(tmp_path, monkeypatch, case) == case["expect"]["profiles"]
        for profile, services in case["expect"].get("service_endpoints", {}).items():
            for service, expected in services.items():
                assert service_endpoint(profile, service) == expected, (profile, service)
