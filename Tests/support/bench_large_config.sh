#!/usr/bin/env bash
# make bench, the large-config part (docs/benchmarks.md, "Large configs"): a warm file-cache hit of the 2-hop chain
# with the chain's profiles inside configs of 10, 2,000 and 20,000 generated profiles (one per account and role, as
# aws-sso-util or `aws configure sso` write them), inside a credentials file of that many sections, and inside a
# config at the 4 MiB size limit; `env` the same way; and the `profiles` listing and `explain` of the 20,000-profile
# config. All side by side in one interleaved run. Targets: a hit at most 0.5 ms above the small config's with 2,000
# profiles and at most 3 ms above with 20,000, for credential-process and env, in either file; the listing and
# explain within 50 ms.
#
#   bench_large_config.sh ELEVATE OUT RUNS WARMUP ROUNDS
# Run by bench.sh after it filled the file cache of the chain in $AWS_CONFIG_FILE / $AWS_SHARED_CREDENTIALS_FILE.
set -euo pipefail
elevate=$1 out=$2 runs=$3 warmup=$4 rounds=$5
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
large=$(mktemp -d "${TMPDIR:-/tmp}/aws-elevate-large.XXXXXX")
trap 'rm -rf "$large"' EXIT

python3 - "$AWS_CONFIG_FILE" "$AWS_SHARED_CREDENTIALS_FILE" "$large" <<'PY'
import sys
from pathlib import Path
config, credentials, large = Path(sys.argv[1]).read_text(), Path(sys.argv[2]).read_text(), Path(sys.argv[3])
roles = ["ReadOnly", "PowerUser", "Admin", "Billing"]

def profiles(count, start=0):
    # One generated profile per account and role, about 115 bytes each.
    return "".join(f"[profile acct{100000000000 + i // 4}-{roles[i % 4]}]\nsso_session = corp\n"
                   f"sso_account_id = {100000000000 + i // 4}\nsso_role_name = {roles[i % 4]}\nregion = us-east-1\n\n"
                   for i in range(start, start + count))

def sections(count, start=0):
    return "".join(f"[acct{i:07d}]\naws_access_key_id = AKIAEXAMPLE{i:09d}\naws_secret_access_key = s{i:039d}\n\n"
                   for i in range(start, start + count))

sso = ("[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\n"
       "[profile bench-keys]\naws_access_key_id = AKIAEXAMPLEBENCHKEYS\naws_secret_access_key = bench\n\n")
