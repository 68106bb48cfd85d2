"""The keyring backend against a real gnome-keyring inside a private D-Bus session (Tests/support/keyring_session.sh),
and `auto` falling back to encrypted files when no keyring can serve: no bus, no service, no default collection, a
locked collection, a hung service.
"""

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from cache_harness import CountingProxy, entry_files, files_containing, seed_app_chain
from harness import REPO, parse_credential_document, Result

SESSION = REPO / "Tests" / "support" / "keyring_session.sh"

# Runs inside the private bus: each step's stdout, stderr and status go to files in $OUT, so the test can read them
# after the session (and its HOME) is gone.
DRIVER = r"""
set -u
step() { local name=$1; shift; "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; echo $? >"$OUT/$name.rc"; }
cp_home() { cp -a "$HOME" "$OUT/keyring-home"; }
lock_default() {
    dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
        org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/aliases/default >/dev/null
}
has_service() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets | grep -q 'boolean true'
}
"""


def in_keyring_session(sandbox, mode: str, script: str, env: dict[str, str], timeout: float = 120) -> Path:
    """Runs `script` (bash, after DRIVER) in a keyring session of `mode`; returns the folder of its outputs."""
    out = sandbox.root / f"out-{mode}-{time.monotonic_ns()}"
    out.mkdir()
    environment = sandbox.environment({**env, "OUT": str(out), "BIN": str(sandbox.binary)})
    completed = subprocess.run(["bash", str(SESSION), mode, "bash", "-c", DRIVER + script], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout, env=environment, cwd=sandbox.root)
    assert completed.returncode == 0, completed.stderr.decode()
    return out


def step(out: Path, name: str) -> Result:
    return Result([name], int((out / f"{name}.rc").read_text()), (out / f"{name}.out").read_bytes(),
                  (out / f"{name}.err").read_bytes())


@pytest.fixture
def chain_env(sandbox, moto, unique):
    """app-chain seeded, a counting proxy in front of moto, the file cache in the sandbox (not the session's HOME)."""
    seed_app_chain(sandbox, moto, unique)
    proxy = CountingProxy(moto.url)
    env = {"AWS_ENDPOINT_URL": proxy.url, "AWS_ELEVATE_CACHE_DIR": str(sandbox.root / "cache"),
           "XDG_CONFIG_HOME": str(sandbox.root / "config")}
    try:
        yield proxy, env
    finally:
        proxy.stop()


def test_auto_uses_an_unlocked_keyring_and_a_hit_makes_no_request(sandbox, chain_env):
    proxy, env = chain_env
    role = next(line.split(" = ")[1] for line in sandbox.config.read_text().splitlines()
                if line.startswith("role_arn") and line.endswith("-role-b"))
    out = in_keyring_session(sandbox, "unlocked", """
        step cold "$BIN" credential-process --profile app-chain --debug
        step warm "$BIN" credential-process --profile app-chain --debug
        step list "$BIN" cache list
        step search secret-tool search --all profile app-chain
        step lookup secret-tool lookup profile app-chain role_arn "$ROLE"
        step lookup-other secret-tool lookup profile app-chain role_arn arn:aws:iam::123456789012:role/other
        cp_home
        step clear "$BIN" cache clear --profile app-chain
        step after "$BIN" cache list
        step search-after secret-tool search --all profile app-chain
    """, {**env, "ROLE": role})
    cold, warm = step(out, "cold"), step(out, "warm")
    served = parse_credential_document(cold)
    assert parse_credential_document(warm) == served
    assert "cache: backend keyring (auto: a Secret Service can serve)" in cold.err, cold
    assert "cache: stored (keyring)" in cold.err
    assert "cache: hit (keyring)" in warm.err, warm
    assert proxy.count() == 2, "the hit made no request"
    assert entry_files(sandbox, sandbox.root / "cache") == [] and not (sandbox.root / "config").exists(), \
        "nothing was written to files"

    listing = step(out, "list").out
    assert re.search(r"^app-chain\s+arn:aws:iam::\d{12}:role/\S+-role-b\s+(59m|1h00m)\s+keyring$", listing, re.M), listing
    search = step(out, "search")
    assert search.returncode == 0, search
    assert b"label = aws-elevate session for profile app-chain (arn:aws:iam::" in search.stdout
    # The item's attributes are the profile and the role (lookups match on them), its secret the whole entry.
    lookup = step(out, "lookup")
    assert lookup.returncode == 0 and served["SessionToken"].encode() in lookup.stdout
    assert step(out, "lookup-other").returncode != 0
    # gnome-keyring stores the item encrypted: the session's secrets are nowhere in its files in plain text.
    assert files_containing([out / "keyring-home"], [served["SecretAccessKey"], served["SessionToken"]]) == []

    assert step(out, "clear").out == "removed 1 cached session of profile 'app-chain' (file: 0, keyring: 1)\n"
    assert step(out, "after").out == "no cached sessions\n"
    assert b"app-chain" not in step(out, "search-after").stdout


