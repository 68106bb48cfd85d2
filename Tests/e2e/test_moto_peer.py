"""The peer is real: moto_server checks signatures and trust policies, so a pass against it means something."""

import socket

import pytest
from botocore.exceptions import ClientError

from harness import moto_peer


def error_code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_moto_accepts_real_keys_and_rejects_a_wrong_secret(moto, unique):
    user = moto.create_user(unique)
    moto.verify_signature_checking(user)  # raises unless a wrong secret gets SignatureDoesNotMatch
    assert moto.client_for("sts", user).get_caller_identity()["Arn"] == user.arn


def test_moto_rejects_an_unknown_access_key(moto):
    with pytest.raises(ClientError) as excinfo:
        moto.client("sts", "AKIAUNKNOWNKEY000000", "secret").get_caller_identity()
    assert error_code(excinfo) == "InvalidClientTokenId"


def test_moto_is_on_a_loopback_port(moto):
    assert moto.url.startswith("http://127.0.0.1:")
    assert moto.port and moto.port > 0


def test_seeded_chain_admits_exactly_the_named_sessions(moto, unique):
    chain = moto.seed_chain(unique, instance_session="i-0123456789abcdef0", a_session="elevate-a")
    provisioner = chain["user"]
    keys = {"AccessKeyId": provisioner.access_key_id, "SecretAccessKey": provisioner.secret_access_key}

    instance = moto.assume_role(keys, chain["instance"].arn, "i-0123456789abcdef0")["Credentials"]
    role_a = moto.assume_role(instance, chain["role_a"].arn, "elevate-a")
    assert role_a["AssumedRoleUser"]["Arn"] == moto_peer.session_arn(chain["role_a"].name, "elevate-a")
    role_b = moto.assume_role(role_a["Credentials"], chain["role_b"].arn, "elevate-b")
    assert role_b["AssumedRoleUser"]["Arn"] == moto_peer.session_arn(chain["role_b"].name, "elevate-b")

    # Role B trusts only role A's session "elevate-a"; the provisioner may not skip the chain either.
    other_a = moto.assume_role(instance, chain["role_a"].arn, "another-session")["Credentials"]
    with pytest.raises(ClientError) as excinfo:
        moto.assume_role(other_a, chain["role_b"].arn, "elevate-b")
    assert error_code(excinfo) == "AccessDenied"
    with pytest.raises(ClientError) as excinfo:
        moto.assume_role(keys, chain["role_a"].arn, "elevate-a")
    assert error_code(excinfo) == "AccessDenied"


def test_moto_rejects_a_forged_session_token(moto, unique):
    chain = moto.seed_chain(unique, instance_session="i-0fedcba9876543210", a_session="elevate-a")
    user = chain["user"]
    keys = {"AccessKeyId": user.access_key_id, "SecretAccessKey": user.secret_access_key}
    session = moto.assume_role(keys, chain["instance"].arn, "i-0fedcba9876543210")["Credentials"]
    with pytest.raises(ClientError) as excinfo:
        moto.client("sts", session["AccessKeyId"], session["SecretAccessKey"], "forged").get_caller_identity()
    assert error_code(excinfo) == "InvalidClientTokenId"


def test_a_stopped_moto_leaves_no_process_and_frees_its_port(tmp_path):
    server = moto_peer.MotoServer(log_path=tmp_path / "moto.log").start()
    process, port = server.process, server.port
    server.stop()
    assert process.poll() is not None, "moto_server still runs after stop()"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers after stop()"
