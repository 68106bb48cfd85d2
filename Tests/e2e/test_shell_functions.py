"""shell/aws-elevate.sh in real bash and zsh: `elevate` puts a profile's credentials into the shell, `unelevate`
restores exactly what was there before the first `elevate` (values, exported or not, unset), and a failed `elevate`
changes nothing."""

import os

import pytest

from harness import REPO

FUNCTIONS = REPO / "shell" / "aws-elevate.sh"
NAMES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
         "AWS_ELEVATE_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"]
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
''' % " ".join(NAMES)


def run_script(sandbox, shell: str, body: str):
    argv = [shell, "-f"] if shell.endswith("zsh") else [shell, "--norc", "--noprofile"]
    script = f". '{FUNCTIONS}'\n{DUMP}\n{body}"
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


SETUP = f"""
export AWS_ACCESS_KEY_ID='AKIDORIGINAL'
export AWS_REGION={single_quoted(ODD)}
AWS_DEFAULT_REGION='not exported'
unset AWS_SESSION_TOKEN AWS_SECRET_ACCESS_KEY AWS_CREDENTIAL_EXPIRATION AWS_ELEVATE_PROFILE
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
def test_a_second_elevate_keeps_the_first_record(sandbox, static_profile, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    sandbox.write_config("[profile admin-chain]\nregion = eu-west-3\n[profile other]\nregion = ap-south-1\n")
    sandbox.write_credentials("[admin-chain]\naws_access_key_id = AKIDELEVATED\naws_secret_access_key = s\n"
                              "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = t\n")
    result = run_script(sandbox, shell, SETUP + """
__dump; printf '\\0'
elevate admin-chain && elevate other || exit 9
__dump; printf '\\0'
unelevate
__dump; printf '\\0'
""")
    assert result.returncode == 0, result
    before, elevated, after = records(result.stdout)
    assert elevated["AWS_ACCESS_KEY_ID"] == "x:AKIDOTHER" and elevated["AWS_ELEVATE_PROFILE"] == "x:other"
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
    assert "usage: elevate PROFILE" in result.err and "status=64" in result.err