def test_a_keyring_mode_hit_loads_only_the_d_bus_stack_and_its_key_matches_auto(sandbox, chain_env):
    """Regression (RSS over target): the keyring hit used to map libcrypto for the key's digest and libsecret with
    libgcrypt for a lookup that needs only gio. Now the keyring mode hashes with GLib, and auto (which hashes with
    OpenSSL) must find the same entry."""
    proxy, env = chain_env
    out = in_keyring_session(sandbox, "unlocked", """
        step cold "$BIN" credential-process --profile app-chain
        step warm env LD_DEBUG=files "$BIN" credential-process --profile app-chain --debug
        step auto env AWS_ELEVATE_CACHE=auto LD_DEBUG=files "$BIN" credential-process --profile app-chain --debug
    """, {**env, "AWS_ELEVATE_CACHE": "keyring"})
    cold, warm, auto = step(out, "cold"), step(out, "warm"), step(out, "auto")
    served = parse_credential_document(cold)
    assert parse_credential_document(warm) == served == parse_credential_document(auto)
    assert "cache: hit (keyring)" in warm.err and "cache: hit (keyring)" in auto.err, (warm, auto)
    assert proxy.count() == 2, "both hits came from the keyring"
    for result in (warm, auto):
        opened = "\n".join(line for line in result.err.splitlines() if "file=" in line)
        assert "libgio" in opened, "LD_DEBUG shows the libraries that are loaded"
        for library in ("libcrypto", "libsecret", "libgcrypt", "libcurl", "libxml2"):
            assert library not in opened, f"a keyring hit loaded {library}"


def test_auto_falls_back_to_files_when_the_default_collection_is_locked(sandbox, chain_env):
    proxy, env = chain_env
    out = in_keyring_session(sandbox, "unlocked", """
        lock_default
        step cold "$BIN" credential-process --profile app-chain --debug
        step warm "$BIN" credential-process --profile app-chain --debug
        step explicit "$BIN" credential-process --profile hop1
    """, {**env, "AWS_ELEVATE_CACHE": ""})
    cold, warm = step(out, "cold"), step(out, "warm")
    assert parse_credential_document(warm) == parse_credential_document(cold)
    assert "cache: backend file (auto: the keyring cannot serve: the default collection is locked)" in cold.err, cold
    assert "cache: hit (file)" in warm.err and "Secret Service" not in warm.err, warm
    assert len(entry_files(sandbox, sandbox.root / "cache")) == 2, "app-chain's and hop1's sessions"
    assert proxy.count() == 3
    # With a bus the key was hashed by GLib, without one by OpenSSL: the same name, so the entry is found.
    later = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env=env,
                        drop=("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"))
    assert parse_credential_document(later) == parse_credential_document(cold)
    assert "cache: hit (file)" in later.err, later
    assert proxy.count() == 3


@pytest.mark.parametrize("mode", ["nokeyring", "noservice"])
def test_auto_falls_back_to_files_when_no_keyring_can_serve(sandbox, chain_env, mode):
    proxy, env = chain_env
    out = in_keyring_session(sandbox, mode, """
        step cold "$BIN" credential-process --profile app-chain --debug
        if has_service; then echo yes; else echo no; fi >"$OUT/service-after"
    """, env)
    cold = step(out, "cold")
    parse_credential_document(cold)
    assert re.search(r"cache: backend file \(auto: the keyring cannot serve: .+\)", cold.err), cold
    assert len(entry_files(sandbox, sandbox.root / "cache")) == 1
    if mode == "noservice":
        assert (out / "service-after").read_text().strip() == "no", "aws-elevate started a keyring daemon"


def test_auto_falls_back_to_files_within_the_timeout_when_the_service_hangs(sandbox, chain_env):
    proxy, env = chain_env
    out = in_keyring_session(sandbox, "hung", """
        start=$(date +%s%N)
        step cold "$BIN" credential-process --profile app-chain --debug
        echo $(( ($(date +%s%N) - start) / 1000000 )) >"$OUT/elapsed-ms"
    """, env)
    cold = step(out, "cold")
    parse_credential_document(cold)
    assert "cache: backend file (auto: the keyring cannot serve: the Secret Service did not answer within 2 s)" \
        in cold.err, cold
    assert int((out / "elapsed-ms").read_text()) < 10_000


