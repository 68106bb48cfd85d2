"""The elevated sessions' secret keys and session tokens appear nowhere in plain text under HOME, XDG_CACHE_HOME,
XDG_CONFIG_HOME or the temporary directory after a run; the cache file holds them, encrypted."""

from cache_harness import CountingProxy, decrypt_entry, entry_files, files_containing, seed_app_chain
from harness import parse_credential_document, parse_env_lines


def test_no_elevated_secret_is_stored_in_plain_text(sandbox, moto, unique):
    chain = seed_app_chain(sandbox, moto, unique, hops=2)
    proxy = CountingProxy(moto.url)
    cache_home, config_home, temporary = (sandbox.root / name for name in ("xdg-cache", "xdg-config", "tmp"))
    for directory in (cache_home, config_home, temporary):
        directory.mkdir()
    env = {"AWS_ENDPOINT_URL": proxy.url, "XDG_CACHE_HOME": str(cache_home), "XDG_CONFIG_HOME": str(config_home),
           "TMPDIR": str(temporary)}
    try:
        served = parse_credential_document(sandbox.run("credential-process", "--profile", "app-chain", env=env))
        parse_credential_document(sandbox.run("credential-process", "--profile", "app-chain", env=env))
        exported = parse_env_lines(sandbox.run("env", "--profile", "app-chain", env=env))
        listing = sandbox.run("cache", "list", env=env)
    finally:
        proxy.stop()
    secrets = proxy.issued_secrets()
    assert len(secrets) == 4, "both hops' secret keys and tokens are known to the test"
    assert served["SecretAccessKey"] in secrets and exported["AWS_SESSION_TOKEN"] in secrets
    assert chain.user.secret_access_key not in secrets

    roots = [sandbox.home, cache_home, config_home, temporary]
    assert files_containing(roots, secrets) == []
    assert listing.returncode == 0 and not any(secret in listing.out for secret in secrets)

    # The search would have found them: the entry holds the final session, encrypted.
    entries = entry_files(sandbox, cache_home / "aws-elevate")
    assert len(entries) == 1
    plaintext = decrypt_entry(entries[0], (config_home / "aws-elevate" / "cache.key").read_bytes())
    assert served["SecretAccessKey"].encode() in plaintext and served["SessionToken"].encode() in plaintext
    assert not (sandbox.home / ".cache").exists(), "XDG_CACHE_HOME is honoured"
