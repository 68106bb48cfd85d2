#!/usr/bin/env bash
# make bench, cold chain: the instance role (our IMDS emulator) → role A → role B in a local moto, with no cache
# (AWS_ELEVATE_CACHE=none), resolved by `aws-elevate credential-process` and by botocore (boto3 in the venv, no
# credential cache), with hyperfine -N. Beside them, the bare round trips the chain needs (one IMDSv2 token, four
# IMDS GETs, two signed AssumeRole POSTs), timed in one Python process over fresh connections like aws-elevate's.
# Targets: aws-elevate faster than botocore, and within the round trips + 25 ms. Writes BENCH_DIR/chain.md/.json.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${VENV:-$repo_root/.venv}
python=$venv/bin/python
elevate=${AWS_ELEVATE_BIN:-$repo_root/.build/release/aws-elevate}
out=${BENCH_DIR:-$repo_root/.build/bench}
runs=${BENCH_CHAIN_RUNS:-60}
support=$repo_root/Tests/support
instance_id=i-0123456789abcdef0

for needed in "$python" "$elevate"; do
    [[ -x $needed ]] || { echo "bench: $needed is missing: run 'make bench'" >&2; exit 1; }
done
mkdir -p "$out"

work=$(mktemp -d "${TMPDIR:-/tmp}/aws-elevate-bench-chain.XXXXXX")
imds_pid=
cleanup() {
    "$python" "$support/moto.py" stop "$work/moto" >/dev/null 2>&1 || true
    if [[ -n $imds_pid ]]; then kill "$imds_pid" 2>/dev/null || true; wait "$imds_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

while read -r name; do unset "$name"; done < <(compgen -e | grep '^AWS_' || true)
export HOME=$work/home AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
mkdir -p "$HOME"

moto_url=$("$python" "$support/moto.py" start "$work/moto")
"$python" "$support/imds_emulator.py" --port-file "$work/imds.port" >/dev/null &
imds_pid=$!
for _ in $(seq 100); do [[ -s $work/imds.port ]] && break; sleep 0.1; done
imds_url=http://127.0.0.1:$(<"$work/imds.port")
chain=$("$python" "$support/demo_chain.py" "$work/moto" "$imds_url")
role_a=$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["role_a"])' "$chain")
role_b=$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["role_b"])' "$chain")

# Fixed session names, the ones the trust policies admit, so that botocore and aws-elevate make the same calls.
cat >"$AWS_CONFIG_FILE" <<EOF
[profile b-chain]
role_arn = $role_b
source_profile = a-chain
role_session_name = bench-b
region = us-east-1

[profile a-chain]
role_arn = $role_a
credential_source = Ec2InstanceMetadata
role_session_name = aws-elevate-$instance_id
region = us-east-1
EOF
: >"$AWS_SHARED_CREDENTIALS_FILE"
export AWS_ENDPOINT_URL=$moto_url AWS_EC2_METADATA_SERVICE_ENDPOINT=$imds_url AWS_ELEVATE_CACHE=none
export AWS_REGION=us-east-1

cat >"$work/botocore_cold.py" <<'PY'
import boto3
credentials = boto3.Session(profile_name="b-chain").get_credentials().get_frozen_credentials()
assert credentials.token
PY

# Both must work before they are timed.
"$elevate" credential-process --profile b-chain >/dev/null
"$python" "$work/botocore_cold.py"

"$python" - "$imds_url" "$moto_url" "$role_a" "$role_b" "$work/roundtrips.json" <<'PY'
"""Times the chain's bare round trips: what no client can avoid. Medians of 30 rounds."""
import http.client, json, statistics, sys, time, urllib.parse
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

imds, sts, role_a, role_b, out = sys.argv[1:]

def call(base, method, path, headers=None, body=None):
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data

def imds_round():
    started = time.perf_counter()
    _, token = call(imds, "PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
    h = {"X-aws-ec2-metadata-token": token.decode()}
    _, role = call(imds, "GET", "/latest/meta-data/iam/security-credentials/", h)
    _, document = call(imds, "GET", "/latest/meta-data/iam/security-credentials/" + role.decode(), h)
    call(imds, "GET", "/latest/meta-data/instance-id", h)
    call(imds, "GET", "/latest/meta-data/placement/region", h)
    return time.perf_counter() - started, json.loads(document)

def assume(credentials, role, session):
    body = urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": role,
                                   "RoleSessionName": session, "DurationSeconds": "3600"})
    request = AWSRequest("POST", sts + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(credentials, "sts", "us-east-1").add_auth(request)
    started = time.perf_counter()
    status, data = call(sts, "POST", "/", dict(request.headers.items()), body)
    elapsed = time.perf_counter() - started
    assert status == 200, data
    text = data.decode()
    pick = lambda tag: text.split(f"<{tag}>")[1].split(f"</{tag}>")[0]
    return elapsed, Credentials(pick("AccessKeyId"), pick("SecretAccessKey"), pick("SessionToken"))

rounds = []
for _ in range(30):
    t_imds, doc = imds_round()
    t_a, a = assume(Credentials(doc["AccessKeyId"], doc["SecretAccessKey"], doc["Token"]), role_a,
                    "aws-elevate-i-0123456789abcdef0")
    t_b, _ = assume(a, role_b, "bench-b")
    rounds.append((t_imds, t_a + t_b))
imds_ms = statistics.median(r[0] for r in rounds) * 1000
sts_ms = statistics.median(r[1] for r in rounds) * 1000
json.dump({"imds_ms": imds_ms, "sts_ms": sts_ms}, open(out, "w"))
PY

hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$out/chain.md" --export-json "$out/chain.json" \
    -n "aws-elevate credential-process, IMDS → A → B, no cache" "$elevate credential-process --profile b-chain" \
    -n "botocore (boto3), IMDS → A → B, no cache" "$python $work/botocore_cold.py" >/dev/null

echo
echo "Cold chain: $out/chain.md"
"$python" - "$out/chain.json" "$work/roundtrips.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
trips = json.load(open(sys.argv[2]))
elevate, botocore = results[0], results[1]
print("| command | median | min |")
print("|:---|---:|---:|")
for r in results:
    print(f"| {r['command']} | {r['median'] * 1000:.1f} ms | {r['min'] * 1000:.1f} ms |")
floor = trips["imds_ms"] + trips["sts_ms"]
print(f"| bare round trips: IMDS (token + 4 GETs) {trips['imds_ms']:.1f} ms + STS (2 AssumeRole) "
      f"{trips['sts_ms']:.1f} ms | {floor:.1f} ms | |")
e = elevate["median"] * 1000
b = botocore["median"] * 1000
print(f"\naws-elevate {e:.1f} ms vs botocore {b:.1f} ms: {b / e:.1f}x faster "
      f"({'met' if e < b else 'MISSED'}: faster than botocore cold)")
print(f"aws-elevate is {e - floor:.1f} ms above the round trips "
      f"({'met' if e - floor <= 25 else 'MISSED'}: within round trips + 25 ms)")
PY
