#!/usr/bin/env bash
# Runs a command inside a private D-Bus session bus with a given kind of Secret Service on it, in a fresh HOME
# and XDG_RUNTIME_DIR (0700) under a temporary folder that is removed afterwards.
#
#   keyring_session.sh MODE COMMAND [ARGS...]
#
# MODE:
#   unlocked   gnome-keyring-daemon --unlock, the password on stdin. On a fresh HOME this CREATES the "login"
#              collection with that password, unlocked, and points the alias "default" at it.
#   nokeyring  gnome-keyring-daemon without --unlock on a fresh HOME: the daemon serves, but has no "login"
#              collection and no "default" alias (ReadAlias answers "/").
#   noservice  the bus only. gnome-keyring's D-Bus activation file stays visible, so anything asking libsecret
#              for the service would start a daemon: callers must check NameHasOwner first.
#   hung       a fake service (keyring_hung_service.py) that owns org.freedesktop.secrets and never answers.
#   hung-lookup    a fake service that says it can serve (an unlocked default collection) but never answers a
#                  lookup (SearchItems).
#   failing-store  a fake service that says it can serve, finds nothing, and refuses every store.
#
# The command runs once org.freedesktop.secrets has an owner (when MODE starts one); before that, D-Bus
# activation would start a second, locked daemon. KEYRING_SESSION_HOME tells it the HOME in use. The bus
# daemon's log (service activations, e.g. of gnome-keyring's prompter) goes to stderr.
#
# Needs (Debian): dbus (dbus-run-session, dbus-send), gnome-keyring, and /usr/bin/python3 with python3-dbus and
# python3-gi.
set -euo pipefail

# Test runners start children with most signals blocked or ignored (a Swift test's Process does), and every
# process below would inherit that: dbus-run-session's SIGTERM would then never end the bus or the daemons, and
# they would outlive the test. So first re-execute this script with a clean signal mask and default handlers.
if [[ -z ${KEYRING_SESSION_CLEAN_SIGNALS:-} ]]; then
    export KEYRING_SESSION_CLEAN_SIGNALS=1
    exec /usr/bin/python3 -c '
import os, signal, sys
signal.pthread_sigmask(signal.SIG_SETMASK, [])
for number in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGTERM, signal.SIGXFSZ):
    signal.signal(number, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])
' "${BASH_SOURCE[0]}" "$@"
fi

mode=${1:?usage: keyring_session.sh MODE COMMAND [ARGS...]}
shift
support=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ -z ${KEYRING_SESSION_DIR:-} ]]; then
    if ! command -v dbus-run-session >/dev/null; then
        echo "keyring_session: dbus-run-session is missing (apt: dbus)" >&2
        exit 3
    fi
    KEYRING_SESSION_DIR=$(mktemp -d "${TMPDIR:-/tmp}/elevate-keyring.XXXXXX")
    trap 'rm -rf "$KEYRING_SESSION_DIR"' EXIT
    mkdir -m 700 "$KEYRING_SESSION_DIR/home" "$KEYRING_SESSION_DIR/run"
    # Set before the bus starts: a service the bus activates gets the bus daemon's environment, and must not
    # touch the real HOME either.
    export KEYRING_SESSION_DIR HOME=$KEYRING_SESSION_DIR/home XDG_RUNTIME_DIR=$KEYRING_SESSION_DIR/run
    export KEYRING_SESSION_HOME=$HOME
    unset DISPLAY WAYLAND_DISPLAY GNOME_KEYRING_CONTROL DBUS_SESSION_BUS_ADDRESS
    status=0
    dbus-run-session -- "${BASH_SOURCE[0]}" "$mode" "$@" || status=$?
    exit "$status"
fi

# Inside the private bus.
service_pid=
cleanup() {
    if [[ -n $service_pid ]]; then
        kill "$service_pid" 2>/dev/null || true
        local tries
        for ((tries = 0; tries < 40; tries++)); do
            kill -0 "$service_pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$service_pid" 2>/dev/null || true
        wait "$service_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT

has_owner() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}

wait_for_owner() {
    local tries
    for ((tries = 0; tries < 200; tries++)); do
        has_owner && return 0
        if ! kill -0 "$service_pid" 2>/dev/null; then
            echo "keyring_session: the $mode service exited before owning org.freedesktop.secrets" >&2
            exit 3
        fi
        sleep 0.025
    done
    echo "keyring_session: nothing owns org.freedesktop.secrets after 5 s ($mode)" >&2
    exit 3
}

case $mode in
unlocked)
    printf %s "elevate-test-password" |
        gnome-keyring-daemon --foreground --unlock --components=secrets >"$KEYRING_SESSION_DIR/daemon.log" 2>&1 &
    service_pid=$!
    wait_for_owner
    ;;
nokeyring)
    gnome-keyring-daemon --foreground --components=secrets </dev/null >"$KEYRING_SESSION_DIR/daemon.log" 2>&1 &
    service_pid=$!
    wait_for_owner
    ;;
noservice) ;;
hung)
    # The Debian python3, which python3-dbus installs into (a pyenv or venv python3 first on PATH lacks it).
    /usr/bin/python3 "$support/keyring_hung_service.py" all &
    service_pid=$!
    wait_for_owner
    ;;
hung-lookup | failing-store)
    /usr/bin/python3 "$support/keyring_hung_service.py" "$([[ $mode == hung-lookup ]] && echo lookup || echo store)" &
    service_pid=$!
    wait_for_owner
    ;;
*)
    echo "keyring_session: unknown mode '$mode'" >&2
    exit 2
    ;;
esac

status=0
"$@" || status=$?
exit "$status"
