"""`make demo` shows the aws CLI getting role B through IMDS → role A → role B, and leaves nothing running."""

import os
import re
import subprocess

from harness import REPO


def _running(pattern: str) -> list[str]:
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines() if pattern in line and "ps -eo" not in line]


def test_demo_reaches_role_b_from_the_instance_role(binary, tmp_path):
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(tmp_path),
                   "TMPDIR": str(tmp_path), "AWS_ELEVATE_BIN": str(binary)}
    result = subprocess.run(["bash", str(REPO / "Tests/support/demo.sh")], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=300, env=environment)
    assert result.returncode == 0, result.stdout + result.stderr
    chain_stage = result.stdout.split("role A -> role B", 1)
    assert len(chain_stage) == 2, result.stdout
    tail = chain_stage[1]
    assert "credential_source = Ec2InstanceMetadata" in tail
    assert re.search(r"Arn\s*\|\s*arn:aws:sts::123456789012:assumed-role/demo-role-b/demo-b\s", tail), tail
    assert "$ aws-elevate whoami --profile app-chain\narn:aws:sts::123456789012:assumed-role/demo-role-b/demo-b\n" \
        in tail, tail
    work_dirs = [path.name for path in tmp_path.iterdir() if path.name.startswith("aws-elevate-demo.")]
    assert work_dirs == [], f"the demo left {work_dirs} behind"
    assert _running(str(REPO / "Tests/support/imds_emulator.py")) == [], "the IMDS emulator still runs"
