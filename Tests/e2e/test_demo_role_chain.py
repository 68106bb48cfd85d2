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
    _assert_the_shell_stage(tail)
    work_dirs = [path.name for path in tmp_path.iterdir() if path.name.startswith("aws-elevate-demo.")]
    assert work_dirs == [], f"the demo left {work_dirs} behind"
    assert _running(str(REPO / "Tests/support/imds_emulator.py")) == [], "the IMDS emulator still runs"


def _assert_the_shell_stage(tail: str) -> None:
    """The demo's real bash: elevate to B with the prompt, the CLI as B, unelevate back, exec --server as B."""
    shell = tail.split("In a real bash", 1)
    assert len(shell) == 2, tail
    lines = [line for line in shell[1].split("== 12.", 1)[0].splitlines() if line]
    instance = "arn:aws:sts::123456789012:assumed-role/demo-instance/i-0123456789abcdef0"
    role_b = "arn:aws:sts::123456789012:assumed-role/demo-role-b/demo-b"
    answers = [line for line in lines if line.startswith("arn:")]
    assert answers == [instance, role_b, instance, role_b], lines
    prompts = [line for line in lines if line.startswith("prompt: ")]
    assert len(prompts) == 2 and re.fullmatch(r"prompt: \[app-chain (59|60)m\]\$ ?", prompts[0]), prompts
    assert prompts[1].rstrip() == "prompt: $", prompts
    assert "bash$ aws-elevate exec --server --profile app-chain" in shell[1], lines
    secret_count = lines[lines.index(next(l for l in lines if l.startswith("bash$ aws-elevate exec --server"))) + 1]
    assert secret_count == "0", lines
