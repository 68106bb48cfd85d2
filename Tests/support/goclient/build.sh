#!/usr/bin/env bash
# Builds Tests/support/goclient into .build/goclient/goclient from Debian's Go and its aws-sdk-go-v2 sources
# (/usr/share/gocode), offline, and prints the binary's path. Rebuilds only when the sources, this script, the Go
# toolchain or the SDK packages change: the hash of those is kept beside the binary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$here/../../.." && pwd)
out=$repo_root/.build/goclient
gocode=/usr/share/gocode

if ! command -v go >/dev/null || [[ ! -d $gocode/src/github.com/aws/aws-sdk-go-v2/service/sts ]]; then
    echo "goclient: Go or the aws-sdk-go-v2 sources are missing: run \`make deps\`" >&2
    exit 1
fi

hash=$(
    {
        cat "$here"/*.go "$here/build.sh"
        go version
        dpkg-query -W -f='${Package} ${Version}\n' golang-github-aws-aws-sdk-go-v2-dev golang-github-aws-smithy-go-dev \
            golang-github-jmespath-go-jmespath-dev 2>/dev/null || true
    } | sha256sum | cut -d' ' -f1
)
if [[ -x $out/goclient && $(cat "$out/goclient.hash" 2>/dev/null) == "$hash" ]]; then
    echo "$out/goclient"
    exit 0
fi

mkdir -p "$out"
# GOPATH mode: Debian installs the SDK as one source tree under /usr/share/gocode, not as modules, so nothing is
# resolved through a module proxy. No cgo: the client needs no C compiler.
GO111MODULE=off GOPATH=$gocode GOPROXY=off GOFLAGS= CGO_ENABLED=0 GOCACHE=$out/cache \
    go build -trimpath -o "$out/goclient.new" "$here"/*.go >&2
mv -f "$out/goclient.new" "$out/goclient"
echo "$hash" >"$out/goclient.hash"
echo "$out/goclient"
