#!/usr/bin/env bash
# make build-release: records the commit being built in Sources/CBuildInfo/commit.h (ignored by git), which
# `aws-elevate --version` prints: 12 hex digits of HEAD, with "-dirty" when tracked files differ from it. Outside a
# git checkout the header is removed and the binary says "unknown". The header is rewritten only when its text
# changes, and then CBuildInfo.c is touched so SwiftPM recompiles it (a header that did not exist at the last
# compile is not in its dependency list).
set -euo pipefail
dir=${1:?usage: build_commit.sh SOURCES_DIR}
header=$dir/commit.h
source=$dir/CBuildInfo.c

commit=
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    commit=$(git rev-parse --short=12 HEAD)
    git update-index -q --refresh >/dev/null 2>&1 || true
    if ! git diff-index --quiet HEAD --; then commit+=-dirty; fi
fi

if [[ -z $commit ]]; then
    if [[ -e $header ]]; then rm -f "$header"; touch "$source"; fi
    echo "build_commit: not a git checkout; --version will say the commit is unknown" >&2
    exit 0
fi

text="#define AWS_ELEVATE_COMMIT \"$commit\""
if [[ ! -e $header ]] || [[ $(<"$header") != "$text" ]]; then
    printf '%s\n' "$text" >"$header"
    touch "$source"
fi
