"""shell/aws-elevate.sh as a stack of elevations in real bash and zsh: `elevate` nests (the next level is resolved with
the credentials of the one below, so `credential_source = Environment` climbs on), `unelevate` pops one level,
`unelevate --all` all of them, `elevate --switch` replaces the top one; every touched variable comes back as
`declare -p` / `typeset -p` showed it; a failing `elevate` at any depth changes nothing; AWS_PROFILE and
AWS_DEFAULT_PROFILE are out of the way while elevated; hostile names and values never execute; the prompt segment
and the refresh hook, and the aliases, functions and options of item 9 of issue 9."""

import json
import os
import re

import pytest

from harness import REPO, venv_bin
from sts_harness import INSTANCE_ID, imds  # noqa: F401 (fixture)

FUNCTIONS = REPO / "shell" / "aws-elevate.sh"
NAMES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
         "AWS_CREDENTIAL_EXPIRATION", "AWS_ELEVATE_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
         "AWS_DEFAULT_PROFILE"]
ODD = "it's $HOME `id` \"q\" \\ ! \n second line ü $(touch canary) '\u0301"


def single_quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


# Each touched variable as `declare -p` (bash) / `typeset -p` (zsh) prints it, or "unset NAME"; then a line "--".
# Run at top level, so that it shows the global variables.
SNAPSHOT = "for __n in %s; do typeset -p \"$__n\" 2>/dev/null || echo \"unset $__n\"; done; echo --; unset __n" % (
    " ".join(NAMES))


def run_script(sandbox, shell: str, body: str, options: str = "", env: dict[str, str] | None = None,
               functions=FUNCTIONS, drop: tuple[str, ...] = ()):
    argv = [shell, "-f"] if shell.endswith("zsh") else [shell, "--norc", "--noprofile"]
    script = f"{options}\n. {single_quoted(str(functions))}\n{body}"
    extra = {"PATH": f"{sandbox.binary.parent}:{venv_bin('aws').parent}:{os.environ['PATH']}"}
    extra.update(env or {})
    return sandbox.run(*argv[1:], "-c", script, program=argv[0], env=extra, drop=drop, timeout=120)


def snapshots(stdout: bytes) -> list[str]:
    return [part.strip("\n") for part in stdout.decode().split("--\n")][:-1]


# The variables before the first elevate: exported, set but not exported, set to empty (both ways), unset, hostile.
SETUP = f"""
AWS_ACCESS_KEY_ID='AKIDORIGINAL'; export AWS_ACCESS_KEY_ID
AWS_REGION={single_quoted(ODD)}; export AWS_REGION
AWS_DEFAULT_REGION='not exported'
AWS_PROFILE=''; export AWS_PROFILE
AWS_DEFAULT_PROFILE=''
AWS_SECRET_ACCESS_KEY={single_quoted("previous " + ODD)}
unset AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_ELEVATE_PROFILE
"""

STATIC = ("[profile one]\nregion = eu-west-3\n[profile two]\n[profile three]\nregion = ap-south-1\n"
          "[profile other]\nregion = us-west-2\n")
STATIC_KEYS = ("[one]\naws_access_key_id = AKIDONE\naws_secret_access_key = s'1\n"
               "[two]\naws_access_key_id = AKIDTWO\naws_secret_access_key = s2\n"
               "[three]\naws_access_key_id = AKIDTHREE\naws_secret_access_key = s3\n"
               "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s4\n")


