# aws-elevate shell integration for bash and zsh: `elevate` and `unelevate`.
#
#   source /path/to/aws-elevate.sh      # in ~/.bashrc or ~/.zshrc
#   elevate admin-chain                 # elevated credentials in this shell
#   elevate other-chain                 # switch; the state before the first elevate is still kept
#   unelevate                           # exactly the variables there were before the first elevate
#
# `elevate` evaluates `aws-elevate env`, whose values are single-quoted for eval. Before the first elevation it
# records, for each variable aws-elevate sets, whether it was set, whether it was exported and its value, and
# `unelevate` puts back exactly that. AWS_SECURITY_TOKEN, the older name of the session token that botocore still
# reads, is recorded too and unset while elevated, so that it never pairs with the elevated keys. A failed `elevate`
# changes nothing. The profile's chain always starts from the recorded (unelevated) variables, so
# `credential_source = Environment` never builds on an earlier elevation.
#
# The functions work whatever options the shell has: `elevate` and `unelevate` first make the options local and set
# those they rely on (bash `local -`, which needs bash 4.4 or later; zsh `emulate -LR zsh`). Without that, allexport
# (`set -a`, zsh ALL_EXPORT) would export the recorded values, secrets included, to every child process, errexit
# (`set -e`) would leave the shell in the middle of a failing `elevate` with half a record, and xtrace would print the
# values. Instead `elevate` returns its status and errexit applies at the call; nounset, KSH_ARRAYS, SH_WORD_SPLIT and
# the like do not reach the functions.

__aws_elevate_vars=(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
    AWS_CREDENTIAL_EXPIRATION AWS_ELEVATE_PROFILE AWS_REGION AWS_DEFAULT_REGION)

# The internal functions run with the options `elevate` and `unelevate` set; see above.

# Prints, for variable $1: 'x' when exported, 's' when set but not exported, nothing when unset.
__aws_elevate_state() {
    if [ -n "${ZSH_VERSION:-}" ]; then
        case ${(tP)1-} in
            '') ;;
            *-export*) printf x ;;
            *) printf s ;;
        esac
    else
        [ -n "${!1+set}" ] || return 0
        local flags
        flags=$(declare -p "$1" 2>/dev/null)
        flags=${flags#declare -}
        case ${flags%% *} in
            *x*) printf x ;;
            *) printf s ;;
        esac
    fi
}

__aws_elevate_save() {
    local name state
    for name in "${__aws_elevate_vars[@]}"; do
        state=$(__aws_elevate_state "$name")
        # unset first: a name that came in exported from the environment would stay exported.
        unset "__aws_elevate_saved_state_$name" "__aws_elevate_saved_value_$name"
        eval "__aws_elevate_saved_state_$name=\$state"
        if [ -n "$state" ]; then
            eval "__aws_elevate_saved_value_$name=\${$name}"
        fi
    done
}

__aws_elevate_restore() {
    local name state
    for name in "${__aws_elevate_vars[@]}"; do
        eval "state=\${__aws_elevate_saved_state_$name-}"
        unset "$name"
        case $state in
            x) eval "export $name=\${__aws_elevate_saved_value_$name}" ;;
            s) eval "$name=\${__aws_elevate_saved_value_$name}" ;;
        esac
    done
}

__aws_elevate_forget() {
    local name
    for name in "${__aws_elevate_vars[@]}"; do
        unset "__aws_elevate_saved_state_$name" "__aws_elevate_saved_value_$name"
    done
}

# elevate PROFILE [aws-elevate env options…]: put PROFILE's elevated credentials into this shell.
elevate() {
    # Options local to the call; xtrace and verbose off too, since they would print the values to stderr.
    if [ -n "${ZSH_VERSION:-}" ]; then emulate -LR zsh; else local -; set +a +e +u +k +v +x; fi
    if [ $# -eq 0 ] || [ -z "$1" ]; then
        printf '%s\n' "usage: elevate PROFILE [--token-code CODE] [--debug]" >&2
        return 64
    fi
    local profile=$1 shell_name=bash text rc=0
    shift
    [ -z "${ZSH_VERSION:-}" ] || shell_name=zsh
    [ -n "${__aws_elevate_active:-}" ] || __aws_elevate_save
    # The chain runs with the variables as they were before any elevation.
    text=$(__aws_elevate_restore; command aws-elevate env --profile "$profile" --shell "$shell_name" "$@") || rc=$?
    if [ $rc -ne 0 ]; then
        [ -n "${__aws_elevate_active:-}" ] || __aws_elevate_forget
        return $rc
    fi
    __aws_elevate_restore
    unset AWS_SECURITY_TOKEN
    eval "$text"
    unset __aws_elevate_active
    __aws_elevate_active=1
}

# unelevate: restore exactly what was there before the first `elevate`.
unelevate() {
    if [ -n "${ZSH_VERSION:-}" ]; then emulate -LR zsh; else local -; set +a +e +u +k +v +x; fi
    if [ -z "${__aws_elevate_active:-}" ]; then
        printf '%s\n' "unelevate: this shell is not elevated" >&2
        return 1
    fi
    __aws_elevate_restore
    __aws_elevate_forget
    unset __aws_elevate_active
}
