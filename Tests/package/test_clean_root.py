"""The package on a clean system: a minimal Debian 12 root (debootstrap --variant=minbase, see clean_root.py) installs
the .deb with `apt-get install ./aws-elevate_*.deb`, which fetches its Depends from Debian, and runs it in a chroot:
--version, credential-process for static keys, and the IMDS → role A → role B chain against moto and the IMDS
emulator on loopback, with aws-elevate itself and with Debian's AWS CLI v2 as the client. Several calls run without
/proc mounted, where the Swift runtime cannot read its arguments. No Swift library may be needed, and removing the
package leaves nothing behind.

The tests run in the order written, on one root: install, use, then remove. Needs root (chroot, mounts).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import textwrap
import uuid
from pathlib import Path

import pytest

from clean_root import CleanRoot
from harness import find_binary, moto_peer, parse_credential_document
from sts_harness import imds  # noqa: F401 (fixture)
from test_sts_imds_chain import chain_config, seed_instance

BIN = "/usr/bin/aws-elevate"
# Not a file or package of the system: what apt, dpkg, man-db and the test's own homes change as they work.
VOLATILE = ("dev/", "proc/", "tmp/", "root/", "home/", "var/lib/dpkg/", "var/lib/apt/", "var/cache/", "var/log/",
            "etc/ld.so.cache", "etc/resolv.conf")


def tree(root: Path) -> set[str]:
    """Every path in the root, relative, but the volatile ones."""
    paths = set()
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            relative = os.path.relpath(os.path.join(folder, name), root)
            if not (relative + "/").startswith(VOLATILE) and not relative.startswith(VOLATILE):
                paths.add(relative)
    return paths


def installed_packages(root: CleanRoot) -> set[str]:
    listing = root.run("dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\\n", check=True).out
    return {line.split()[0] for line in listing.splitlines() if line.endswith(" installed")}


@pytest.fixture(scope="module")
def root():
    if os.geteuid() != 0:
        pytest.fail("the clean-root test needs root (chroot and mounts): run `sudo make package-test`", pytrace=False)
    clean = CleanRoot()
    # Every installed Debian system has one (systemd writes it at the first boot); a debootstrap root does not, and
    # aws-elevate caches an instance role's sessions only on a machine it can tell apart from others.
    clean.host_path("/etc/machine-id").write_text(uuid.uuid4().hex + "\n")
    try:
        yield clean
    finally:
        clean.remove()


@pytest.fixture(scope="module")
def installed(root: CleanRoot, deb: Path) -> dict:
    """apt-get install of the .deb, Recommends left out so that the tests prove Depends alone suffices."""
    root.apt_get("update")
    before = {"packages": installed_packages(root)}
    shutil.copyfile(deb, root.host_path(f"/tmp/{deb.name}"))
    root.run("sh", "-c", "cd /tmp && exec apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends "
             "./aws-elevate_*.deb", timeout=900, check=True)
    root.host_path(f"/tmp/{deb.name}").unlink()
    return before


@pytest.fixture(scope="module")
def awscli(root: CleanRoot, installed) -> str:
    """Debian's AWS CLI v2 (2.9) in the root, installed after the tests of aws-elevate alone."""
    root.apt_get("install", "--no-install-recommends", "awscli")
    return "/usr/bin/aws"


@pytest.fixture
def home(root: CleanRoot) -> str:
    """A new, empty home folder in the root (its own ~/.aws and session cache), as a path inside the root."""
    path = f"/home/t{uuid.uuid4().hex[:10]}"
    root.host_path(path + "/.aws").mkdir(parents=True)
    return path


@pytest.fixture
def unique() -> str:
    return "t" + uuid.uuid4().hex[:10]


def write(root: CleanRoot, path: str, text: str) -> None:
    root.host_path(path).write_text(textwrap.dedent(text).lstrip("\n"))


def user_env(home: str, **extra: str) -> dict[str, str]:
    return {"HOME": home, "AWS_EC2_METADATA_DISABLED": "true", **extra}


def test_apt_installs_the_package_and_fetches_its_dependencies_from_debian(root: CleanRoot, installed, version: str):
    status = root.run("dpkg-query", "-W", "-f", "${db:Status-Status} ${Version}", "aws-elevate", check=True).out
    assert status == f"installed {version}"
    now = installed_packages(root)
    # Not part of a minimal Debian: apt fetched them because the package depends on them.
    for library in ("libcurl4", "libssl3", "libxml2"):
        assert library not in installed["packages"], f"{library} was already in the minimal root"
        assert library in now, f"{library} was not installed with the package"
    # The keyring side is only recommended.
    assert "libsecret-1-0" not in now


def test_no_swift_library_is_needed(root: CleanRoot, installed):
    ldd = root.run("ldd", BIN, check=True).out
    assert "not found" not in ldd and "swift" not in ldd.lower(), ldd
    assert "libc.so.6" in ldd
    assert not root.host_path("/usr/lib/swift").exists()
    swift_files = [os.path.join(folder, name) for folder, _, files in os.walk(root.path) for name in files
                   if name.startswith(("libswift", "libFoundation", "lib_FoundationICU", "libdispatch"))]
    assert swift_files == []


@pytest.mark.parametrize("proc", [True, False], ids=["proc", "no-proc"])
def test_version_names_the_version_and_the_commit(root: CleanRoot, installed, version: str, proc: bool):
    result = root.run(BIN, "--version", proc=proc)
    assert result.returncode == 0 and result.stderr == b"", result
    assert re.fullmatch(rf"aws-elevate {re.escape(version)} \(commit [0-9a-f]{{12}}(-dirty)?\)\n", result.out)
    built = subprocess.run([str(find_binary()), "--version"], capture_output=True, text=True, check=True).stdout
    assert result.out == built


