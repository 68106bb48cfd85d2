"""A minimal Debian 12 root (debootstrap --variant=minbase) to install the package into and run it in a chroot.

The pristine root is built once into a temporary folder and renamed into place when complete, so an interrupted build
leaves nothing that looks finished: .build/package-test/root-bookworm. Each test session copies it to a working root
(.build/package-test/work) and removes that copy at the end; downloaded packages are kept in
.build/package-test/archives, so a rerun downloads nothing it already has.

Every command in the root runs in a mount namespace of its own (unshare --mount): /dev, /proc and the archive cache
are mounted there and vanish with the command, whatever happens to it or to the test run. Nothing is ever mounted
in the machine's own namespace, so no run can leave a mount behind, and the working root can always be deleted.
Network: the root shares the machine's, so moto and the IMDS emulator on 127.0.0.1 are reachable from inside.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from harness import REPO, Result

CACHE = REPO / ".build" / "package-test"
ARCHIVES = CACHE / "archives"  # apt's download cache, shared by every root
SUITE = "bookworm"
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get("DEBIAN_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# The sources of a Debian 12 system as its installer writes them, in deb822 form.
SOURCES = f"""Types: deb
URIs: {MIRROR}
Suites: {SUITE} {SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {SECURITY_MIRROR}
Suites: {SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

# Run as `sh -c MOUNT_AND_CHROOT sh ROOT ARCHIVES PROC COMMAND...` inside `unshare --mount`.
MOUNT_AND_CHROOT = r"""
set -e
root=$1 archives=$2 proc=$3
shift 3
mount --rbind /dev "$root/dev"
if [ "$proc" = yes ]; then mount -t proc proc "$root/proc"; fi
mount --bind "$archives" "$root/var/cache/apt/archives"
exec chroot "$root" "$@"
"""


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below `path` in this process's mount namespace."""
    prefix = str(path.resolve())
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as mountinfo:
        for line in mountinfo:
            point = line.split()[4].encode().decode("unicode_escape")  # \040 and friends in the kernel's text
            if point == prefix or point.startswith(prefix + "/"):
                points.append(point)
    return points


def remove_tree(path: Path) -> None:
    """Deletes a root (or a part-built one); refuses if anything is mounted inside it."""
    if not path.exists():
        return
    mounted = mounts_under(path)
    if mounted:
        raise RuntimeError(f"refusing to delete {path}: {mounted} mounted inside it")
    shutil.rmtree(path)


def copy_resolver_config(root: Path) -> None:
    """The machine's /etc/resolv.conf into the root (a regular file there, never through a link of the root)."""
    target = root / "etc/resolv.conf"
    target.unlink(missing_ok=True)
    shutil.copyfile("/etc/resolv.conf", target)


def _unshare(*argv: str, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "--mount", "--propagation", "private", *argv], timeout=timeout, **kwargs)


def pristine_root() -> Path:
    """The cached minbase root, built now if it is not there yet."""
    root = CACHE / f"root-{SUITE}"
    if root.is_dir():
        return root
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(f"root-{SUITE}.partial-*"):  # an interrupted build
        remove_tree(stale)
    partial = CACHE / f"root-{SUITE}.partial-{os.getpid()}"
    try:
        # debootstrap mounts /proc and /sys in the target while it works: in a namespace of its own they cannot
        # outlive it.
        built = _unshare("debootstrap", "--variant=minbase", SUITE, str(partial), MIRROR, timeout=1800,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if built.returncode != 0:
            raise RuntimeError(f"debootstrap failed ({built.returncode}):\n{built.stdout[-3000:]}{built.stderr[-3000:]}")
        (partial / "etc/apt/sources.list").unlink(missing_ok=True)
        (partial / "etc/apt/sources.list.d/debian.sources").write_text(SOURCES)
        for package in (partial / "var/cache/apt/archives").glob("*.deb"):
            package.unlink()  # debootstrap's downloads
        # The package lists of the sources above, so that a session's `apt-get update` only fetches what changed.
        copy_resolver_config(partial)
        apt_get(partial, "update")
        partial.rename(root)
    finally:
        remove_tree(partial)
    return root


def chroot_run(root: Path, *argv: str, env: dict[str, str] | None = None, proc: bool = True, timeout: float = 120,
               check: bool = False) -> Result:
    """Runs `argv` in `root` as root, with a clean environment plus `env`, no stdin; /proc only if `proc`."""
    environment = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
                   **(env or {})}
    ARCHIVES.joinpath("partial").mkdir(parents=True, exist_ok=True)
    command = ["sh", "-c", MOUNT_AND_CHROOT, "sh", str(root), str(ARCHIVES), "yes" if proc else "no",
               "/usr/bin/env", "-i", *(f"{name}={value}" for name, value in environment.items()), *argv]
    completed = _unshare(*command, timeout=timeout, stdin=subprocess.DEVNULL, capture_output=True,
                         env={"PATH": os.environ.get("PATH", PATH), "LC_ALL": "C.UTF-8"})
    result = Result(list(argv), completed.returncode, completed.stdout, completed.stderr)
    if check:
        assert result.returncode == 0, result
    return result


def apt_get(root: Path, *args: str, timeout: float = 900) -> Result:
    return chroot_run(root, "apt-get", "-y", "-q", "-o", "Dpkg::Use-Pty=0", *args, timeout=timeout, check=True)


class CleanRoot:
    """A fresh copy of the pristine root, and commands run in it through chroot."""

    def __init__(self) -> None:
        pristine = pristine_root()
        self.path = CACHE / "work"
        remove_tree(self.path)  # left by a run that was killed
        subprocess.run(["cp", "-a", "--reflink=auto", str(pristine), str(self.path)], check=True)
        copy_resolver_config(self.path)

    def remove(self) -> None:
        remove_tree(self.path)

    def host_path(self, path: str) -> Path:
        """Where a path of the root is, seen from the machine."""
        return self.path / path.lstrip("/")

    def run(self, *argv: str, env: dict[str, str] | None = None, proc: bool = True, timeout: float = 120,
            check: bool = False) -> Result:
        """Runs `argv` in the root (see chroot_run)."""
        return chroot_run(self.path, *argv, env=env, proc=proc, timeout=timeout, check=check)

    def apt_get(self, *args: str, timeout: float = 900) -> Result:
        return apt_get(self.path, *args, timeout=timeout)


if __name__ == "__main__":  # python clean_root.py: build the pristine root alone (it is cached)
    print(pristine_root())
