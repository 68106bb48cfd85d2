"""libcurl, libxml2, libsecret and libcrypto are opened with dlopen only by the runs that need them.

SDKs run credential-process before every command; loading libcurl alone costs several milliseconds (libcrypto about
one, plus its first-use initialisation), so a run that makes no request must not map libcurl, and a run that needs
no cryptography (static keys) must not map libcrypto. LD_DEBUG=files makes the dynamic loader report every library it opens, dlopen
included, which shows what one real run of the binary loaded.
"""

import subprocess

from harness import parse_credential_document
from sts_harness import hop_profiles, seed_chain, write_app_config

HEAVY = ("libcurl", "libxml2", "libsecret", "libgio", "libglib", "libcrypto")


def opened_libraries(result) -> str:
    return "\n".join(line for line in result.err.splitlines() if "file=" in line)


def test_the_binary_does_not_link_the_heavy_libraries(binary):
    dynamic = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    needed = [line for line in dynamic.splitlines() if "(NEEDED)" in line]
    assert needed, "readelf lists the libraries the binary needs"
    for library in HEAVY:
        assert not any(library in line for line in needed), f"{library} is linked: {needed}"


def test_static_keys_load_no_network_library(sandbox):
    sandbox.write_credentials("[static]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = secret\n")
    result = sandbox.run("credential-process", "--profile", "static", env={"LD_DEBUG": "files"})
    assert parse_credential_document(result)["AccessKeyId"] == "AKIDSTATIC"
    libraries = opened_libraries(result)
    assert "libc.so" in libraries, "LD_DEBUG reports what the loader opens"
    for library in HEAVY:
        assert library not in libraries, f"a static-keys run loaded {library}"


def test_a_role_hop_loads_libcurl_and_libxml2_on_demand(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    result = sandbox.run("credential-process", "--profile", "app-chain",
                         env={"AWS_ENDPOINT_URL": moto.url, "AWS_ELEVATE_CACHE": "none", "LD_DEBUG": "files"})
    assert result.returncode == 0, result
    libraries = opened_libraries(result)
    assert "libcurl" in libraries and "libxml2" in libraries
    assert "libcrypto" in libraries, "SigV4 signing loads libcrypto"
    assert "libsecret" not in libraries and "libgio" not in libraries


def test_a_file_cache_hit_loads_libcrypto_but_no_network_library(sandbox, moto, unique):
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_ELEVATE_CACHE": "file"}
    assert sandbox.run("credential-process", "--profile", "app-chain", env=env).returncode == 0
    result = sandbox.run("credential-process", "--profile", "app-chain", env={**env, "LD_DEBUG": "files"})
    assert result.returncode == 0, result
    libraries = opened_libraries(result)
    assert "libcrypto" in libraries, "the entry is decrypted with libcrypto, loaded on first use"
    for library in ("libcurl", "libxml2", "libsecret", "libgio", "libglib"):
        assert library not in libraries, f"a file cache hit loaded {library}"
