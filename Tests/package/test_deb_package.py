"""The .deb of `make deb` as a file: its name and control fields, the dependencies on the libraries the binary
dlopens, where its files go, a stripped binary that still works, lintian's verdict, and two builds giving the same
bytes. Needs no root; the package installed and run in a clean Debian root is test_clean_root.py.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from harness import REPO, find_binary

SONAME = re.compile(r'LAZY_LIBRARY_INIT\("([^"]+)"\)')


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "--field", str(deb), name], capture_output=True, text=True,
                          check=True).stdout.strip()


def relations(text: str) -> dict[str, str]:
    """`a (>= 1), b` → {"a": ">= 1", "b": ""} (no alternatives are expected in this package)."""
    parsed = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        assert "|" not in item, item
        match = re.fullmatch(r"([a-z0-9][a-z0-9+.-]+)(?: \(([<>=]+ [^)]+)\))?", item)
        assert match, f"not a relation: {item!r}"
        parsed[match[1]] = match[2] or ""
    return parsed


def package_of(soname: str) -> str:
    """The Debian package of this machine that ships `soname` (dpkg -S)."""
    result = subprocess.run(["dpkg-query", "-S", f"*/{soname}"], capture_output=True, text=True, check=True)
    packages = {line.split(":", 1)[0] for line in result.stdout.splitlines() if not line.startswith("diversion")}
    assert len(packages) == 1, f"{soname} is shipped by {packages}"
    return packages.pop()


@pytest.fixture(scope="module")
def extracted(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deb")
    subprocess.run(["dpkg-deb", "--extract", str(deb), str(root)], check=True)
    return root


def test_package_is_named_after_the_version_and_architecture(deb: Path, version: str, architecture: str):
    assert deb.name == f"aws-elevate_{version}_{architecture}.deb"
    assert field(deb, "Package") == "aws-elevate"
    assert field(deb, "Version") == version
    assert field(deb, "Architecture") == architecture


def test_control_names_section_priority_maintainer_and_a_description(deb: Path):
    assert field(deb, "Section") == "utils"
    assert field(deb, "Priority") == "optional"
    assert re.fullmatch(r"[^<>]+ <[^@<>\s]+@[^@<>\s]+>", field(deb, "Maintainer"))
    synopsis, *long_text = field(deb, "Description").splitlines()
    assert 0 < len(synopsis) <= 80 and not synopsis.endswith(".")
    assert len(long_text) >= 3


def test_depends_names_libc_with_its_version_and_every_library_loaded_at_run_time(deb: Path):
    depends = relations(field(deb, "Depends"))
    recommends = relations(field(deb, "Recommends"))
    assert re.fullmatch(r">= 2\.\d+", depends.get("libc6", "")), depends
    assert {"libcurl4", "libssl3", "libxml2"} <= set(depends), depends
    assert "libsecret-1-0" in recommends, recommends
    assert field(deb, "Suggests") == "gnome-keyring"
    # Every soname the C targets dlopen is shipped by a package the control file names: Depends for the network
    # side, Recommends for the keyring (Sources/CSecret), which the file cache does without.
    for source in sorted((REPO / "Sources").glob("C*/*.c")):
        for soname in SONAME.findall(source.read_text()):
            wanted = recommends if source.parent.name == "CSecret" else depends
            assert package_of(soname) in wanted, f"{soname} ({source.parent.name}) is not in the control file"


def test_installed_size_is_what_the_files_take(deb: Path):
    with tarfile.open(fileobj=_data_member(deb)) as data:
        kib = sum((member.size + 1023) // 1024 if member.isfile() else 1 for member in data if member.name != "./")
    assert int(field(deb, "Installed-Size")) == kib


def test_files_are_in_debian_places_owned_by_root(deb: Path):
    with tarfile.open(fileobj=_data_member(deb)) as data:
        members = {member.name.removeprefix("./"): member for member in data}
    for path, mode in {
        "usr/bin/aws-elevate": 0o755,
        "usr/share/aws-elevate/aws-elevate.sh": 0o644,
        "usr/share/bash-completion/completions/aws-elevate": 0o644,
        "usr/share/zsh/vendor-completions/_aws-elevate": 0o644,
        "usr/share/man/man1/aws-elevate.1.gz": 0o644,
        "usr/share/doc/aws-elevate/copyright": 0o644,
        "usr/share/doc/aws-elevate/changelog.gz": 0o644,
        "usr/share/doc/aws-elevate/README.md": 0o644,
    }.items():
        assert path in members, f"{path} missing from the package"
        assert stat.S_IMODE(members[path].mode) == mode, path
    assert all(m.uname == "root" and m.gname == "root" and m.uid == 0 and m.gid == 0 for m in members.values())
    assert not any(name.endswith("install-manifest") for name in members)
    assert not any(name.startswith(("usr/local", "etc")) for name in members)


def test_man_page_and_changelog_are_gzip_9n_and_read_back(extracted: Path, version: str):
    for path in ("usr/share/man/man1/aws-elevate.1.gz", "usr/share/doc/aws-elevate/changelog.gz"):
        raw = (extracted / path).read_bytes()
        # gzip -n: no file name (FLG bit 3) and no time stamp; -9: XFL 2 (maximum compression).
        assert raw[:2] == b"\x1f\x8b" and raw[3] & 0x08 == 0 and raw[4:8] == b"\0\0\0\0" and raw[8] == 2, path
    page = gzip.decompress((extracted / "usr/share/man/man1/aws-elevate.1.gz").read_bytes()).decode()
    assert re.search(r"^\.Dt AWS-ELEVATE 1$", page, re.M)
    changelog = gzip.decompress((extracted / "usr/share/doc/aws-elevate/changelog.gz").read_bytes()).decode()
    assert changelog.startswith(f"aws-elevate ({version}) ")
    assert re.search(r"^ -- .+ <.+>  \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$", changelog, re.M)


def test_copyright_is_machine_readable(extracted: Path):
    text = (extracted / "usr/share/doc/aws-elevate/copyright").read_text()
    assert text.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")
    paragraphs = text.strip().split("\n\n")
    files = [p for p in paragraphs if p.startswith("Files: *")]
    assert len(files) == 1 and "\nCopyright: " in files[0]
    short_name = re.search(r"^License: (\S+)$", files[0], re.M)[1]
    assert any(p.startswith(f"License: {short_name}\n") for p in paragraphs), "no text for the license"


def test_binary_is_stripped_without_a_run_path_and_still_answers(extracted: Path):
    binary = extracted / "usr/bin/aws-elevate"
    sections = subprocess.run(["readelf", "--section-headers", "--wide", str(binary)], capture_output=True,
                              text=True, check=True).stdout
    assert " .symtab " not in sections and " .debug_info " not in sections
    dynamic = subprocess.run(["readelf", "--dynamic", str(binary)], capture_output=True, text=True, check=True).stdout
    assert "RPATH" not in dynamic and "RUNPATH" not in dynamic, dynamic
    shipped = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True).stdout
    built = subprocess.run([str(find_binary()), "--version"], capture_output=True, text=True, check=True).stdout
    assert shipped == built and re.fullmatch(r"aws-elevate \S+ \(commit [0-9a-f]{12}(-dirty)?\)\n", shipped)
    help_text = subprocess.run([str(binary), "--help"], capture_output=True, text=True, check=True).stdout
    assert "credential-process" in help_text


def test_lintian_reports_no_error_and_no_warning(deb: Path):
    result = subprocess.run(["lintian", "--fail-on", "error,warning", str(deb)], capture_output=True, text=True, env={**os.environ, "LC_ALL": "C.UTF-8"})
    tags = [line for line in result.stdout.splitlines() if re.match(r"[EW]: ", line)]
    assert result.returncode == 0 and tags == [], result.stdout + result.stderr


def test_two_builds_of_one_commit_give_the_same_bytes(deb: Path, version: str, tmp_path: Path):
    rebuilt = subprocess.run(["bash", str(REPO / "packaging/deb.sh"), str(find_binary()), version, str(tmp_path)],
                             capture_output=True, text=True, timeout=600)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert Path(rebuilt.stdout.strip()).read_bytes() == deb.read_bytes()


def _data_member(deb: Path):
    """The data.tar of the package, as a file object (dpkg-deb --fsys-tarfile)."""
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True).stdout
    return io.BytesIO(tar)
