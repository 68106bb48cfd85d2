#!/usr/bin/env bash
# Runs the libFuzzer targets of Tests/Fuzz (make fuzz): first every committed input of Tests/Fuzz/Corpus/TARGET
# (the seeds and every input that ever failed), then FUZZ_SECONDS of fuzzing per target from those inputs.
#   fuzz.sh BINARY SECONDS [TARGET...]
# New inputs are kept under .build-fuzz/corpus/TARGET; a failing input is saved under .build-fuzz/artifacts/TARGET
# and the run fails: copy it into Tests/Fuzz/Corpus/TARGET/regression-NAME with the fix.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
binary=$1
seconds=$2
shift 2
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(ini credential-document sts-xml imds cache-entry shell-quote sso-token)
fi

work=$repo_root/.build-fuzz
failed=0
for target in "${targets[@]}"; do
    corpus=$repo_root/Tests/Fuzz/Corpus/$target
    mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
    log=$work/artifacts/$target/last-run.log
    common=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/$target/" -print_final_stats=1)
    # Swift's own crash handler is left out: libFuzzer and AddressSanitizer report the failure.
    export SWIFT_BACKTRACE=enable=no
    if ! ELEVATE_FUZZ_TARGET=$target "$binary" "${common[@]}" -runs=0 "$corpus" >"$log" 2>&1; then
        echo "fuzz: $target: a committed input fails (log: $log)"
        tail -n 30 "$log"
        failed=$((failed + 1))
        continue
    fi
    if ELEVATE_FUZZ_TARGET=$target "$binary" "${common[@]}" -max_total_time="$seconds" \
        "$work/corpus/$target" "$corpus" >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        echo "fuzz: $target: ${runs:-?} executions in ${seconds} s, no failure"
    else
        echo "fuzz: $target: FAILED (log: $log; input saved under $work/artifacts/$target/)"
        grep -E "fuzz property broken|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY" "$log" | head -n 5 || true
        failed=$((failed + 1))
    fi
done
if [[ $failed -ne 0 ]]; then
    echo "fuzz: $failed of ${#targets[@]} targets failed"
    exit 1
fi
