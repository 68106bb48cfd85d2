# aws-elevate shell integration for bash (4.4 or later) and zsh: `elevate`, `unelevate`, a prompt segment, refresh
# before expiry, and completion.
#
#   eval "$(aws-elevate shell-init bash)"   # in ~/.bashrc (zsh: eval "$(aws-elevate shell-init zsh)" in ~/.zshrc)
#   . /path/to/aws-elevate.sh               # the same, by path
#
#   elevate admin                 # level 1: admin's elevated credentials in this shell
#   elevate prod-admin            # level 2, resolved with level 1's credentials (credential_source = Environment)
#   elevate --switch other        # replaces the top level, resolved from the level below it
#   elevate                       # AWS_ELEVATE_DEFAULT_PROFILE, else usage
#   unelevate                     # back to the level below, byte for byte
#   unelevate --all               # back to the variables before the first `elevate`
#   aws_elevate_prompt            # prints "[prod-admin 42m +1]": profile, minutes left, levels below; nothing at level 0
#   aws_elevate_prompt -v NAME    # the same into variable NAME, without a subshell
#
# `elevate` runs `aws-elevate env --assignments`, whose values are single-quoted, and moves them into place. Before
# each level it records, for each variable it touches, whether it was set, whether it was exported and its value;
# `unelevate` puts back exactly that. While elevated, AWS_PROFILE and AWS_DEFAULT_PROFILE are unset (an SDK would
# otherwise look the named profile up first and ignore the keys) and so is AWS_SECURITY_TOKEN, the older name of the
# session token that botocore still reads; AWS_ELEVATE_PROFILE names the level. A failing `elevate` changes nothing.
#
# Refresh: before each command (zsh preexec; bash PROMPT_COMMAND, i.e. before each prompt), when the top level has
# less than AWS_ELEVATE_SHELL_REFRESH minutes left (default 10; 0 turns it off), the top level is fetched again from
# the level below it (usually a cache hit) with `--no-prompt`, so it never asks for an MFA code. When that fails the
# current values stay and one warning is printed; the refresh is tried again each minute without more warnings.
# No process is started when no refresh is due. Saved levels are never touched.
#
# Completion: `elevate <TAB>` completes profile names (`aws-elevate profiles`); the completion of the aws-elevate
# command itself (`aws-elevate completion bash|zsh`) is loaded on its first use. zsh needs compinit, run before the
# first prompt; without it there is no completion, quietly.
#
# Loading this text twice is harmless: the hooks are added once, after whatever PROMPT_COMMAND (string or array),
# preexec_functions and precmd_functions hold, which keep running.
#
# The functions work whatever options the shell has: each first makes the options local and sets those it relies on
# (bash `local -`; zsh `emulate -LR zsh`). Without that, allexport (`set -a`, zsh ALL_EXPORT) would export the
# recorded values, secrets included, to every child process, errexit would stop a failing `elevate` half way, and
# xtrace would print the values. nounset, KSH_ARRAYS, SH_WORD_SPLIT and the like do not reach the functions. Every
# builtin is called as `\builtin NAME`, so aliases (expanded when a function is defined) and functions named export,
# unset, eval, command, printf or local do not change them. Secrets never reach a command line, a file or history.
#
# Names: the functions elevate, unelevate and aws_elevate_prompt; everything else, functions and variables, starts
# with __aws_elevate_. Per level N: __aws_elevate_sN_VAR / __aws_elevate_vN_VAR (the state below level N),
# __aws_elevate_pN (profile), __aws_elevate_xN (expiry, seconds since 1970), __aws_elevate_wN (refresh failure warned),
# __aws_elevate_nN (next refresh check); __aws_elevate_depth is the number of levels.

__aws_elevate_vars=(AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
    AWS_CREDENTIAL_EXPIRATION AWS_ELEVATE_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_PROFILE AWS_DEFAULT_PROFILE)

# The internal functions run with the options their public caller set.

# Sets the caller's __aws_elevate_st for variable $1: x when exported, s when set but not exported, empty when unset.
__aws_elevate_state_of() {
    if [[ -n ${ZSH_VERSION-} ]]; then
        case ${(tP)1-} in
            '') __aws_elevate_st= ;;
            *-export*) __aws_elevate_st=x ;;
            *) __aws_elevate_st=s ;;
        esac
    elif [[ -z ${!1+set} ]]; then
        __aws_elevate_st=
    elif [[ ${!1@a} == *x* ]]; then
        __aws_elevate_st=x
    else
        __aws_elevate_st=s
    fi
}

