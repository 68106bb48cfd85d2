"""AWS_CA_BUNDLE and a profile's ca_bundle replace the system's CAs, as in botocore.

The STS endpoint is moto behind the fault proxy serving HTTPS (Tests/support/sts_fault_proxy.py --tls-cert) with a
certificate issued by a CA made here; a second, unrelated CA is made beside it. libcurl's built-in CA directory
(/etc/ssl/certs on Debian) is fixed when libcurl is compiled, so the test that the bundle also replaces that
directory runs aws-elevate in a user and mount namespace of its own (unshare) where a directory made here, holding
the endpoint's CA under its subject-hash name, is mounted over /etc/ssl/certs. The mount is seen by that one process
only; the machine's /etc is never changed.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import EXIT_CREDENTIALS, Result, assert_failure, parse_credential_document
from sts_harness import LoopbackProcess, hop_profiles, seed_chain, write_app_config

SYSTEM_CA_DIRECTORY = "/etc/ssl/certs"


@dataclass(frozen=True)
class PKI:
    ca: Path  # the CA that issued the endpoint's certificate
    unrelated_ca: Path  # a CA that issued nothing the tests use
    cert: Path
    key: Path
    system_directory: Path  # laid out like Debian's /etc/ssl/certs: `ca` hashed, `unrelated_ca` as the bundle file


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_pem(path: Path, certificate: x509.Certificate) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def _authority(common_name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256()))
    return key, certificate


def _server_certificate(ca_key, ca_certificate):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca_certificate.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256()))
    return key, certificate


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> PKI:
    directory = tmp_path_factory.mktemp("pki")
    ca_key, ca_certificate = _authority("aws-elevate test STS CA")
    _, unrelated_certificate = _authority("aws-elevate unrelated test CA")
    server_key, server_certificate = _server_certificate(ca_key, ca_certificate)
    ca = _write_pem(directory / "sts-ca.pem", ca_certificate)
    unrelated = _write_pem(directory / "unrelated-ca.pem", unrelated_certificate)
    cert = _write_pem(directory / "sts.pem", server_certificate)
    key = directory / "sts-key.pem"
    key.write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    # OpenSSL looks a CA up in a hashed directory by the hash of its subject name, as `openssl rehash` names it.
    subject_hash = subprocess.run(["openssl", "x509", "-noout", "-subject_hash", "-in", str(ca)],
                                  check=True, capture_output=True, text=True).stdout.strip()
    system = directory / "system-certs"
    system.mkdir()
    shutil.copy(ca, system / f"{subject_hash}.0")
    # libcurl's default CA file lives in that directory too: it holds only the unrelated CA, so the endpoint is
    # trusted by the directory alone.
    shutil.copy(unrelated, system / "ca-certificates.crt")
    return PKI(ca, unrelated, cert, key, system)


@pytest.fixture
def tls_sts(moto, pki):
    proxy = LoopbackProcess("sts_fault_proxy.py", "--upstream", moto.url,
                            "--tls-cert", str(pki.cert), "--tls-key", str(pki.key))
    try:
        yield f"https://127.0.0.1:{proxy.port}"
    finally:
        proxy.stop()


def namespaces_available() -> bool:
    try:
        return subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


needs_namespaces = pytest.mark.skipif(not namespaces_available(),
                                      reason="needs user and mount namespaces (unshare --user --mount)")


def run_with_system_cas(sandbox, system_directory: Path, *args: str, env: dict[str, str]) -> Result:
    """aws-elevate in a namespace where `system_directory` is what libcurl finds at /etc/ssl/certs."""
    argv = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
            f'mount --bind "$0" {SYSTEM_CA_DIRECTORY} && exec "$@"', str(system_directory),
            str(sandbox.binary), *args]
    completed = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                               env=sandbox.environment(env), cwd=sandbox.root)
    return Result(argv, completed.returncode, completed.stdout, completed.stderr)


def one_hop(sandbox, moto, unique, extra: str | None = None) -> None:
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain, extra={0: extra} if extra else None), chain.user)


def sts_env(endpoint: str, **extra: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL_STS": endpoint, "AWS_ELEVATE_CACHE": "none", **extra}


def test_the_endpoints_own_ca_in_aws_ca_bundle_is_trusted(sandbox, moto, tls_sts, pki, unique):
    one_hop(sandbox, moto, unique)
    result = sandbox.run("credential-process", "--profile", "app-chain", "--debug",
                         env=sts_env(tls_sts, AWS_CA_BUNDLE=str(pki.ca)))
    parse_credential_document(result)
    assert f"sts tls: trusting only '{pki.ca}' (AWS_CA_BUNDLE), not the system's CAs" in result.err, result


def test_the_endpoints_own_ca_in_the_profiles_ca_bundle_is_trusted(sandbox, moto, tls_sts, pki, unique):
    one_hop(sandbox, moto, unique, extra=f"ca_bundle = {pki.ca}")
    result = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env=sts_env(tls_sts))
    parse_credential_document(result)
    assert f"trusting only '{pki.ca}' (ca_bundle in profile 'app-chain')" in result.err, result


def test_an_unrelated_ca_in_aws_ca_bundle_is_refused_in_one_line(sandbox, moto, tls_sts, pki, unique):
    one_hop(sandbox, moto, unique)
    result = sandbox.run("credential-process", "--profile", "app-chain",
                         env=sts_env(tls_sts, AWS_CA_BUNDLE=str(pki.unrelated_ca)))
    assert_failure(result, "app-chain", EXIT_CREDENTIALS, f"'{tls_sts}'", "TLS failed",
                   f"the CA bundle '{pki.unrelated_ca}' (AWS_CA_BUNDLE) replaces the system's CAs",
                   "add the CA that issued the endpoint's certificate")


@needs_namespaces
def test_aws_ca_bundle_replaces_the_system_ca_directory(sandbox, moto, tls_sts, pki, unique):
    one_hop(sandbox, moto, unique)
    # Without a bundle the endpoint is trusted, through the system CA directory alone: the setup can fail the test.
    parse_credential_document(run_with_system_cas(sandbox, pki.system_directory, "credential-process",
                                                  "--profile", "app-chain", env=sts_env(tls_sts)))
    result = run_with_system_cas(sandbox, pki.system_directory, "credential-process", "--profile", "app-chain",
                                 env=sts_env(tls_sts, AWS_CA_BUNDLE=str(pki.unrelated_ca)))
    assert_failure(result, "app-chain", EXIT_CREDENTIALS, f"'{tls_sts}'", "TLS failed",
                   f"the CA bundle '{pki.unrelated_ca}' (AWS_CA_BUNDLE) replaces the system's CAs")


@needs_namespaces
def test_a_profiles_ca_bundle_replaces_the_system_ca_directory(sandbox, moto, tls_sts, pki, unique):
    one_hop(sandbox, moto, unique, extra=f"ca_bundle = {pki.unrelated_ca}")
    result = run_with_system_cas(sandbox, pki.system_directory, "credential-process", "--profile", "app-chain",
                                 env=sts_env(tls_sts))
    assert_failure(result, "app-chain", EXIT_CREDENTIALS, f"'{tls_sts}'", "TLS failed",
                   f"the CA bundle '{pki.unrelated_ca}' (ca_bundle in profile 'app-chain') replaces the system's CAs")
    with_own_ca = run_with_system_cas(sandbox, pki.system_directory, "credential-process", "--profile",
                                      "app-chain", env=sts_env(tls_sts, AWS_CA_BUNDLE=str(pki.ca)))
    parse_credential_document(with_own_ca)
