#!/usr/bin/env python3
"""Seeds the demo's IMDS → role A → role B chain in a running moto (started by `moto.py start STATE_DIR`) and hands
the instance role's session to the IMDS emulator at IMDS_URL.

    demo_chain.py STATE_DIR IMDS_URL   prints JSON {"instance_role", "role_a", "role_b"} (ARNs)

A provisioning user assumes the "instance role" as session i-0123456789abcdef0 (the emulator's instance id): those
real moto session credentials are what the emulator serves. Role A trusts exactly that session; role B trusts
exactly A's session `aws-elevate-i-0123456789abcdef0`, the name aws-elevate gives a hop on that instance by default.
Only loopback addresses are used.
"""

import importlib.util
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path

INSTANCE_ID = "i-0123456789abcdef0"


def _moto_peer():
    # Loaded under another name: moto.py would shadow the real moto package.
    spec = importlib.util.spec_from_file_location("moto_peer", Path(__file__).with_name("moto.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["moto_peer"] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: demo_chain.py STATE_DIR IMDS_URL", file=sys.stderr)
        return 64
    state_dir, imds_url = argv
    if urllib.parse.urlsplit(imds_url).hostname not in ("127.0.0.1", "localhost"):
        print("demo_chain.py: IMDS_URL must be a loopback URL", file=sys.stderr)
        return 64
    moto_peer = _moto_peer()
    state = json.loads((Path(state_dir) / "moto.json").read_text())
    moto = moto_peer.MotoServer()
    moto.port = state["port"]

    chain = moto.seed_chain("demo", instance_session=INSTANCE_ID, a_session=f"aws-elevate-{INSTANCE_ID}")
    user = chain["user"]
    keys = {"AccessKeyId": user.access_key_id, "SecretAccessKey": user.secret_access_key}
    session = moto.assume_role(keys, chain["instance"].arn, INSTANCE_ID)["Credentials"]
    document = {
        "role": chain["instance"].name,
        "AccessKeyId": session["AccessKeyId"],
        "SecretAccessKey": session["SecretAccessKey"],
        "Token": session["SessionToken"],
        "Expiration": session["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    request = urllib.request.Request(f"{imds_url}/_emulator/credentials", data=json.dumps(document).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    print(json.dumps({"instance_role": chain["instance"].arn, "role_a": chain["role_a"].arn,
                      "role_b": chain["role_b"].arn}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