@pytest.fixture
def static_profiles(sandbox):
    sandbox.write_config(STATIC)
    sandbox.write_credentials(STATIC_KEYS)


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_nesting_three_levels_and_popping_restores_each_level_exactly(sandbox, static_profiles, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, SETUP + f"""
{SNAPSHOT}
elevate one || exit 9
{SNAPSHOT}
elevate two || exit 8
{SNAPSHOT}
elevate three || exit 7
{SNAPSHOT}
unelevate || exit 6
{SNAPSHOT}
unelevate || exit 5
{SNAPSHOT}
unelevate || exit 4
{SNAPSHOT}
unelevate 2>/dev/null && exit 3
set | grep -a '^__aws_elevate_[a-z0-9_]*=' | grep -v '^__aws_elevate_vars=' >&2; true
""")
    assert result.returncode == 0, result
    before, one, two, three, back_two, back_one, after = snapshots(result.stdout)
    assert back_two == two and back_one == one and after == before
    assert "unset AWS_PROFILE" in one and "unset AWS_DEFAULT_PROFILE" in one
    assert "AKIDONE" in one and "AKIDTWO" in two and "AKIDTHREE" in three
    # two has no region: it keeps one's, which is what it was resolved with.
    assert "eu-west-3" in two and "ap-south-1" in three
    assert result.err == "", result


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_unelevate_all_and_switch(sandbox, static_profiles, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, SETUP + f"""
{SNAPSHOT}
elevate one && elevate two || exit 9
{SNAPSHOT}
elevate --switch other || exit 8
{SNAPSHOT}
printf 'prompt=%s\\n' "$(aws_elevate_prompt)" >&2
unelevate || exit 7
{SNAPSHOT}
elevate two && elevate three || exit 6
unelevate --all || exit 5
{SNAPSHOT}
""")
    assert result.returncode == 0, result
    before, two, switched, popped, after_all = snapshots(result.stdout)
    assert "AKIDOTHER" in switched and "us-west-2" in switched
    assert "declare -x AWS_ELEVATE_PROFILE=\"other\"" in switched or "export AWS_ELEVATE_PROFILE=other" in switched
    assert "prompt=[other +1]" in result.err
    assert "AKIDONE" in popped and after_all == before


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_a_failing_elevate_at_each_depth_leaves_everything_identical(sandbox, static_profiles, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    state = "env -0; printf '\\1'; set | grep -a '^__aws_elevate_'; printf '\\2'"
    result = run_script(sandbox, shell, SETUP + f"""
for level in one two three; do
    {state}
    elevate no-such-profile 2>/dev/null && exit 9
    {state}
    elevate --switch no-such-profile 2>/dev/null && exit 8
    {state}
    elevate {single_quoted("x$(touch canary)'")} 2>/dev/null && exit 7
    {state}
    elevate "$level" || exit 6
done
""")
    assert result.returncode == 0, result
    states = result.stdout.split(b"\2")[:-1]
    assert len(states) == 12
    for depth in range(3):
        group = states[depth * 4:depth * 4 + 4]
        assert group[1:] == group[:1] * 3, depth
    assert not (sandbox.root / "canary").exists()


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_elevate_without_a_profile_uses_the_default_profile(sandbox, static_profiles, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, """
elevate; echo "no-default=$?" >&2
AWS_ELEVATE_DEFAULT_PROFILE=two
elevate || exit 9
echo "key=$AWS_ACCESS_KEY_ID prompt=$(aws_elevate_prompt)" >&2
""")
    assert result.returncode == 0, result
    assert "no-default=64" in result.err and "usage: elevate" in result.err
    assert "key=AKIDTWO prompt=[two]" in result.err


SECRET = "k'$(touch${IFS}canary)`touch${IFS}canary`"
HOSTILE_NAMES = ["q'uote", "d\"q", "s$(touch canary)", "b`touch canary`", "c'\u0301mark", "sp ace;touch canary"]


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_hostile_profile_names_and_values_round_trip_and_never_execute(sandbox, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    # The credentials file takes section names as they are (the config file reads them with shell quoting).
    sandbox.write_credentials("".join(f"[{name}]\naws_access_key_id = AKID{index}\naws_secret_access_key = {SECRET}\n"
                                      for index, name in enumerate(HOSTILE_NAMES)))
    body = SETUP + SNAPSHOT + "\n"
    for name in HOSTILE_NAMES:
        body += f"elevate {single_quoted(name)} || exit 9\n"
        body += "printf '%s\\0%s\\0%s\\0' \"$AWS_ELEVATE_PROFILE\" \"$AWS_SECRET_ACCESS_KEY\" \"$(aws_elevate_prompt)\" >&2\n"
    body += "__aws_elevate_hook\nunelevate --all || exit 8\n" + SNAPSHOT + "\n"
    # Hostile helper variables from the environment: never evaluated as code.
    env = {"__aws_elevate_depth": "x[$(touch canary)]", "__aws_elevate_x1": "a[$(touch canary)]",
           "AWS_ELEVATE_SHELL_REFRESH": "b[$(touch canary)]"}
    result = run_script(sandbox, shell, body, env=env)
    assert result.returncode == 0, result
    fields = result.stderr.split(b"\0")
    for index, name in enumerate(HOSTILE_NAMES):
        profile, secret, prompt = (field.decode() for field in fields[index * 3:index * 3 + 3])
        assert profile == name and secret == SECRET
        depth = f" +{index}" if index else ""
        assert prompt == f"[{name}{depth}]"
    before, after = snapshots(result.stdout)
    assert after == before
    assert not (sandbox.root / "canary").exists()


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_bash_completion_function_quotes_hostile_names_and_runs_nothing(sandbox, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    sandbox.write_credentials("".join(f"[{name}]\n" for name in HOSTILE_NAMES[:5]) + "[plain]\n")
    if shell_name == "zsh":
        # zsh's completion needs a live line editor: tested under tmux. Here: the profile list it reads.
        result = sandbox.run("profiles")
        assert result.out.splitlines() == sorted(HOSTILE_NAMES[:5] + ["plain"], key=lambda n: n.encode())
        return
    result = run_script(sandbox, shell, """
for cur in '' s 'b\\`' c; do
    COMP_WORDS=(elevate "$cur"); COMP_CWORD=1
    __aws_elevate_complete elevate "$cur" elevate
    printf '%s\\0' "${COMPREPLY[@]}"; printf '\\1'
done
""")
    assert result.returncode == 0, result
    groups = [[word for word in group.split(b"\0") if word] for group in result.stdout.split(b"\1")[:-1]]
    everything, s, b, c = groups
    assert len(everything) == 6
    assert s == [b"s\\$\\(touch\\ canary\\)"]
    assert b == [b"b\\`touch\\ canary\\`"]
    # printf %q: a quoted word that bash reads back as the name.
    for word in everything:
        check = run_script(sandbox, shell, f"printf '%s' {word.decode()}")
        assert check.out in HOSTILE_NAMES[:5] + ["plain"]
    assert not (sandbox.root / "canary").exists()


def alias_and_function_traps(shell_name: str) -> str:
    """Aliases and functions named like the builtins the functions use, each leaving a mark when it runs."""
    names = ["export", "unset", "eval", "command", "printf", "local"]
    text = "shopt -s expand_aliases\n" if shell_name == "bash" else ""
    for name in names:
        text += f"alias {name}='echo ALIAS-{name} >>trap.log; false'\n"
    return text


def function_traps(shell_name: str) -> str:
    names = ["export", "unset", "eval", "command", "printf"] + (["local"] if shell_name == "bash" else [])
    return "".join(f"function {name} {{ echo FUNCTION-{name} >>trap.log; return 1; }}\n" for name in names)


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
@pytest.mark.parametrize("kind", ["aliases", "functions"])
def test_aliases_and_functions_named_like_builtins_do_not_change_the_functions(sandbox, static_profiles, shell_name,
                                                                              kind, request):
    shell = request.getfixturevalue(shell_name)
    traps = alias_and_function_traps(shell_name) if kind == "aliases" else ""
    # Aliases are expanded when the functions are defined; functions are looked up when they run.
    after_source = function_traps(shell_name) if kind == "functions" else ""
    reference = run_script(sandbox, shell, SETUP + f"""
{SNAPSHOT}
elevate one && elevate two && elevate --switch three || exit 9
{SNAPSHOT}
printf '%s\\n' "$(aws_elevate_prompt)"; echo --
unelevate && unelevate || exit 8
{SNAPSHOT}
""")
    assert reference.returncode == 0, reference
    body = after_source + SETUP.replace("export ", "builtin export ").replace("unset ", "builtin unset ") + f"""
{SNAPSHOT.replace("unset $__n", "unset-$__n").replace("; unset __n", "").replace("echo", "builtin echo")}
elevate one && elevate two && elevate --switch three || exit 9
{SNAPSHOT.replace("unset $__n", "unset-$__n").replace("; unset __n", "").replace("echo", "builtin echo")}
aws_elevate_prompt -v p; builtin echo "$p"; builtin echo --
unelevate && unelevate || exit 8
{SNAPSHOT.replace("unset $__n", "unset-$__n").replace("; unset __n", "").replace("echo", "builtin echo")}
"""
    result = run_script(sandbox, shell, body, options=traps)
    assert result.returncode == 0, result
    assert not (sandbox.root / "trap.log").exists(), (sandbox.root / "trap.log").read_text()
    assert result.out.replace("unset-", "unset ") == reference.out


OPTION_SETS = [
    ("bash", "set -euo pipefail"),
    ("bash", "set -a -u -k"),
    ("zsh", "setopt KSH_ARRAYS NO_UNSET SH_WORD_SPLIT ALL_EXPORT"),
    ("zsh", "setopt ERR_EXIT PIPE_FAIL NO_UNSET GLOB_SUBST"),
]


@pytest.mark.parametrize(("shell_name", "options"), OPTION_SETS)
def test_the_stack_prompt_and_hook_under_shell_options(sandbox, static_profiles, shell_name, options, request):
    shell = request.getfixturevalue(shell_name)
    result = run_script(sandbox, shell, SETUP + f"""
{SNAPSHOT}
elevate one && elevate two || exit 9
elevate --switch three || exit 8
elevate nope 2>/dev/null || true
__aws_elevate_hook
aws_elevate_prompt -v p
printf '%s\\n' "$p" >&2
env -0 >elevated.env
unelevate --all || exit 7
{SNAPSHOT}
""", options=options)
    assert result.returncode == 0, result
    before, after = snapshots(result.stdout)
    assert after == before
    assert result.err.splitlines() == ["[three +1]"], result
    child = (sandbox.root / "elevated.env").read_bytes().split(b"\0")
    assert not [entry for entry in child if entry.startswith(b"__aws_elevate")]
    assert b"AWS_ACCESS_KEY_ID=AKIDTHREE" in child
    assert not [entry for entry in child if entry.startswith(b"AWS_PROFILE=")]


# -- with moto and the IMDS emulator -------------------------------------------------------------------------------


def seed_climb(moto, imds, unique: str):
    """instance role (IMDS) → role A (profile el-chain) → role B → role C, each next one trusting the session of the
    one before; B and C are reached with credential_source = Environment, i.e. from the level below."""
    chain = moto.seed_chain(unique, instance_session=INSTANCE_ID, a_session="elevate-a", b_session="elevate-b")
    user = chain["user"]
    keys = {"AccessKeyId": user.access_key_id, "SecretAccessKey": user.secret_access_key}
    instance = moto.assume_role(keys, chain["instance"].arn, INSTANCE_ID)["Credentials"]
    imds.serve(chain["instance"].name, instance)
    from harness import moto_peer
    role_c = moto.create_role(f"{unique}-role-c", [moto_peer.session_arn(chain["role_b"].name, "elevate-b")])
    return chain, role_c


def climb_config(chain, role_c) -> str:
    return (f"[profile el-chain]\nrole_arn = {chain['role_a'].arn}\ncredential_source = Ec2InstanceMetadata\n"
            "role_session_name = elevate-a\nregion = eu-west-1\n\n"
            f"[profile climb-b]\nrole_arn = {chain['role_b'].arn}\ncredential_source = Environment\n"
            "role_session_name = elevate-b\n\n"
            f"[profile climb-c]\nrole_arn = {role_c.arn}\ncredential_source = Environment\n"
            "role_session_name = elevate-c\n")


def identity_arn(sandbox, name: str) -> str:
    return json.loads((sandbox.root / name).read_text())["Arn"]


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_exported_empty_aws_profile_no_longer_breaks_the_aws_cli_and_levels_climb(sandbox, moto, imds, unique,
                                                                                  shell_name, request):
    """The reproduction of issue 9: with `export AWS_PROFILE=''` the aws CLI failed after `elevate` with
    "The config profile () could not be found"."""
    shell = request.getfixturevalue(shell_name)
    chain, role_c = seed_climb(moto, imds, unique)
    sandbox.write_config(climb_config(chain, role_c))
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url}
    result = run_script(sandbox, shell, drop=("AWS_EC2_METADATA_DISABLED",), body=f"""
export AWS_PROFILE=''
{SNAPSHOT}
elevate el-chain || exit 9
aws sts get-caller-identity --output json >a.json || exit 8
printf '%s\\n' "$(aws_elevate_prompt)" >&2
elevate climb-b || exit 7
aws sts get-caller-identity --output json >b.json || exit 6
elevate climb-c || exit 5
aws sts get-caller-identity --output json >c.json || exit 4
printf '%s\\n' "$(aws_elevate_prompt)" >&2
unelevate || exit 3
aws sts get-caller-identity --output json >b2.json || exit 2
unelevate --all
{SNAPSHOT}
""", env=env)
    assert result.returncode == 0, result
    assert identity_arn(sandbox, "a.json").endswith(f"assumed-role/{chain['role_a'].name}/elevate-a")
    assert identity_arn(sandbox, "b.json").endswith(f"assumed-role/{chain['role_b'].name}/elevate-b")
    assert identity_arn(sandbox, "c.json").endswith(f"assumed-role/{role_c.name}/elevate-c")
    assert identity_arn(sandbox, "b2.json") == identity_arn(sandbox, "b.json")
    prompts = result.err.splitlines()
    assert re.fullmatch(r"\[el-chain (59|60)m\]", prompts[0]), prompts
    assert re.fullmatch(r"\[climb-c (59|60)m \+2\]", prompts[1]), prompts
    before, after = snapshots(result.stdout)
    assert after == before and "AWS_PROFILE=''" in before or 'AWS_PROFILE=""' in before


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_refresh_hook_renews_the_top_level_near_expiry_and_warns_once_when_it_cannot(sandbox, moto, imds, unique,
                                                                                     shell_name, request):
    shell = request.getfixturevalue(shell_name)
    chain, role_c = seed_climb(moto, imds, unique)
    # climb-b asks for an MFA code: elevated with --token-code, its refresh may not ask and fails.
    sandbox.write_config(climb_config(chain, role_c).replace(
        "role_session_name = elevate-b\n",
        "role_session_name = elevate-b\nmfa_serial = arn:aws:iam::123456789012:mfa/someone\n"))
    env = {"AWS_ENDPOINT_URL": moto.url, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url}
    clock = ("__now=$EPOCHSECONDS" if shell_name == "zsh" else "printf -v __now '%(%s)T' -1")
    result = run_script(sandbox, shell, drop=("AWS_EC2_METADATA_DISABLED",), body=f"""
elevate el-chain || exit 9
level1=$__aws_elevate_x1
{clock}
# Not due (20 minutes left): nothing happens, no process.
__aws_elevate_x1=$((__now + 1200)); __aws_elevate_hook
[ "$__aws_elevate_x1" = $((__now + 1200)) ] || exit 8
# Due (5 minutes left): renewed from the cache, the real expiry is back.
__aws_elevate_x1=$((__now + 300)); __aws_elevate_hook
[ "$__aws_elevate_x1" = "$level1" ] || exit 7
# Turned off.
__aws_elevate_x1=$((__now + 300)); AWS_ELEVATE_SHELL_REFRESH=0 __aws_elevate_hook
[ "$__aws_elevate_x1" = $((__now + 300)) ] || exit 6
elevate climb-b --token-code 123456 || exit 5
{SNAPSHOT}
aws-elevate cache clear >/dev/null || exit 4
__aws_elevate_x2=$((__now + 300)); __aws_elevate_hook; echo "status=$?" >&2
__aws_elevate_hook; __aws_elevate_hook
{SNAPSHOT}
# A minute later it is tried again, quietly: the next try is scheduled a minute on.
__aws_elevate_n2=1; __aws_elevate_hook
[ "$__aws_elevate_n2" -gt "$__now" ] || exit 3
""", env=env)
    assert result.returncode == 0, result
    lines = result.err.splitlines()
    assert len([line for line in lines if "could not refresh 'climb-b'" in line]) == 1, lines
    assert len([line for line in lines if "--no-prompt" in line]) == 1, lines
    assert "status=0" in lines
    before, after = snapshots(result.stdout)
    assert after == before


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_the_hook_and_the_prompt_start_no_process_when_no_refresh_is_due(sandbox, static_profiles, shell_name,
                                                                         request):
    shell = request.getfixturevalue(shell_name)
    # aws-elevate through a wrapper that counts its runs; the hook and prompt builtins only.
    wrapper_dir = sandbox.root / "wrapped"
    wrapper_dir.mkdir()
    wrapper = wrapper_dir / "aws-elevate"
    wrapper.write_text(f"#!/bin/sh\necho run >>{single_quoted(str(sandbox.root / 'runs.log'))}\n"
                       f"exec {single_quoted(str(sandbox.binary))} \"$@\"\n")
    wrapper.chmod(0o755)
    clock = ("__now=$EPOCHSECONDS" if shell_name == "zsh" else "printf -v __now '%(%s)T' -1")
    result = run_script(sandbox, shell, f"""
elevate one || exit 9
{clock}
__aws_elevate_x1=$((__now + 3630))
for i in 1 2 3 4 5; do __aws_elevate_hook; aws_elevate_prompt -v p; done
echo "$p" >&2
__aws_elevate_x1=$((__now + 300))
__aws_elevate_hook
""", env={"PATH": f"{wrapper_dir}:{os.environ['PATH']}"})
    assert result.returncode == 0, result
    assert result.err == "[one 60m]\n", result
    # One run for elevate, one for the refresh that was due; none for the five hooks and prompts before.
    assert (sandbox.root / "runs.log").read_text() == "run\nrun\n"


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_numbers_with_leading_zeros_in_the_helper_variables_are_ignored_quietly(sandbox, static_profiles, shell_name,
                                                                                  request):
    shell = request.getfixturevalue(shell_name)
    # bash reads 09 as a bad octal number: each would print an error if it reached arithmetic.
    env = {"__aws_elevate_depth": "09", "AWS_ELEVATE_SHELL_REFRESH": "09"}
    result = run_script(sandbox, shell, """
aws_elevate_prompt; unelevate 2>/dev/null && exit 9
elevate one || exit 8
__aws_elevate_x1=08; __aws_elevate_n1=09
__aws_elevate_hook; aws_elevate_prompt -v p; printf '%s\\n' "$p"
unelevate || exit 7
""", env=env)
    assert result.returncode == 0, result
    assert result.out == "[one]\n" and result.err == "", result