# Prints the state of variable $1 (x, s or nothing), as __aws_elevate_state_of finds it.
__aws_elevate_state() {
    \builtin local __aws_elevate_st
    __aws_elevate_state_of "$1"
    \builtin printf %s "$__aws_elevate_st"
}

# Sets the caller's __aws_elevate_d to the number of levels (0 when not elevated, or when the count is not a number).
__aws_elevate_depth_of() {
    __aws_elevate_d=${__aws_elevate_depth-0}
    # Digits without a leading zero only: bash would read 010 as octal, and [[ -gt ]] evaluates any other text.
    [[ $__aws_elevate_d == [1-9]* && $__aws_elevate_d != *[!0-9]* && ${#__aws_elevate_d} -le 3 ]] || __aws_elevate_d=0
}

# Sets the caller's __aws_elevate_now to the time in seconds since 1970, without starting a process.
__aws_elevate_clock() {
    if [[ -n ${ZSH_VERSION-} ]]; then
        __aws_elevate_now=${EPOCHSECONDS-}
    else
        \builtin printf -v __aws_elevate_now '%(%s)T' -1
    fi
}

# __aws_elevate_save N: records the variables as they are now, as the state below level N.
__aws_elevate_save() {
    \builtin local name __aws_elevate_st
    for name in "${__aws_elevate_vars[@]}"; do
        __aws_elevate_state_of "$name"
        # unset first: a name that came in exported from the environment would stay exported.
        \builtin unset -v "__aws_elevate_s$1_$name" "__aws_elevate_v$1_$name"
        \builtin eval "__aws_elevate_s$1_$name=\$__aws_elevate_st"
        [[ -z $__aws_elevate_st ]] || \builtin eval "__aws_elevate_v$1_$name=\${$name}"
    done
}

# __aws_elevate_restore N: puts back the variables recorded below level N.
__aws_elevate_restore() {
    \builtin local name st
    for name in "${__aws_elevate_vars[@]}"; do
        \builtin eval "st=\${__aws_elevate_s$1_$name-}"
        \builtin unset -v "$name"
        case $st in
            x) \builtin eval "$name=\${__aws_elevate_v$1_$name}"; \builtin export "$name" ;;
            s) \builtin eval "$name=\${__aws_elevate_v$1_$name}" ;;
        esac
    done
}

# __aws_elevate_forget N: drops everything recorded for level N.
__aws_elevate_forget() {
    \builtin local name
    for name in "${__aws_elevate_vars[@]}"; do
        \builtin unset -v "__aws_elevate_s$1_$name" "__aws_elevate_v$1_$name"
    done
    \builtin unset -v "__aws_elevate_p$1" "__aws_elevate_x$1" "__aws_elevate_w$1" "__aws_elevate_n$1"
}

# __aws_elevate_fetch N PROFILE ARGS…: prints `aws-elevate env --assignments` for PROFILE, run with the variables
# recorded below level N put back first, or with the current ones when N is empty. Run it in $(…).
__aws_elevate_fetch() {
    [[ -z $1 ]] || __aws_elevate_restore "$1"
    \builtin local shell_name=bash
    [[ -z ${ZSH_VERSION-} ]] || shell_name=zsh
    \builtin command aws-elevate env --assignments --shell "$shell_name" --profile="$2" "${@:3}"
}

# __aws_elevate_apply N PROFILE TEXT: makes TEXT (from __aws_elevate_fetch) the variables of level N.
__aws_elevate_apply() {
    \builtin local name __aws_elevate_new_expires
    \builtin unset -v __aws_elevate_new_expires
    for name in "${__aws_elevate_vars[@]}"; do
        \builtin local "__aws_elevate_new_$name"
        \builtin unset -v "__aws_elevate_new_$name"
    done
    # Plain assignments to the locals above: the text has no command word for an alias or function to change.
    \builtin eval "$3"
    \builtin unset -v AWS_SECURITY_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION
    for name in "${__aws_elevate_vars[@]}"; do
        \builtin eval "[[ -n \${__aws_elevate_new_$name+set} ]]" || continue
        \builtin unset -v "$name"
        \builtin eval "$name=\$__aws_elevate_new_$name"
        \builtin export "$name"
    done
    \builtin unset -v "__aws_elevate_p$1" "__aws_elevate_x$1" "__aws_elevate_w$1" "__aws_elevate_n$1"
    \builtin eval "__aws_elevate_p$1=\$2"
    if [[ $__aws_elevate_new_expires == [1-9]* && $__aws_elevate_new_expires != *[!0-9]* ]]; then
        \builtin eval "__aws_elevate_x$1=\$__aws_elevate_new_expires"
    fi
    \builtin unset -v __aws_elevate_depth
    __aws_elevate_depth=$1
}

__aws_elevate_usage() {
    \builtin printf '%s\n' "usage: elevate [--switch] PROFILE [--token-code CODE] [--debug]" \
        "       (PROFILE defaults to AWS_ELEVATE_DEFAULT_PROFILE); unelevate [--all]"
}

# elevate [--switch] [PROFILE] [aws-elevate env options…]: a new level with PROFILE's elevated credentials.
elevate() {
    # Options local to the call; xtrace and verbose off too, since they would print the values to stderr.
    if [[ -n ${ZSH_VERSION-} ]]; then \builtin emulate -LR zsh; else \builtin local -; \builtin set +a +e +u +k +v +x +E +T; fi
    \builtin local switch= profile text rc=0 level __aws_elevate_d
    case ${1-} in
        -h | --help) __aws_elevate_usage; \builtin return 0 ;;
        --switch) switch=1; \builtin shift ;;
    esac
    if [[ $# -eq 0 || ${1-} == -* ]]; then
        profile=${AWS_ELEVATE_DEFAULT_PROFILE-}
    else
        profile=$1
        \builtin shift
    fi
    if [[ -z $profile ]]; then
        __aws_elevate_usage >&2
        \builtin return 64
    fi
    __aws_elevate_depth_of
    if [[ -n $switch && $__aws_elevate_d -gt 0 ]]; then
        level=$__aws_elevate_d
        text=$(__aws_elevate_fetch "$level" "$profile" "$@") || rc=$?
    else
        level=$((__aws_elevate_d + 1))
        text=$(__aws_elevate_fetch "" "$profile" "$@") || rc=$?
    fi
    [[ $rc -eq 0 ]] || \builtin return $rc
    if [[ $level -gt $__aws_elevate_d ]]; then __aws_elevate_save "$level"; else __aws_elevate_restore "$level"; fi
    __aws_elevate_apply "$level" "$profile" "$text"
}

# unelevate [--all]: back to the level below (with --all: to before the first `elevate`), exactly.
unelevate() {
    if [[ -n ${ZSH_VERSION-} ]]; then \builtin emulate -LR zsh; else \builtin local -; \builtin set +a +e +u +k +v +x +E +T; fi
    \builtin local __aws_elevate_d level
    case ${1-} in
        '' | --all) ;;
        *) __aws_elevate_usage >&2; \builtin return 64 ;;
    esac
    __aws_elevate_depth_of
    if [[ $__aws_elevate_d -eq 0 ]]; then
        \builtin printf '%s\n' "unelevate: this shell is not elevated" >&2
        \builtin return 1
    fi
    level=$__aws_elevate_d
    [[ ${1-} != --all ]] || level=1
    __aws_elevate_restore "$level"
    while [[ $__aws_elevate_d -ge $level ]]; do
        __aws_elevate_forget "$__aws_elevate_d"
        __aws_elevate_d=$((__aws_elevate_d - 1))
    done
    \builtin unset -v __aws_elevate_depth
    [[ $__aws_elevate_d -eq 0 ]] || __aws_elevate_depth=$__aws_elevate_d
}

