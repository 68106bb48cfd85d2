"""A cache hit makes no network request at all: the peers (moto, the IMDS emulator, the proxy) are stopped and the
same session is served; the hit path maps neither libcurl, libxml2 nor the keyring libraries.

These tests run their own moto, since they stop it.
"""

import pytest

from cache_harness import CountingProxy, credential_process, document, seed_app_chain
from harness import assert_failure, moto_peer, EXIT_CREDENTIALS
from sts_harness import INSTANCE_ID, IMDSEmulator


@pytest.fixture
def own_moto(tmp_path):
    server = moto_peer.MotoServer(log_path=tmp_path / "moto.log").start()
    try:
        yield server
    finally:
        server.stop()


def loaded_libraries(result) -> str:
    """The libraries the dynamic loader opened, from LD_DEBUG=files (dlopen included)."""
    return "\n".join(line for line in result.err.splitlines() if "file=" in line)


def test_a_hit_after_moto_and_the_proxy_stopped_serves_the_same_session(sandbox, own_moto, unique):
    seed_app_chain(sandbox, own_moto, unique, hops=2)
    proxy = CountingProxy(own_moto.url)
    env = {"AWS_ENDPOINT_URL": proxy.url}
    first = document(sandbox, env)
    assert proxy.count() == 2
    proxy.stop()
    own_moto.stop()

    again = credential_process(sandbox, env, "--debug")
    assert again.returncode == 0, again
    assert again.stdout.decode().strip() == credential_process(sandbox, env).stdout.decode().strip()
    assert document(sandbox, env) == first
    assert "cache: hit (file)" in again.err
    assert "sts AssumeRole" not in again.err

    traced = credential_process(sandbox, {**env, "LD_DEBUG": "files"})
    assert traced.returncode == 0
    libraries = loaded_libraries(traced)
    assert "libcrypto" in libraries, "LD_DEBUG shows the libraries that are loaded"
    for heavy in ("libcurl", "libxml2", "libsecret", "libgio", "libglib"):
        assert heavy not in libraries, f"a cache hit loaded {heavy}"

    # The peers really are gone: without the cache the same request fails.
    cold = credential_process(sandbox, {**env, "AWS_ELEVATE_CACHE": "none"})
    assert_failure(cold, "app-chain", EXIT_CREDENTIALS)


def imds_chain_config(chain: dict) -> str:
    return (f"[profile app-chain]\nrole_arn = {chain['role_b'].arn}\nsource_profile = a-chain\n"
            "role_session_name = elevate-b\n\n"
            f"[profile a-chain]\nrole_arn = {chain['role_a'].arn}\ncredential_source = Ec2InstanceMetadata\n"
            "role_session_name = elevate-a\n\n"
            "[profile instance]\ncredential_source = Ec2InstanceMetadata\n")


def test_an_imds_sourced_chain_is_served_from_the_cache_after_the_emulator_and_moto_stopped(
        sandbox, own_moto, unique):
    chain = own_moto.seed_chain(unique, instance_session=INSTANCE_ID, a_session="elevate-a")
    user = chain["user"]
    instance = own_moto.assume_role({"AccessKeyId": user.access_key_id, "SecretAccessKey": user.secret_access_key},
                                    chain["instance"].arn, INSTANCE_ID)["Credentials"]
    emulator = IMDSEmulator()
    proxy = CountingProxy(own_moto.url)
    try:
        emulator.serve(chain["instance"].name, instance)
        sandbox.write_config(imds_chain_config(chain))
        env = {"AWS_ENDPOINT_URL": proxy.url, "AWS_EC2_METADATA_SERVICE_ENDPOINT": emulator.url}
        drop = ("AWS_EC2_METADATA_DISABLED",)
        first = sandbox.run("credential-process", "--profile", "app-chain", env=env, drop=drop)
        role_only = sandbox.run("credential-process", "--profile", "instance", env=env, drop=drop)
        assert first.returncode == 0 and role_only.returncode == 0, (first, role_only)
        assert proxy.count() == 2
        assert len(emulator.requests()) > 0
    finally:
        emulator.stop()
        proxy.stop()
        own_moto.stop()

    again = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env=env, drop=drop)
    assert again.returncode == 0, again
    assert again.stdout == first.stdout
    assert "imds:" not in again.err, "the instance metadata service was not asked"
    # The instance role alone (no hop) is cached too: it is a remote source.
    alone = sandbox.run("credential-process", "--profile", "instance", env=env, drop=drop)
    assert alone.returncode == 0, alone
    assert alone.stdout == role_only.stdout


def test_static_keys_alone_are_never_cached(sandbox):
    sandbox.write_credentials("[static]\naws_access_key_id = AKIASTATICNOTCACHED1\n"
                              "aws_secret_access_key = static-secret-not-cached\n")
    result = sandbox.run("credential-process", "--profile", "static", "--debug")
    assert result.returncode == 0, result
    assert "cache: not used: the plan has no hop and source 'profile' reads local keys" in result.err
    assert not (sandbox.home / ".cache").exists() and not (sandbox.home / ".config").exists()
