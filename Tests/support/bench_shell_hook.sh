#!/usr/bin/env bash
# Part of make bench (docs/benchmarks.md, "Shell hook"): what the shell functions add to every prompt when no
# refresh is due: __aws_elevate_hook (PROMPT_COMMAND / preexec) and `aws_elevate_prompt -v VAR`, in bash and zsh,
# each timed inside the shell over BENCH_HOOK_CALLS calls (default 20000) against the same loop empty
# (EPOCHREALTIME; no process is started, so there is nothing for hyperfine to time). The level is elevated with the
# static-keys profile of bench.sh and given an expiry an hour away. Writes OUT/shell-hook.md and prints it.
#   bench_shell_hook.sh ELEVATE OUT   (with bench.sh's HOME, AWS_CONFIG_FILE and a [profile static])
set -euo pipefail
elevate=$1 out=$2
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
calls=${BENCH_HOOK_CALLS:-20000}
command -v zsh >/dev/null || { echo "bench: zsh is missing: run 'make deps'" >&2; exit 1; }
bin_dir=$(mktemp -d "${TMPDIR:-/tmp}/aws-elevate-hook.XXXXXX")
trap 'rm -rf "$bin_dir"' EXIT
ln -s "$elevate" "$bin_dir/aws-elevate"

script='
. "$FUNCTIONS"
elevate static || exit 1
__aws_elevate_x1=$(( ${EPOCHREALTIME%.*} + 3600 ))
n=$CALLS
i=0; t0=$EPOCHREALTIME; while (( i < n )); do i=$((i + 1)); done
i=0; t1=$EPOCHREALTIME; while (( i < n )); do __aws_elevate_hook; i=$((i + 1)); done
i=0; t2=$EPOCHREALTIME; while (( i < n )); do aws_elevate_prompt -v p; i=$((i + 1)); done
t3=$EPOCHREALTIME
printf "%s %s %s %s %s\n" "$t0" "$t1" "$t2" "$t3" "$p"
'
{
    echo "| shell | refresh hook, not due | aws_elevate_prompt -v | prompt text |"
    echo "|:---|---:|---:|:---|"
    for shell in bash zsh; do
        argv=("$shell" --norc --noprofile)
        [[ $shell == zsh ]] && argv=(zsh -f)
        read -r t0 t1 t2 t3 prompt < <(LC_ALL=C PATH="$bin_dir:$PATH" FUNCTIONS=$repo_root/shell/aws-elevate.sh \
            CALLS=$calls "${argv[@]}" -c "$script")
        python3 - "$shell" "$calls" "$t0" "$t1" "$t2" "$t3" "$prompt" <<'PY'
import sys
shell, calls, t0, t1, t2, t3, prompt = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:7]), sys.argv[7]
empty = t1 - t0
hook, prompt_time = (t2 - t1 - empty) / calls * 1e6, (t3 - t2 - empty) / calls * 1e6
print(f"| {shell} | {hook:.1f} µs | {prompt_time:.1f} µs | `{prompt}` |")
PY
    done
} | tee "$out/shell-hook.md"
