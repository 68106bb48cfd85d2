"""The loopback IAM Identity Center emulator (Tests/support/sso_emulator.py) as a test peer, the AWS CLI's token
cache files it accepts, and the permission set role it hands out: a real moto session, so that hops after it are
checked by moto."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import pytest

from harness import moto_peer
from sts_harness import LoopbackProcess

ACCOUNT = moto_peer.ACCOUNT_ID
ROLE_NAME = "PowerUser"
SESSION = "corp"
START_URL = "https://corp.example.awsapps.com/start"
LEGACY_URL = "https://legacy.example.awsapps.com/start"
CLIENT_ID = "client-id-emulated"
CLIENT_SECRET = "client-secret-never-shown"
REFRESH_TOKEN = "refresh-token-never-shown"

SESSION_PROFILE = f"""\
[profile dev]
sso_session = {SESSION}
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE_NAME}
region = us-east-1

[sso-session {SESSION}]
sso_start_url = {START_URL}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
"""

LEGACY_PROFILE = f"""\
[profile old]
sso_start_url = {LEGACY_URL}
sso_region = us-east-1
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE_NAME}
"""


def utc(offset_seconds: float) -> str:
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def token_path(home: Path, key: str) -> Path:
    """botocore's SSOTokenLoader file for `key` (the session name, or the start URL of the legacy form)."""
    return home / ".aws" / "sso" / "cache" / (hashlib.sha1(key.encode()).hexdigest() + ".json")


def write_token(home: Path, key: str, access_token: str, expires_in: float, *, start_url: str = START_URL,
                region: str = "eu-west-1", registration_in: float = 90 * 86400, refresh: bool = True) -> Path:
    """A token file as `aws sso login` writes it."""
    document = {"startUrl": start_url, "region": region, "accessToken": access_token, "expiresAt": utc(expires_in)}
    if refresh:
        document.update({"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                         "registrationExpiresAt": utc(registration_in), "refreshToken": REFRESH_TOKEN})
    path = token_path(home, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path


class SSOEmulator(LoopbackProcess):
    def __init__(self):
        super().__init__("sso_emulator.py")

    def role(self, credentials: dict, account: str = ACCOUNT, role: str = ROLE_NAME) -> dict:
        """Serves a moto AssumeRole `Credentials` dict as the permission set's roleCredentials."""
        served = {"accessKeyId": credentials["AccessKeyId"], "secretAccessKey": credentials["SecretAccessKey"],
                  "sessionToken": credentials["SessionToken"],
                  "expiration": int(credentials["Expiration"].timestamp() * 1000) + 789}
        self.request("POST", "/_emulator/role", {"account": account, "role": role, "credentials": served})
        return served

    def token(self, access_token: str, expires_at: float | None = None) -> None:
        document = {"accessToken": access_token}
        if expires_at is not None:
            document["expiresAt"] = expires_at
        self.request("POST", "/_emulator/token", document)

    def client(self, **settings) -> None:
        document = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "refreshToken": REFRESH_TOKEN}
        document.update(settings)
        self.request("POST", "/_emulator/client", document)

    def mode(self, service: str, mode: str, count: int = 1, status: int = 200) -> None:
        self.request("POST", "/_emulator/mode", {"service": service, "mode": mode, "count": count, "status": status})

    def requests(self) -> list:
        """[method, path, bearer token, status] of every request to the services."""
        return self.request("GET", "/_emulator/requests")

    def reset(self) -> None:
        self.request("POST", "/_emulator/reset")

    def environment(self, **extra: str) -> dict[str, str]:
        """Both services at the emulator, by their service-specific variables."""
        environment = {"AWS_ENDPOINT_URL_SSO": self.url, "AWS_ENDPOINT_URL_SSO_OIDC": self.url}
        environment.update(extra)
        return environment


@pytest.fixture
def sso():
    emulator = SSOEmulator()
    try:
        yield emulator
    finally:
        emulator.stop()