# aws_elevate_prompt [-v NAME]: "[PROFILE 42m]" at level 1, "[PROFILE 42m +1]" at level 2, nothing when not
# elevated; into variable NAME with -v. Starts no process.
aws_elevate_prompt() {
    if [[ -n ${ZSH_VERSION-} ]]; then \builtin emulate -LR zsh; else \builtin local -; \builtin set +a +e +u +k +v +x +E +T; fi
    \builtin local __aws_elevate_d __aws_elevate_now __aws_elevate_o= __aws_elevate_e
    __aws_elevate_depth_of
    if [[ $__aws_elevate_d -gt 0 ]]; then
        \builtin eval "__aws_elevate_o=\"[\${__aws_elevate_p$__aws_elevate_d-}\""
        \builtin eval "__aws_elevate_e=\${__aws_elevate_x$__aws_elevate_d-}"
        __aws_elevate_clock
        if [[ $__aws_elevate_e == [1-9]* && $__aws_elevate_e != *[!0-9]* && ${#__aws_elevate_e} -le 12 &&
            -n $__aws_elevate_now && $__aws_elevate_now != *[!0-9]* ]]; then
            if [[ $__aws_elevate_e -gt $__aws_elevate_now ]]; then
                __aws_elevate_o+=" $(((__aws_elevate_e - __aws_elevate_now) / 60))m"
            else
                __aws_elevate_o+=" expired"
            fi
        fi
        [[ $__aws_elevate_d -le 1 ]] || __aws_elevate_o+=" +$((__aws_elevate_d - 1))"
        __aws_elevate_o+="]"
    fi
    if [[ ${1-} == -v ]]; then
        if [[ ! ${2-} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
            \builtin printf '%s\n' "usage: aws_elevate_prompt [-v NAME]" >&2
            \builtin return 64
        fi
        \builtin eval "$2=\$__aws_elevate_o"
    else
        \builtin printf %s "$__aws_elevate_o"
    fi
}

# The refresh hook (see the top of the file); returns the status it was called with, for the hooks after it.
__aws_elevate_hook() {
    \builtin local __aws_elevate_status=$?
    if [[ -n ${ZSH_VERSION-} ]]; then \builtin emulate -LR zsh; else \builtin local -; \builtin set +a +e +u +k +v +x +E +T; fi
    \builtin local __aws_elevate_d __aws_elevate_now __aws_elevate_e __aws_elevate_m=${AWS_ELEVATE_SHELL_REFRESH-10}
    \builtin local profile text rc=0
    __aws_elevate_depth_of
    [[ $__aws_elevate_d -gt 0 ]] || \builtin return $__aws_elevate_status
    [[ $__aws_elevate_m == 0 || ($__aws_elevate_m == [1-9]* && $__aws_elevate_m != *[!0-9]* &&
        ${#__aws_elevate_m} -le 4) ]] || __aws_elevate_m=10
    [[ $__aws_elevate_m -gt 0 ]] || \builtin return $__aws_elevate_status
    \builtin eval "__aws_elevate_e=\${__aws_elevate_x$__aws_elevate_d-}"
    [[ $__aws_elevate_e == [1-9]* && $__aws_elevate_e != *[!0-9]* && ${#__aws_elevate_e} -le 12 ]] ||
        \builtin return $__aws_elevate_status
    __aws_elevate_clock
    [[ -n $__aws_elevate_now && $__aws_elevate_now != *[!0-9]* ]] || \builtin return $__aws_elevate_status
    [[ $((__aws_elevate_e - __aws_elevate_now)) -lt $((__aws_elevate_m * 60)) ]] || \builtin return $__aws_elevate_status
    # A refresh that gave a session inside the window too is not tried again for a minute.
    \builtin eval "text=\${__aws_elevate_n$__aws_elevate_d-0}"
    [[ $text == 0 || ($text == [1-9]* && $text != *[!0-9]* && ${#text} -le 12) ]] || text=0
    [[ $__aws_elevate_now -ge $text ]] || \builtin return $__aws_elevate_status
    \builtin eval "profile=\${__aws_elevate_p$__aws_elevate_d-}"
    # Every try, failed or not, waits a minute for the next; only the first failure of a level speaks.
    \builtin eval "__aws_elevate_n$__aws_elevate_d=\$((__aws_elevate_now + 60))"
    if \builtin eval "[[ -z \${__aws_elevate_w$__aws_elevate_d-} ]]"; then
        text=$(__aws_elevate_fetch "$__aws_elevate_d" "$profile" --no-prompt) || rc=$?
    else
        text=$(__aws_elevate_fetch "$__aws_elevate_d" "$profile" --no-prompt 2>/dev/null) || rc=$?
    fi
    if [[ $rc -ne 0 ]]; then
        \builtin eval "[[ -z \${__aws_elevate_w$__aws_elevate_d-} ]]" || \builtin return $__aws_elevate_status
        \builtin eval "__aws_elevate_w$__aws_elevate_d=1"
        \builtin printf '%s\n' "aws-elevate: could not refresh '$profile' ($(((__aws_elevate_e - __aws_elevate_now) / 60))m left); keeping its credentials and trying again each minute, quietly; renew now with: elevate --switch $profile" >&2
        \builtin return $__aws_elevate_status
    fi
    __aws_elevate_restore "$__aws_elevate_d"
    __aws_elevate_apply "$__aws_elevate_d" "$profile" "$text"
    \builtin eval "__aws_elevate_n$__aws_elevate_d=\$((__aws_elevate_now + 60))"
    \builtin return $__aws_elevate_status
}

# bash completion of `elevate`: profile names, quoted for the command line; nothing is evaluated.
__aws_elevate_complete() {
    \builtin local -; \builtin set +a +e +u +k +v +x +E +T -f
    \builtin local cur=${2-} names name quoted IFS=$'\n'
    COMPREPLY=()
    if [[ $cur == -* ]]; then
        [[ $COMP_CWORD -ne 1 || --switch != "$cur"* ]] || COMPREPLY=(--switch)
        \builtin return 0
    fi
    [[ $COMP_CWORD -eq 1 || ($COMP_CWORD -eq 2 && ${COMP_WORDS[1]-} == --switch) ]] || \builtin return 0
    names=$(\builtin command aws-elevate profiles 2>/dev/null) || \builtin return 0
    for name in $names; do
        \builtin printf -v quoted %q "$name"
        [[ $quoted != "$cur"* ]] || COMPREPLY+=("$quoted")
    done
}

# bash completion of aws-elevate itself: loads swift-argument-parser's script on first use; 124 makes bash retry.
__aws_elevate_complete_self() {
    \builtin local text
    text=$(\builtin command aws-elevate completion bash 2>/dev/null) || \builtin return 0
    \builtin eval "$text"
    \builtin return 124
}

# zsh completion of `elevate`: compadd quotes the names itself.
__aws_elevate_zcomplete() {
    \builtin emulate -LR zsh
    \builtin local -a names
    if [[ $PREFIX == -* ]]; then
        [[ $CURRENT -ne 2 ]] || \compadd -- --switch
        \builtin return 0
    fi
    [[ $CURRENT -eq 2 || ($CURRENT -eq 3 && ${words[2]-} == --switch) ]] || \builtin return 1
    names=(${(f)"$(\builtin command aws-elevate profiles 2>/dev/null)"})
    \compadd -a names
}

# zsh completion of aws-elevate itself: swift-argument-parser's script, loaded on first use.
__aws_elevate_zcomplete_self() {
    if (( ! $+functions[_aws-elevate] )); then
        \builtin eval "$(\builtin command aws-elevate completion zsh 2>/dev/null)" || \builtin return 1
    fi
    _aws-elevate "$@"
}

# zsh: registers the completions once compinit has run (at the first prompt at the latest), then removes itself.
__aws_elevate_compdef() {
    \builtin emulate -LR zsh
    precmd_functions=(${precmd_functions:#__aws_elevate_compdef})
    (( $+functions[compdef] )) || \builtin return 0
    compdef __aws_elevate_zcomplete elevate
    compdef __aws_elevate_zcomplete_self aws-elevate
}

__aws_elevate_install() {
    if [[ -n ${ZSH_VERSION-} ]]; then
        \builtin emulate -LR zsh
        \builtin zmodload zsh/datetime 2>/dev/null
        (( ${preexec_functions[(I)__aws_elevate_hook]:-0} )) || preexec_functions+=(__aws_elevate_hook)
        if (( $+functions[compdef] )); then
            __aws_elevate_compdef
        elif (( ! ${precmd_functions[(I)__aws_elevate_compdef]:-0} )); then
            precmd_functions+=(__aws_elevate_compdef)
        fi
    else
        \builtin local -; \builtin set +a +e +u +k +v +x +E +T
        \builtin local entry found=
        if [[ ${PROMPT_COMMAND@a} == *a* ]]; then
            for entry in "${PROMPT_COMMAND[@]}"; do
                [[ $entry != __aws_elevate_hook ]] || found=1
            done
            [[ -n $found ]] || PROMPT_COMMAND=(__aws_elevate_hook "${PROMPT_COMMAND[@]}")
        elif [[ ${PROMPT_COMMAND-} != *__aws_elevate_hook* ]]; then
            PROMPT_COMMAND=__aws_elevate_hook${PROMPT_COMMAND:+$'\n'$PROMPT_COMMAND}
        fi
        \builtin complete -F __aws_elevate_complete elevate 2>/dev/null
        \builtin complete -p aws-elevate >/dev/null 2>&1 ||
            \builtin complete -F __aws_elevate_complete_self aws-elevate 2>/dev/null
    fi
}
__aws_elevate_install
