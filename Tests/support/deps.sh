#!/usr/bin/env bash
# Installs what building and testing aws-elevate needs on a fresh Debian 12 machine, and nothing that is there.
#   deps.sh apt    Debian packages (apt-get update + install only when one is missing)
#   deps.sh venv   the Python venv at $VENV (default .venv) with Tests/support/requirements.txt
#   deps.sh        both
# Idempotent and quiet when everything is present. Runs as root, or through sudo otherwise.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${VENV:-$repo_root/.venv}
requirements=$repo_root/Tests/support/requirements.txt

# Why each package is here:
#   pkg-config, libssl-dev        build: the OpenSSL headers of the CCrypto target (libcrypto is dlopened)
#   libcurl4-openssl-dev          build: HTTP to STS and IMDS (the OpenSSL flavour of libcurl)
#   libxml2-dev                   build: FoundationXML / STS XML responses
#   libsecret-1-dev, libglib2.0-dev
#                                 build: the headers of libsecret, glib and gio, whose types and prototypes the CSecret
#                                 target takes (Package.swift passes their pkg-config --cflags; nothing links them)
#   gnome-keyring, libsecret-tools, dbus, python3-dbus, python3-gi
#                                 tests: a headless Secret Service inside dbus-run-session; secret-tool; fake
#                                 services that hang or fail (keyring_hung_service.py: D-Bus with a GLib main loop)
#   zsh                           tests: eval of `aws-elevate env --shell zsh` in a real zsh
#   tmux                          tests: interactive bash and zsh driven with send-keys and capture-pane (prompt
#                                 hooks, refresh, completion: test_shell_interactive.py)
#   faketime                      tests: moves the binary's clock (libfaketime, LD_PRELOAD) to make a cached
#                                 session due for refresh (test_cache_static_stability.py)
#   hyperfine                     make bench
#   groff-base, man-db            tests: the installed man page is checked with groff -ww and rendered by man -l
#                                 (test_install.py)
#   awscli                        tests: the AWS CLI v2 (/usr/bin/aws, 2.9 on Debian 12) as a credential_process
#                                 client; the venv's `aws` stays the CLI v1 (test_clients_v2_go.py)
#   golang-go, golang-github-aws-aws-sdk-go-v2-dev
#                                 tests: Tests/support/goclient, the AWS SDK for Go v2 (Terraform's) as a
#                                 credential_process client, built offline from Debian's sources (test_clients_v2_go.py)
#   dpkg-dev, binutils, gcc       make deb: dpkg-shlibdeps computes Depends (gcc links the stub that names the
#                                 dlopened libraries), strip
#   lintian                       make package-test: the .deb must have no lintian error (Tests/package)
#   debootstrap                   make package-test: the minimal Debian 12 root the .deb is installed into
#   git                           swift package resolution of the dependencies
#   python3, python3-venv         the venv holding moto_server, the aws CLI, boto3 and pytest
apt_packages=(
    pkg-config libssl-dev libcurl4-openssl-dev libxml2-dev libsecret-1-dev libglib2.0-dev
    gnome-keyring libsecret-tools dbus python3-dbus python3-gi
    zsh tmux faketime hyperfine git groff-base man-db
    awscli golang-go golang-github-aws-aws-sdk-go-v2-dev
    dpkg-dev binutils gcc lintian debootstrap
    python3 python3-venv
)

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

install_apt() {
    local missing=() package
    for package in "${apt_packages[@]}"; do
        if [[ $(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) != installed ]]; then
            missing+=("$package")
        fi
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        echo "deps: Debian packages present"
        return
    fi
    echo "deps: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q </dev/null
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q "${missing[@]}" </dev/null
}

# The venv counts as complete when it holds a stamp of the requirements it was built from and its tools answer.
venv_complete() {
    [[ -x $venv/bin/python && -f $venv/.requirements-stamp ]] || return 1
    cmp -s "$requirements" "$venv/.requirements-stamp" || return 1
    (cd / && "$venv/bin/python" -c 'import moto.server, boto3, botocore, pytest, flask') 2>/dev/null || return 1
    "$venv/bin/aws" --version >/dev/null 2>&1 || return 1
}

install_venv() {
    if venv_complete; then
        echo "deps: Python venv $venv complete"
        return
    fi
    echo "deps: setting up Python venv $venv"
    if [[ ! -x $venv/bin/python ]]; then
        python3 -m venv --clear "$venv"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" </dev/null
    cp "$requirements" "$venv/.requirements-stamp"
    venv_complete || { echo "deps: the venv at $venv is still incomplete after pip install" >&2; exit 1; }
}

case ${1:-all} in
    apt) install_apt ;;
    venv) install_venv ;;
    all) install_apt; install_venv ;;
    *) echo "usage: $0 [apt|venv|all]" >&2; exit 64 ;;
esac
