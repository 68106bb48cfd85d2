"""shell/aws-elevate.sh in real bash and zsh: `elevate` puts a profile's credentials into the shell, `unelevate`
restores exactly what was there before the first `elevate` (values, exported or not, unset), and a failed `elevate`
changes nothing, whatever options the shell runs with."""

import os

import pytest

from harness import REPO

FUNCTIONS = REPO / "shell" / "aws-elevate.sh"
NAMES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
         "AWS_CREDENTIAL_EXPIRATION", "AWS_ELEVATE_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
         "AWS_DEFAULT_PROFILE"]
ODD = "it's $HOME `id` \"q\" \\ ! \n second line ü"

# Prints each variable as NAME=<state>:<value> with state x (exported), s (set, not exported) or - (unset), on
# NUL-separated records so that any value survives.
DUMP = r'''
__dump() {
    local n st
    for n in %s; do
        st=$(__aws_elevate_state "$n"); [ -n "$st" ] || st=-
        if [ "$st" = - ]; then printf '%%s=-:\0' "$n"; else eval "printf '%%s=%%s:%%s\0' \"\$n\" \"\$st\" \"\${$n}\""; fi
    done
}
# Prints LEFTOVER:NAME on stderr for each variable of the functions' record that exists now.
__leftovers() {
    local n
    if [ -n "${ZSH_VERSION:-}" ]; then
        for n in ${(k)parameters[(I)__aws_elevate_*]}; do [ "$n" = __aws_elevate_vars ] || echo "LEFTOVER:$n" >&2; done
    else
        for n in $(compgen -v __aws_elevate_); do [ "$n" = __aws_elevate_vars ] || echo "LEFTOVER:$n" >&2; done
    fi
}
''' % " ".join(NAMES)


def run_script(sandbox, shell: str, body: str, options: str = ""):
    """Runs body after sourcing the functions; options is shell text run before the source, e.g. `set -a`."""
    argv = [shell, "-f"] if shell.endswith("zsh") else [shell, "--norc", "--noprofile"]
    script = f"{options}\n. '{FUNCTIONS}'\n{DUMP}\n{body}"
    env = sandbox.environment({"PATH": f"{sandbox.binary.parent}:{os.environ['PATH']}"})
    return sandbox.run(*argv[1:], "-c", script, program=argv[0], env=env)


def records(stdout: bytes) -> list[dict[str, str]]:
    dumps = stdout.split(b"\0\0")
    parsed = []
    for dump in dumps:
        if not dump.strip(b"\0"):
            continue
        entry = {}
        for record in dump.strip(b"\0").split(b"\0"):
            name, _, rest = record.decode().partition("=")
            entry[name] = rest
        parsed.append(entry)
    return parsed


@pytest.fixture
def static_profile(sandbox):
    sandbox.write_config("[profile admin-chain]\nregion = eu-west-3\n")
    sandbox.write_credentials("[admin-chain]\naws_access_key_id = AKIDELEVATED\naws_secret_access_key = el'ev$ated\n")


def single_quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