def test_without_a_session_bus_auto_decides_for_files_and_says_why(sandbox, chain_env):
    proxy, env = chain_env
    result = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env=env,
                         drop=("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"))
    parse_credential_document(result)
    assert "cache: backend file (auto: the keyring cannot serve: no D-Bus session bus" in result.err, result


def test_keyring_mode_without_a_keyring_serves_uncached_with_one_warning(sandbox, chain_env):
    proxy, env = chain_env
    keyring_env = {**env, "AWS_ELEVATE_CACHE": "keyring"}
    first = sandbox.run("credential-process", "--profile", "app-chain", env=keyring_env)
    second = sandbox.run("credential-process", "--profile", "app-chain", env=keyring_env)
    for result in (first, second):
        parse_credential_document(result)
        lines = result.err.splitlines()
        assert (len(lines) == 1 and lines[0].startswith("aws-elevate: warning: cannot use the keyring session cache: ")
                and "no D-Bus session bus" in lines[0]), result
    assert proxy.count() == 4, "nothing was cached"
    assert entry_files(sandbox, sandbox.root / "cache") == [], "keyring mode never writes files"


@pytest.mark.parametrize("mode, failure", [
    ("hung-lookup", "the keyring lookup failed: keyring lookup failed: the keyring did not answer in time"),
    ("failing-store", "the keyring store failed: keyring store failed: keyring error: "),
])
def test_auto_falls_back_to_files_when_the_keyring_fails_after_saying_it_can_serve(sandbox, chain_env, mode, failure):
    """Regression: a keyring lookup or store that failed (or timed out) after the keyring said it was available left
    the run uncached, so that every call ran the chain again (and an MFA hop prompted every time)."""
    proxy, env = chain_env
    out = in_keyring_session(sandbox, mode, """
        start=$(date +%s%N)
        step cold "$BIN" credential-process --profile app-chain --debug
        echo $(( ($(date +%s%N) - start) / 1000000 )) >"$OUT/elapsed-ms"
        step warm "$BIN" credential-process --profile app-chain --debug
        step plain "$BIN" credential-process --profile app-chain
    """, env)
    cold, warm = step(out, "cold"), step(out, "warm")
    assert parse_credential_document(warm) == parse_credential_document(cold)
    assert "cache: backend keyring (auto: a Secret Service can serve)" in cold.err, cold
    assert f"cache: backend file (auto: {failure}" in cold.err, cold
    assert "cache: stored (file)" in cold.err and "warning" not in cold.err, cold
    assert "cache: hit (file)" in warm.err, warm
    assert step(out, "plain").err == "", "a cached run says nothing"
    assert proxy.count() == 2, "one fetch: the session was cached in a file"
    assert len(entry_files(sandbox, sandbox.root / "cache")) == 1
    assert int((out / "elapsed-ms").read_text()) < 10_000


def test_keyring_mode_keeps_its_locks_in_the_runtime_directory_whatever_the_cache_directory(sandbox, chain_env):
    """Regression: the keyring mode took its lock files in the file backend's directory, so that a 0755 (or
    uncreatable) ~/.cache/aws-elevate stopped it."""
    proxy, env = chain_env
    insecure = sandbox.root / "cache"
    insecure.mkdir(mode=0o755)
    insecure.chmod(0o755)
    unmakeable = sandbox.root / "read-only" / "aws-elevate"
    unmakeable.parent.mkdir(mode=0o500)
    out = in_keyring_session(sandbox, "unlocked", """
        step cold "$BIN" credential-process --profile app-chain --debug
        step warm "$BIN" credential-process --profile app-chain --debug
        step hop1 env AWS_ELEVATE_CACHE_DIR="$UNMAKEABLE" "$BIN" credential-process --profile hop1 --debug
        stat -c %a "$XDG_RUNTIME_DIR/aws-elevate" >"$OUT/mode"
        ls "$XDG_RUNTIME_DIR/aws-elevate" >"$OUT/locks"
    """, {**env, "AWS_ELEVATE_CACHE": "keyring", "UNMAKEABLE": str(unmakeable)})
    cold, warm, hop1 = step(out, "cold"), step(out, "warm"), step(out, "hop1")
    assert parse_credential_document(warm) == parse_credential_document(cold)
    parse_credential_document(hop1)
    for result in (cold, hop1):
        assert "cache: stored (keyring)" in result.err and "warning" not in result.err, result
    assert "cache: hit (keyring)" in warm.err, warm
    assert proxy.count() == 3
    assert (out / "mode").read_text().strip() == "700"
    locks = (out / "locks").read_text().split()
    assert len(locks) == 2 and all(re.fullmatch(r"v1-[0-9a-f]{64}\.lock", name) for name in locks), locks
    assert list(insecure.iterdir()) == [] and not unmakeable.exists()