def test_proc_is_really_absent_when_not_mounted(root: CleanRoot, installed):
    # The calls marked no-proc test what they claim only if /proc is empty there.
    assert root.run("sh", "-c", "test -e /proc/self", proc=False).returncode == 1
    assert root.run("sh", "-c", "test -e /proc/self", proc=True).returncode == 0


def test_credential_process_for_static_keys_without_proc(root: CleanRoot, installed, home: str):
    write(root, f"{home}/.aws/config", "[profile static]\nregion = eu-west-1\n")
    write(root, f"{home}/.aws/credentials", """
        [static]
        aws_access_key_id = AKIAPACKAGETEST00001
        aws_secret_access_key = package/test+secret/0123456789abcdefghijkl
        """)
    result = root.run(BIN, "credential-process", "--profile", "static", env=user_env(home), proc=False)
    document = parse_credential_document(result)
    assert document == {"Version": 1, "AccessKeyId": "AKIAPACKAGETEST00001",
                        "SecretAccessKey": "package/test+secret/0123456789abcdefghijkl"}
    assert result.stderr == b"", result


def test_imds_chain_to_role_b_without_proc(root: CleanRoot, installed, home: str, moto, imds, unique: str):
    chain = seed_instance(moto, imds, unique, a_session="elevate-a")
    write(root, f"{home}/.aws/config", chain_config(chain, "role_session_name = elevate-a\n"))
    env = user_env(home, AWS_ENDPOINT_URL=moto.url, AWS_EC2_METADATA_DISABLED="false",
                   AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url)
    result = root.run(BIN, "credential-process", "--profile", "app-chain", env=env, proc=False)
    document = parse_credential_document(result)
    # moto says whose these are: role B's session, reached from the instance role through role A.
    identity = moto.client("sts", document["AccessKeyId"], document["SecretAccessKey"],
                           document["SessionToken"]).get_caller_identity()
    assert identity["Arn"] == moto_peer.session_arn(chain["role_b"].name, "elevate-b")
    requests = [(method, path, had_token) for method, path, had_token, _ in imds.requests()]
    assert ("PUT", "/latest/api/token", False) in requests
    assert ("GET", f"/latest/meta-data/iam/security-credentials/{chain['instance'].name}", True) in requests
    # A second call, with /proc, is served by the session cache written by the first.
    again = root.run(BIN, "credential-process", "--profile", "app-chain", "--debug", env=env)
    assert "cache: hit" in again.err, again
    assert parse_credential_document(again) == document


def test_aws_cli_in_the_root_gets_role_b_through_credential_process(root: CleanRoot, installed, awscli: str,
                                                                     home: str, moto, imds, unique: str):
    chain = seed_instance(moto, imds, unique, a_session="elevate-a")
    write(root, f"{home}/.aws/config",
          f"[profile app]\ncredential_process = {BIN} credential-process --profile app-chain\nregion = us-east-1\n\n"
          + chain_config(chain, "role_session_name = elevate-a\n"))
    env = user_env(home, AWS_EC2_METADATA_DISABLED="false", AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url,
                   AWS_ENDPOINT_URL=moto.url)
    # AWS CLI 2.9 predates AWS_ENDPOINT_URL (aws-elevate reads it); the CLI's own call needs --endpoint-url.
    result = root.run(awscli, "sts", "get-caller-identity", "--profile", "app", "--endpoint-url", moto.url,
                      "--output", "json", env=env, timeout=300)
    assert result.returncode == 0, result
    assert json.loads(result.out)["Arn"] == moto_peer.session_arn(chain["role_b"].name, "elevate-b")
    version = root.run(awscli, "--version", env=env, check=True).out
    assert version.startswith("aws-cli/2."), version


def test_remove_then_purge_leave_no_file_behind(root: CleanRoot, installed):
    listed = root.run("dpkg-query", "-L", "aws-elevate", check=True).out.splitlines()
    files = [path for path in listed if not root.host_path(path).is_dir()]
    assert BIN in files and "/usr/share/man/man1/aws-elevate.1.gz" in files
    before = tree(root.path)
    root.apt_get("remove", "aws-elevate")
    assert [path for path in files if os.path.lexists(root.host_path(path))] == []
    # Nothing is left to purge: no conffile, no maintainer script. dpkg --purge, since apt no longer knows a
    # package that came from a file once it is removed.
    assert root.run("dpkg-query", "-W", "-f", "${db:Status-Abbrev}", "aws-elevate").out.strip() in ("", "un")
    purged = root.run("dpkg", "--purge", "aws-elevate", check=True)
    assert root.run("dpkg-query", "-W", "aws-elevate").returncode != 0, purged
    assert list(root.host_path("/var/lib/dpkg/info").glob("aws-elevate*")) == []
    # What went away is the package's files and its own folders, and nothing came in their place.
    after = tree(root.path)
    assert sorted(after - before) == []
    gone = before - after
    assert {"/" + path for path in gone} <= set(listed)
    assert {path.lstrip("/") for path in files} <= gone
    assert {"usr/share/aws-elevate", "usr/share/doc/aws-elevate"} <= gone
    assert [path for path in after if "aws-elevate" in path or "aws_elevate" in path] == []
