"""Byte-for-byte snapshots of command output, for `explain` and `doctor` (Tests/e2e/snapshots/COMMAND/NAME).

Before the comparison the run's own values become placeholders: {bin} the binary, {home} the sandbox HOME, {root}
the sandbox root, and whatever `extra` names (a port, a digest). `UPDATE_SNAPSHOTS=1` rewrites the expected files from
the runs: review the diff before committing it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
DIGEST = re.compile(rb"[0-9a-f]{64}")


def normalized(data: bytes, sandbox, extra: dict[str, str] | None = None) -> bytes:
    values = {**(extra or {}), "bin": str(sandbox.binary), "home": str(sandbox.home), "root": str(sandbox.root)}
    for key, value in sorted(values.items(), key=lambda item: -len(item[1])):
        data = data.replace(value.encode(), b"{" + key.encode() + b"}")
    return DIGEST.sub(b"{digest}", data)


def expect_snapshot(folder: str, name: str, actual: bytes, sandbox, extra: dict[str, str] | None = None) -> None:
    """`actual`, with the run's values as placeholders, is byte for byte snapshots/FOLDER/NAME."""
    got = normalized(actual, sandbox, extra)
    path = SNAPSHOTS / folder / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(got)
    assert path.is_file(), f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert got == path.read_bytes(), f"{name}:\n--- expected\n{path.read_bytes().decode()}\n--- got\n{got.decode()}"