# Assignments apart from `export NAME`, so that the text means the same under bash `set -k`.
SETUP = f"""
AWS_ACCESS_KEY_ID='AKIDORIGINAL'; export AWS_ACCESS_KEY_ID
AWS_REGION={single_quoted(ODD)}; export AWS_REGION
AWS_DEFAULT_REGION='not exported'
unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_SECRET_ACCESS_KEY AWS_CREDENTIAL_EXPIRATION AWS_ELEVATE_PROFILE
"""


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_elevate_then_unelevate_restores_exactly(sandbox, static_profile, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, SETUP + """
__dump; printf '\\0'
elevate admin-chain || exit 9
__dump; printf '\\0'
unelevate || exit 8
__dump; printf '\\0'
""")
    assert result.returncode == 0, result
    before, elevated, after = records(result.stdout)
    assert before["AWS_ACCESS_KEY_ID"] == "x:AKIDORIGINAL"
    assert before["AWS_REGION"] == "x:" + ODD
    assert before["AWS_DEFAULT_REGION"] == "s:not exported"
    assert before["AWS_SECRET_ACCESS_KEY"] == "-:"
    assert elevated["AWS_ACCESS_KEY_ID"] == "x:AKIDELEVATED"
    assert elevated["AWS_SECRET_ACCESS_KEY"] == "x:el'ev$ated"
    assert elevated["AWS_ELEVATE_PROFILE"] == "x:admin-chain"
    assert elevated["AWS_REGION"] == "x:eu-west-3" and elevated["AWS_DEFAULT_REGION"] == "x:eu-west-3"
    assert elevated["AWS_SESSION_TOKEN"] == "-:"
    assert after == before


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_a_second_elevate_nests_and_unelevate_pops_one_level(sandbox, static_profile, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    sandbox.write_config("[profile admin-chain]\nregion = eu-west-3\n[profile other]\nregion = ap-south-1\n")
    sandbox.write_credentials("[admin-chain]\naws_access_key_id = AKIDELEVATED\naws_secret_access_key = s\n"
                              "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = t\n")
    result = run_script(sandbox, shell, SETUP + """
__dump; printf '\\0'
elevate admin-chain || exit 9
__dump; printf '\\0'
elevate other || exit 8
__dump; printf '\\0'
unelevate
__dump; printf '\\0'
unelevate
__dump; printf '\\0'
""")
    assert result.returncode == 0, result
    before, first, second, popped, after = records(result.stdout)
    assert second["AWS_ACCESS_KEY_ID"] == "x:AKIDOTHER" and second["AWS_ELEVATE_PROFILE"] == "x:other"
    assert first["AWS_ACCESS_KEY_ID"] == "x:AKIDELEVATED"
    assert popped == first
    assert after == before


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_a_failed_elevate_changes_nothing(sandbox, static_profile, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, SETUP + """
__dump; printf '\\0'
elevate no-such-profile; echo "status=$?" >&2
__dump; printf '\\0'
unelevate; echo "unelevate=$?" >&2
""")
    before, after = records(result.stdout)
    assert after == before
    assert "status=2" in result.err and "profile 'no-such-profile'" in result.err
    assert "unelevate=1" in result.err and "not elevated" in result.err


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_elevate_without_a_profile_is_a_usage_error(sandbox, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, 'elevate; echo "status=$?" >&2')
    assert "usage: elevate [--switch] PROFILE" in result.err and "status=64" in result.err


def environment_of_child(path) -> dict[str, str]:
    """The environment a child process saw, from `env -0` written to path."""
    entries = {}
    for record in path.read_bytes().split(b"\0"):
        if record:
            name, _, value = record.decode().partition("=")
            entries[name] = value
    return entries


PREVIOUS = f"""
AWS_SECRET_ACCESS_KEY={single_quoted("previous-secret " + ODD)}; export AWS_SECRET_ACCESS_KEY
AWS_SESSION_TOKEN={single_quoted("previous-token " + ODD)}; export AWS_SESSION_TOKEN
AWS_SECURITY_TOKEN={single_quoted("previous-legacy-token " + ODD)}; export AWS_SECURITY_TOKEN
"""
ALLEXPORT = {"bash": "set -a", "zsh": "setopt ALL_EXPORT"}
NO_ALLEXPORT = {"bash": "set +a", "zsh": "unsetopt ALL_EXPORT"}
ERREXIT = {"bash": "set -e", "zsh": "setopt ERR_EXIT"}


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_allexport_does_not_export_the_recorded_values(sandbox, static_profile, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    # Sourced with allexport on; off only to set up a variable that is set but not exported.
    result = run_script(sandbox, shell, NO_ALLEXPORT[shell_name] + SETUP + PREVIOUS + ALLEXPORT[shell_name] + """
__dump; printf '\\0'
elevate admin-chain || exit 9
env -0 >elevated.env
__dump; printf '\\0'
unelevate || exit 8
env -0 >unelevated.env
__dump; printf '\\0'
""", options=ALLEXPORT[shell_name])
    assert result.returncode == 0, result
    before, elevated, after = records(result.stdout)
    assert after == before
    assert before["AWS_DEFAULT_REGION"] == "s:not exported"
    child = environment_of_child(sandbox.root / "elevated.env")
    assert [name for name in child if name.startswith("__aws_elevate")] == []
    assert all("previous-" not in value for value in child.values()), child
    assert child["AWS_ACCESS_KEY_ID"] == "AKIDELEVATED" and child["AWS_SECRET_ACCESS_KEY"] == "el'ev$ated"
    assert child["AWS_REGION"] == "eu-west-3" and child["AWS_ELEVATE_PROFILE"] == "admin-chain"
    assert elevated["AWS_ACCESS_KEY_ID"] == "x:AKIDELEVATED"
    child = environment_of_child(sandbox.root / "unelevated.env")
    assert [name for name in child if name.startswith("__aws_elevate")] == []
    assert child["AWS_SECRET_ACCESS_KEY"] == "previous-secret " + ODD
    assert child["AWS_SECURITY_TOKEN"] == "previous-legacy-token " + ODD
    assert "AWS_DEFAULT_REGION" not in child and "AWS_ELEVATE_PROFILE" not in child


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_errexit_a_handled_failing_elevate_keeps_the_shell_and_changes_nothing(sandbox, static_profile, shell_name,
                                                                              request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, SETUP + ERREXIT[shell_name] + """
__dump; printf '\\0'
if ! elevate no-such-profile; then echo handled >&2; fi
elevate no-such-profile || true
__dump; printf '\\0'
__leftovers
elevate admin-chain
elevate no-such-profile || echo "elevated-then-failed=$?" >&2
__dump; printf '\\0'
unelevate
__dump; printf '\\0'
__leftovers
echo still-running >&2
""", options=ERREXIT[shell_name])
    assert result.returncode == 0, result
    before, after_failures, elevated, after = records(result.stdout)
    assert after_failures == before and after == before
    assert elevated["AWS_ACCESS_KEY_ID"] == "x:AKIDELEVATED"
    assert "handled" in result.err and "elevated-then-failed=2" in result.err and "still-running" in result.err
    assert "LEFTOVER:" not in result.err


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_errexit_script_exits_at_the_failing_elevate_call_with_its_status(sandbox, static_profile, shell_name,
                                                                          request):
    shell = request.getfixturevalue(shell_name)
    # zsh runs no EXIT trap when errexit ends the shell inside a function, so the trap also proves where it ended.
    result = run_script(sandbox, shell, SETUP + """
trap 'at_exit=$?; __leftovers; echo "exit-trap status=$at_exit" >&2' EXIT
elevate no-such-profile
echo after-the-call >&2
""", options=ERREXIT[shell_name])
    assert result.returncode == 2, result
    assert "exit-trap status=2" in result.err
    assert "after-the-call" not in result.err and "LEFTOVER:" not in result.err


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_aws_security_token_is_unset_while_elevated_and_restored_after(sandbox, static_profile, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, SETUP + f"""
export AWS_SESSION_TOKEN='session'
export AWS_SECURITY_TOKEN={single_quoted("legacy " + ODD)}
__dump; printf '\\0'
elevate admin-chain || exit 9
__dump; printf '\\0'
env -0 >elevated.env
unelevate || exit 8
__dump; printf '\\0'
unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN; AWS_SECURITY_TOKEN='not exported'
__dump; printf '\\0'
elevate admin-chain || exit 7
__dump; printf '\\0'
unelevate || exit 6
__dump; printf '\\0'
""")
    assert result.returncode == 0, result
    before, elevated, after, before2, elevated2, after2 = records(result.stdout)
    assert before["AWS_SECURITY_TOKEN"] == "x:legacy " + ODD
    assert elevated["AWS_SECURITY_TOKEN"] == "-:" and elevated["AWS_SESSION_TOKEN"] == "-:"
    assert "AWS_SECURITY_TOKEN" not in environment_of_child(sandbox.root / "elevated.env")
    assert after == before
    assert before2["AWS_SECURITY_TOKEN"] == "s:not exported" and elevated2["AWS_SECURITY_TOKEN"] == "-:"
    assert after2 == before2


# Options a shell may run with, set before the functions are sourced; the functions must behave the same.
OPTION_SETS = [
    ("bash", "set -u"),
    ("bash", "set -euo pipefail"),
    ("bash", "set -a -u -k"),
    ("bash", "shopt -s failglob nullglob extglob; set -f"),
    ("zsh", "setopt KSH_ARRAYS NO_UNSET SH_WORD_SPLIT"),
    ("zsh", "setopt ERR_EXIT PIPE_FAIL NO_UNSET ALL_EXPORT"),
    ("zsh", "setopt GLOB_SUBST RC_EXPAND_PARAM NO_GLOB WARN_CREATE_GLOBAL KSH_TYPESET POSIX_BUILTINS"),
    ("zsh", "emulate ksh"),
    ("zsh", "emulate sh"),
]


@pytest.mark.parametrize(("shell_name", "options"), OPTION_SETS)
def test_shell_options_do_not_change_elevate_and_unelevate(sandbox, static_profile, shell_name, options, request):
    shell = request.getfixturevalue(shell_name)
    sandbox.write_config("[profile admin-chain]\nregion = eu-west-3\n[profile other]\nregion = ap-south-1\n")
    sandbox.write_credentials("[admin-chain]\naws_access_key_id = AKIDELEVATED\naws_secret_access_key = el'ev$ated\n"
                              "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = t\n")
    result = run_script(sandbox, shell, SETUP + PREVIOUS + """
__dump; printf '\\0'
elevate admin-chain || exit 9
__dump; printf '\\0'
elevate no-such-profile || echo "failed=$?" >&2
__dump; printf '\\0'
elevate other || exit 8
__dump; printf '\\0'
unelevate || exit 7
__dump; printf '\\0'
unelevate || exit 6
__dump; printf '\\0'
__leftovers
unelevate || echo "third-unelevate=$?" >&2
echo done >&2
""", options=options)
    assert result.returncode == 0, result
    before, elevated, after_failure, other, popped, after = records(result.stdout)
    assert popped == elevated
    assert elevated["AWS_ACCESS_KEY_ID"] == "x:AKIDELEVATED" and elevated["AWS_SECRET_ACCESS_KEY"] == "x:el'ev$ated"
    assert elevated["AWS_REGION"] == "x:eu-west-3" and elevated["AWS_SECURITY_TOKEN"] == "-:"
    assert elevated["AWS_SESSION_TOKEN"] == "-:"
    assert after_failure == elevated
    assert other["AWS_ACCESS_KEY_ID"] == "x:AKIDOTHER" and other["AWS_ELEVATE_PROFILE"] == "x:other"
    assert after == before
    lines = [line for line in result.err.splitlines() if not line.startswith("aws-elevate: profile 'no-such-profile'")]
    assert lines == ["failed=2", "unelevate: this shell is not elevated", "third-unelevate=1", "done"], result


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_xtrace_does_not_print_the_values(sandbox, static_profile, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, SETUP + PREVIOUS + """
set -x
elevate admin-chain || exit 9
unelevate || exit 8
set +x
""")
    assert result.returncode == 0, result
    assert "el'ev" not in result.err and "previous-" not in result.err and "ated" not in result.err, result