for count in (10, 2000, 20000):
    half = count // 2
    (large / f"config-{count}").write_text(sso + profiles(half) + config + "\n" + profiles(count - half, half))
    (large / f"credentials-{count}").write_text(sections(count // 2) + credentials + "\n" + sections(count // 2, count // 2))
limit = 4 * 1024 * 1024 - 4096
text, count = sso + config + "\n", 0
while len(text.encode()) < limit:
    block = profiles(1000, count)
    if len((text + block).encode()) > limit:
        break
    text, count = text + block, count + 1000
(large / "config-limit").write_text(text)
print(f"bench: the config at the size limit holds {count} generated profiles, {len(text.encode())} bytes",
      file=sys.stderr)
PY

# A run stores a large file's index only when the file has not changed for two seconds (INIIndexRecord); the runs
# below store them, and the timed hits read the files through them. The `keys` rows time the scan a run makes
# after an edit: AWS_ELEVATE_CACHE=none stores nothing, and the profile's keys need no session cache.
sleep 3
small_credentials=$AWS_SHARED_CREDENTIALS_FILE
with() {  # CONFIG CREDENTIALS ARGS...: the command line for hyperfine -N
    local config=$1 credentials=$2 cache=
    shift 2
    [[ $1 == "$keys" ]] && cache="AWS_ELEVATE_CACHE=none "
    echo "env ${cache}AWS_CONFIG_FILE=$config AWS_SHARED_CREDENTIALS_FILE=$credentials $elevate $*"
}
for file in config-10 config-2000 config-20000 config-limit; do
    AWS_CONFIG_FILE=$large/$file "$elevate" credential-process --profile app-file >/dev/null  # fails loudly here
done
for file in credentials-2000 credentials-20000; do
    AWS_SHARED_CREDENTIALS_FILE=$large/$file "$elevate" credential-process --profile app-file >/dev/null
done
for file in config-2000 config-20000 config-limit; do
    debug=$(AWS_CONFIG_FILE=$large/$file "$elevate" credential-process --profile app-file --debug 2>&1 >/dev/null)
    [[ $debug == *"config file '$large/$file': sections found through the index stored"* ]] ||
        { echo "bench: no stored index is used for $file" >&2; exit 1; }
done

hit="credential-process --profile app-file"
env="env --profile app-file --shell bash"
keys="credential-process --profile bench-keys"
python3 "$repo_root/Tests/support/interleaved.py" "$out/large-config.json" "$rounds" \
    $(( (runs + rounds - 1) / rounds )) "$warmup" \
    "hit, config of 10 profiles" "$(with "$large/config-10" "$small_credentials" "$hit")" \
    "hit, config of 2,000 profiles" "$(with "$large/config-2000" "$small_credentials" "$hit")" \
    "hit, config of 20,000 profiles" "$(with "$large/config-20000" "$small_credentials" "$hit")" \
    "hit, config at the 4 MiB limit" "$(with "$large/config-limit" "$small_credentials" "$hit")" \
    "hit, credentials of 2,000 sections" "$(with "$large/config-10" "$large/credentials-2000" "$hit")" \
    "hit, credentials of 20,000 sections" "$(with "$large/config-10" "$large/credentials-20000" "$hit")" \
    "env, config of 10 profiles" "$(with "$large/config-10" "$small_credentials" "$env")" \
    "env, config of 2,000 profiles" "$(with "$large/config-2000" "$small_credentials" "$env")" \
    "env, config of 20,000 profiles" "$(with "$large/config-20000" "$small_credentials" "$env")" \
    "env, credentials of 20,000 sections" "$(with "$large/config-10" "$large/credentials-20000" "$env")" \
    "profiles, config of 20,000 profiles" "$(with "$large/config-20000" "$small_credentials" profiles)" \
    "explain, config of 20,000 profiles" "$(with "$large/config-20000" "$small_credentials" explain --profile app-file)" \
    "keys, config of 10 profiles, scanned" "$(with "$large/config-10" "$small_credentials" "$keys")" \
    "keys, config of 20,000 profiles, scanned" "$(with "$large/config-20000" "$small_credentials" "$keys")" \
    "keys, config at the 4 MiB limit, scanned" "$(with "$large/config-limit" "$small_credentials" "$keys")"

echo
python3 - "$out" <<'PY' | tee "$out/large-config.md"
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
rows = {r["command"]: r["median"] * 1000 for r in json.loads((out / "large-config.json").read_text())["results"]}
print("| command | median | above the 10-profile config |")
print("|:---|---:|---:|")
for name, median in rows.items():
    kind = name.split(",")[0]
    base = rows[f"{kind}, config of 10 profiles" + (", scanned" if kind == "keys" else "")] if kind in ("hit", "env", "keys") else 0
    plain = name.startswith(("profiles", "explain"))
    print(f"| {name} | {median:.2f} ms | {'' if plain else f'+{median - base:.2f} ms'} |")
print()
def verdict(ok):
    return "met" if ok else "MISSED"
for kind in ("hit", "env"):
    base = rows[f"{kind}, config of 10 profiles"]
    for name, target in ((f"{kind}, config of 2,000 profiles", 0.5), (f"{kind}, config of 20,000 profiles", 3),
                         (f"{kind}, credentials of 2,000 sections", 0.5),
                         (f"{kind}, credentials of 20,000 sections", 3)):
        if name in rows:
            above = rows[name] - base
            print(f"- {name}: {above:+.2f} ms (target: at most {target:g} ms above): {verdict(above <= target)}")
for name in ("keys, config of 20,000 profiles, scanned", "keys, config at the 4 MiB limit, scanned"):
    print(f"- {name} (a run after an edit, for information): "
          f"{rows[name] - rows['keys, config of 10 profiles, scanned']:+.2f} ms")
above = rows["hit, config at the 4 MiB limit"] - rows["hit, config of 10 profiles"]
print(f"- hit, config at the 4 MiB limit: {above:+.2f} ms (target: at most 3 ms above): {verdict(above <= 3)}")
for name in ("profiles, config of 20,000 profiles", "explain, config of 20,000 profiles"):
    print(f"- {name}: {rows[name]:.2f} ms (target: at most 50 ms): {verdict(rows[name] <= 50)}")
PY
