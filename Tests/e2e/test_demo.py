"""`make demo` keeps working: its script runs the real aws CLI through aws-elevate and cleans up after itself."""

import os
import re
import subprocess

from harness import REPO


def test_demo_shows_the_users_identity_and_a_refused_signature(binary, tmp_path):
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(tmp_path),
                   "TMPDIR": str(tmp_path), "AWS_ELEVATE_BIN": str(binary), "AWS_PROFILE": "must-be-ignored"}
    result = subprocess.run(["bash", str(REPO / "Tests/support/demo.sh")], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=300, env=environment)
    output = f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode == 0, output
    assert "$ aws sts get-caller-identity --profile app" in result.stdout, output
    assert re.search(r"Arn\s*\|\s*arn:aws:iam::123456789012:user/demo-user", result.stdout), output
    assert "SignatureDoesNotMatch" in result.stdout, output
    assert "****" in result.stdout, output
    leftovers = [path.name for path in tmp_path.iterdir() if path.name.startswith("aws-elevate-demo.")]
    assert leftovers == [], f"the demo left {leftovers} behind"
