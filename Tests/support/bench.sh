#!/usr/bin/env bash
# make bench: whole-process start-up time of `aws-elevate credential-process` for a static-keys profile, beside a
# static Swift hello-world built the same way (-O, static Swift stdlib) and /bin/true, with hyperfine -N in
# interleaved rounds (Tests/support/interleaved.py: BENCH_ROUNDS rounds, 10 by default, share the BENCH_RUNS runs).
# Target: aws-elevate's median at most 2 ms above the hello-world's. Writes BENCH_DIR/results.json and prints the
# table and the verdict. Run through `make bench`.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
elevate=${AWS_ELEVATE_BIN:-$repo_root/.build/release/aws-elevate}
out=${BENCH_DIR:-$repo_root/.build/bench}
runs=${BENCH_RUNS:-300}
warmup=${BENCH_WARMUP:-30}
target_ms=2

[[ -x $elevate ]] || { echo "bench: $elevate is missing: run 'make bench', which builds it" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing: run 'make deps'" >&2; exit 1; }
mkdir -p "$out"

swiftc -O -static-stdlib "$repo_root/Tests/support/hello.swift" -o "$out/hello"

# A throwaway static-keys profile; no AWS_* variable of the caller takes part.
work=$(mktemp -d "${TMPDIR:-/tmp}/aws-elevate-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
while read -r name; do unset "$name"; done < <(compgen -e | grep '^AWS_' || true)
export HOME=$work AWS_CONFIG_FILE=$work/config AWS_SHARED_CREDENTIALS_FILE=$work/credentials
export AWS_EC2_METADATA_DISABLED=true
printf '[profile static]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"
printf '[static]\naws_access_key_id = AKIAEXAMPLEBENCH0001\naws_secret_access_key = bench-secret\n' \
    >"$AWS_SHARED_CREDENTIALS_FILE"
"$elevate" credential-process --profile static >/dev/null  # fails loudly here rather than inside hyperfine

interleaved() {  # OUT.json RUNS WARMUP NAME COMMAND ...: $rounds rounds, the runs split among them
    local json=$1 total=$2 warm=$3
    shift 3
    python3 "$repo_root/Tests/support/interleaved.py" "$json" "$rounds" $(( (total + rounds - 1) / rounds )) \
        $(( warm / rounds > 3 ? warm / rounds : 3 )) "$@"
}
rounds=${BENCH_ROUNDS:-10}

interleaved "$out/results.json" "$runs" "$warmup" \
    "aws-elevate credential-process --profile static" "$elevate credential-process --profile static" \
    "static Swift hello-world" "$out/hello" \
    "/bin/true" "/bin/true"
echo
python3 - "$out/results.json" "$target_ms" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
target = float(sys.argv[2])
print("| command | median | min |")
print("|:---|---:|---:|")
for r in results:
    print(f"| `{r['command']}` | {r['median'] * 1000:.2f} ms | {r['min'] * 1000:.2f} ms |")
elevate, hello = results[0], results[1]
above = (elevate["median"] - hello["median"]) * 1000
verdict = "met" if above <= target else "MISSED"
print(f"\naws-elevate median is {above:.2f} ms above the static hello-world (target: at most {target:g} ms): {verdict}")
PY

# The shell functions' per-prompt cost when no refresh is due (docs/benchmarks.md, "Shell hook").
echo
bash "$repo_root/Tests/support/bench_shell_hook.sh" "$elevate" "$out"

# ---------------------------------------------------------------------------------------------------------------------
# The session cache (docs/benchmarks.md, "Session cache"): a warm 2-hop chain (user keys → role A → role B in a local
# moto) served by aws-elevate from the file backend, from the keyring backend (gnome-keyring in a private D-Bus
# session), and by `auto` deciding for files without a bus; beside `secret-tool lookup` of one item, the static
# hello-world, awsume and botocore (the AWS CLI's JSON file cache) for the same chain, and /bin/true. Peak RSS with
# /usr/bin/time. Target: `auto` without a bus at most 50 ms (median). Needs the venv (`make deps`); awsume is
# installed into it here only. BENCH_CACHE=0 skips this part.
[[ ${BENCH_CACHE:-1} == 0 ]] && exit 0
venv=${VENV:-$repo_root/.venv}
[[ -x $venv/bin/python ]] || { echo "bench: $venv is missing: run 'make deps'" >&2; exit 1; }
for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing: run 'make deps'" >&2; exit 1; }
done
[[ -x $venv/bin/awsumepy ]] || "$venv/bin/python" -m pip install --quiet --disable-pip-version-check awsume </dev/null
slow_runs=${BENCH_SLOW_RUNS:-20}
auto_target_ms=50

moto_state=$work/moto
trap '"$venv/bin/python" "$repo_root/Tests/support/moto.py" stop "$moto_state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
moto_url=$("$venv/bin/python" "$repo_root/Tests/support/moto.py" start "$moto_state")
"$venv/bin/python" - "$repo_root/Tests/support/moto.py" "$moto_state" "$AWS_CONFIG_FILE" "$AWS_SHARED_CREDENTIALS_FILE" <<'PY'
import importlib.util, json, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("moto_peer", sys.argv[1])
moto_peer = importlib.util.module_from_spec(spec); sys.modules["moto_peer"] = moto_peer; spec.loader.exec_module(moto_peer)
moto = moto_peer.MotoServer(); moto.port = json.loads((Path(sys.argv[2]) / "moto.json").read_text())["port"]
user = moto.create_user("bench-user")
role_a = moto.create_role("bench-role-a", [user.arn])
role_b = moto.create_role("bench-role-b", [moto_peer.session_arn("bench-role-a", "elevate-a")])
# app-chain takes the default mode (auto); app-file and app-keyring pin a backend (no `env` exec in the timing).
last_hop = f"role_arn = {role_b.arn}\nsource_profile = hop1\nrole_session_name = elevate-b\nregion = us-east-1\n"
Path(sys.argv[3]).write_text(
    f"[profile app-chain]\n{last_hop}\n[profile app-file]\n{last_hop}elevate_cache = file\n\n"
    f"[profile app-keyring]\n{last_hop}elevate_cache = keyring\n\n"
    f"[profile hop1]\nrole_arn = {role_a.arn}\nsource_profile = base\nrole_session_name = elevate-a\n"
    "region = us-east-1\n\n[profile base]\nregion = us-east-1\n")
Path(sys.argv[4]).write_text(f"[base]\naws_access_key_id = {user.access_key_id}\n"
                             f"aws_secret_access_key = {user.secret_access_key}\n")
PY
export AWS_ENDPOINT_URL=$moto_url
unset DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR DISPLAY WAYLAND_DISPLAY

# Fill every cache once (each fails loudly here rather than inside hyperfine).
"$elevate" credential-process --profile app-file >/dev/null
"$elevate" credential-process --profile app-chain >/dev/null
"$venv/bin/awsumepy" app-chain -s >/dev/null
cat >"$work/botocore_chain.py" <<'PY'
import boto3
from botocore.credentials import JSONFileCache
session = boto3.Session(profile_name="app-chain")
session._session.get_component("credential_provider").get_provider("assume-role").cache = JSONFileCache()
session.get_credentials().get_frozen_credentials()
PY
"$venv/bin/python" "$work/botocore_chain.py"

# The keyring part runs inside a private bus with an unlocked gnome-keyring; its results land in $out.
cat >"$work/keyring_bench.sh" <<'SH'
set -euo pipefail
"$ELEVATE" credential-process --profile app-keyring >/dev/null
# app-chain takes the default mode, auto: in this session's fresh HOME it finds no file entry and stores in the
# keyring, so its hits come from the keyring after a file look-up.
"$ELEVATE" credential-process --profile app-chain >/dev/null
secret-tool lookup profile app-keyring >/dev/null
python3 "$INTERLEAVED" "$OUT/cache-keyring.json" "$ROUNDS" "$ROUND_RUNS" "$WARMUP" \
    "aws-elevate credential-process, warm keyring" "$ELEVATE credential-process --profile app-keyring" \
    "aws-elevate credential-process, auto with a keyring (warm keyring)" \
    "$ELEVATE credential-process --profile app-chain" \
    "secret-tool lookup (one item)" "secret-tool lookup profile app-keyring"
for name in elevate auto lookup; do
    command=("$ELEVATE" credential-process --profile app-keyring)
    [[ $name == auto ]] && command=("$ELEVATE" credential-process --profile app-chain)
    [[ $name == lookup ]] && command=(secret-tool lookup profile app-keyring)
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f %M "${command[@]}" 2>&1 >/dev/null | tail -1
    done | sort -n | sed -n 3p >"$OUT/rss-keyring-$name"
done
SH
ELEVATE=$elevate OUT=$out WARMUP=$(( warmup / rounds > 3 ? warmup / rounds : 3 )) ROUNDS=$rounds ROUND_RUNS=$(( (runs + rounds - 1) / rounds )) \
    INTERLEAVED=$repo_root/Tests/support/interleaved.py \
    bash "$repo_root/Tests/support/keyring_session.sh" unlocked bash "$work/keyring_bench.sh"

interleaved "$out/cache-fast.json" "$runs" "$warmup" \
    "aws-elevate credential-process, warm file cache" "$elevate credential-process --profile app-file" \
    "aws-elevate credential-process, auto without a bus (warm file cache)" \
    "$elevate credential-process --profile app-chain" \
    "aws-elevate cache list, auto deciding without a bus" "$elevate cache list" \
    "static Swift hello-world" "$out/hello" \
    "/bin/true" "/bin/true"
# Large configs: the same warm hit with thousands of profiles around the chain's (BENCH_LARGE=0 skips it).
if [[ ${BENCH_LARGE:-1} != 0 ]]; then
    bash "$repo_root/Tests/support/bench_large_config.sh" "$elevate" "$out" "$runs" \
        "$(( warmup / rounds > 3 ? warmup / rounds : 3 ))" "$rounds"
fi
# The AWS CLI as people run it: `s3 presign` resolves credentials and signs without a request, so it times the CLI's
# start-up and credential resolution only; once resolving the chain itself (its own cache warm), once through
# aws-elevate's credential_process (our cache warm). Debian's AWS CLI v2 (/usr/bin/aws) too where it is installed.
printf '\n[profile cli-elevated]\ncredential_process = %s credential-process --profile app-file\nregion = us-east-1\n' \
    "$elevate" >>"$AWS_CONFIG_FILE"
clis=("1 $venv/bin/aws")
if [[ -x /usr/bin/aws ]] && /usr/bin/aws --version 2>&1 | grep -q '^aws-cli/2'; then clis+=("2 /usr/bin/aws"); fi
cli_runs=()
for cli in "${clis[@]}"; do
    "${cli#* }" s3 presign s3://bench/key --profile app-chain >/dev/null  # fills the CLI's cache, fails loudly here
    cli_runs+=(-n "the AWS CLI v${cli%% *}, chain resolved by itself (its cache warm)"
        "${cli#* } s3 presign s3://bench/key --profile app-chain"
        -n "the AWS CLI v${cli%% *} through aws-elevate credential_process"
        "${cli#* } s3 presign s3://bench/key --profile cli-elevated")
done
hyperfine -N --warmup 3 --runs "$slow_runs" --export-json "$out/cache-slow.json" \
    -n "awsume app-chain -s (its cache warm)" "$venv/bin/awsumepy app-chain -s" \
    -n "botocore, the AWS CLI's JSON file cache warm" "$venv/bin/python $work/botocore_chain.py" \
    "${cli_runs[@]}" >/dev/null

peak_rss() {  # the median of five runs' peak RSS in KiB
    for _ in 1 2 3 4 5; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 3p
}
{
    echo "file=$(peak_rss "$elevate" credential-process --profile app-file)"
    echo "auto=$(peak_rss "$elevate" credential-process --profile app-chain)"
    echo "list=$(peak_rss "$elevate" cache list)"
    echo "hello=$(peak_rss "$out/hello")"
    echo "true=$(peak_rss /bin/true)"
    echo "awsume=$(peak_rss "$venv/bin/awsumepy" app-chain -s)"
    echo "botocore=$(peak_rss "$venv/bin/python" "$work/botocore_chain.py")"
    for cli in "${clis[@]}"; do
        echo "cli${cli%% *}=$(peak_rss "${cli#* }" s3 presign s3://bench/key --profile app-chain)"
        echo "cli${cli%% *}elevate=$(peak_rss "${cli#* }" s3 presign s3://bench/key --profile cli-elevated)"
    done
    echo "keyring=$(cat "$out/rss-keyring-elevate")"
    echo "autokeyring=$(cat "$out/rss-keyring-auto")"
    echo "lookup=$(cat "$out/rss-keyring-lookup")"
} >"$out/cache-rss.txt"

echo
python3 - "$out" "$auto_target_ms" <<'PY' | tee "$out/cache-results.md"
import json, sys
from pathlib import Path
out, target = Path(sys.argv[1]), float(sys.argv[2])
rss = dict(line.split("=", 1) for line in (out / "cache-rss.txt").read_text().split())
# Most specific first: the auto row's name also contains "warm file".
rss_keys = {"auto without a bus (warm": "auto", "warm file": "file", "cache list": "list", "hello": "hello",
            "/bin/true": "true", "awsume": "awsume", "botocore": "botocore",
            "auto with a keyring": "autokeyring", "warm keyring": "keyring", "secret-tool": "lookup",
            "CLI v1, chain": "cli1", "CLI v1 through": "cli1elevate", "CLI v2, chain": "cli2",
            "CLI v2 through": "cli2elevate"}
rows = []
for name in ("cache-fast.json", "cache-keyring.json", "cache-slow.json"):
    rows += json.loads((out / name).read_text())["results"]
print("| command | median | min | peak RSS |")
print("|:---|---:|---:|---:|")
for r in sorted(rows, key=lambda r: r["median"]):
    key = next((v for k, v in rss_keys.items() if k in r["command"]), None)
    memory = f"{int(rss[key]) / 1024:.1f} MiB" if key and rss.get(key, "").isdigit() else "?"
    print(f"| `{r['command']}` | {r['median'] * 1000:.2f} ms | {r['min'] * 1000:.2f} ms | {memory} |")
def row(prefix):
    return next(r for r in rows if r["command"].startswith(prefix))
def median_ms(prefix):
    return row(prefix)["median"] * 1000
def verdict(ok):
    return "met" if ok else "MISSED"
print()
file_hit, hello = median_ms("aws-elevate credential-process, warm file cache"), median_ms("static Swift hello-world")
above = file_hit - hello
print(f"- warm file hit: {above:.2f} ms above the static hello-world (target: at most 2 ms): {verdict(above <= 2)}")
speedup = median_ms("botocore") / file_hit
print(f"- warm file hit: {speedup:.1f}x faster than botocore warm (target: at least 50x): {verdict(speedup >= 50)}")
ratio = median_ms("aws-elevate credential-process, warm keyring") / median_ms("secret-tool")
print(f"- warm keyring hit: {ratio:.2f}x secret-tool lookup (target: at most 1.5x): {verdict(ratio <= 1.5)}")
for name, key in (("file hit", "file"), ("keyring hit", "keyring"), ("auto with a keyring, hit", "autokeyring")):
    kib = int(rss[key])
    print(f"- peak RSS, {name}: {kib / 1024:.1f} MiB = {kib * 1024 / 1e6:.1f} MB (target: at most 15 MB): "
          f"{verdict(kib * 1024 <= 15e6)}")
auto = median_ms("aws-elevate cache list, auto")
print(f"- `auto` deciding for files without a bus: median {auto:.2f} ms (target: at most {target:g} ms): "
      f"{verdict(auto <= target)}")
PY

# ---------------------------------------------------------------------------------------------------------------------
# The cold chain (docs/benchmarks.md, "Cold chain"): instance role → A → B with no cache, against botocore.
if [[ ${BENCH_CHAIN:-1} != 0 ]]; then
    AWS_ELEVATE_BIN=$elevate BENCH_DIR=$out bash "$repo_root/Tests/support/bench_chain.sh"
fi

# ---------------------------------------------------------------------------------------------------------------------
# The chart of the side-by-side latencies (docs/benchmarks.md shows the one of its latest run).
"$venv/bin/python" "$repo_root/Tests/support/bench_chart.py" "$out" "$out/latency.png"
