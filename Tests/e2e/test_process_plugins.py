"""Process plugins: executables named aws-elevate-plugin-NAME, found on AWS_ELEVATE_PLUGIN_PATH, spoken to in JSON
protocol 1 on standard input and output. The examples of plugins/examples (a source in POSIX shell, an elevation in
Python calling STS through boto3) run end to end against moto through credential-process, the session cache, the
aws CLI and the shell's `elevate`; misbehaving plugins each give one clear line naming the plugin and the profile."""

import json
import os
import sys
import time

import pytest

from harness import (EXIT_CONFIGURATION, EXIT_CREDENTIALS, REPO, assert_failure, parse_credential_document,
                     venv_bin)
from sts_harness import aws_cli, seed_chain

EXAMPLES = REPO / "plugins" / "examples"
FUNCTIONS = REPO / "shell" / "aws-elevate.sh"


class Plugins:
    """A plugin folder of the sandbox, named in AWS_ELEVATE_PLUGIN_PATH."""

    def __init__(self, sandbox):
        self.folder = sandbox.root / "plugins"
        self.folder.mkdir()
        self.env = {"AWS_ELEVATE_PLUGIN_PATH": str(self.folder)}

    def install(self, name: str, script: str) -> str:
        path = self.folder / f"aws-elevate-plugin-{name}"
        path.write_text(script)
        path.chmod(0o755)
        return str(path)

    def install_example(self, name: str, example: str, interpreter: str = "") -> str:
        """The example, behind a wrapper that counts its runs in NAME.runs."""
        target = f"{interpreter} '{EXAMPLES / example}'" if interpreter else f"'{EXAMPLES / example}'"
        return self.install(name, f'#!/bin/sh\necho run >>"$(dirname "$0")/{name}.runs"\nexec {target}\n')

    def runs(self, name: str) -> int:
        path = self.folder / f"{name}.runs"
        return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.fixture
def plugins(sandbox) -> Plugins:
    return Plugins(sandbox)


def write_keyfile(sandbox, access_key: str, secret: str, expiration: str | None = None) -> str:
    path = sandbox.root / "keys.env"
    text = f"AWS_ACCESS_KEY_ID={access_key}\nexport AWS_SECRET_ACCESS_KEY='{secret}'\n"
    if expiration:
        text += f"AWS_CREDENTIAL_EXPIRATION={expiration}\n"
    path.write_text(text)
    return str(path)


def chain_config(sandbox, chain, keyfile: str) -> None:
    """app (SDK-facing) → app-chain: the Python elevation over jump: the built-in assume-role over the shell source."""
    sandbox.write_config(f"""
        [profile app]
        credential_process = {sandbox.binary} credential-process --profile app-chain
        region = us-east-1

        [profile jump]
        elevate_source = keyfile
        keyfile = {keyfile}
        role_arn = {chain.roles[0].arn}
        role_session_name = {chain.sessions[0]}

        [profile app-chain]
        elevate_plugin = tagged-role
        source_profile = jump
        role_arn = {chain.roles[1].arn}
        role_session_name = {chain.sessions[1]}
        duration_seconds = 900
        region = us-east-1
        session_tags =
            team = platform
        """)


def install_examples(plugins: Plugins) -> None:
    plugins.install_example("keyfile", "aws-elevate-plugin-keyfile")
    plugins.install_example("tagged-role", "aws-elevate-plugin-tagged-role", interpreter=str(venv_bin("python")))


def test_the_shell_source_alone_is_served_and_its_expiring_answer_cached(sandbox, plugins):
    keyfile = write_keyfile(sandbox, "ASIAKEYFILE000001", "key/file+secret", "2099-01-01T00:00:00Z")
    plugins.install_example("keyfile", "aws-elevate-plugin-keyfile")
    sandbox.write_config(f"[profile work]\nelevate_source = keyfile\nkeyfile = {keyfile}\n")
    first = parse_credential_document(sandbox.run("credential-process", "--profile", "work", env=plugins.env))
    assert first["AccessKeyId"] == "ASIAKEYFILE000001" and first["SecretAccessKey"] == "key/file+secret"
    assert first["Expiration"] == "2099-01-01T00:00:00Z"
    again = sandbox.run("credential-process", "--profile", "work", "--debug", env={**plugins.env, "LD_DEBUG": "files"})
    assert parse_credential_document(again) == first
    assert "cache: hit" in again.err, again
    assert plugins.runs("keyfile") == 1, "a cache hit ran the plugin"
    assert "key/file+secret" not in again.err
    opened = "\n".join(line for line in again.err.splitlines() if "file=" in line)
    assert "libc.so" in opened, "LD_DEBUG reports what the loader opens"
    for library in ("libcurl", "libxml2", "libsecret"):
        assert library not in opened, f"a cache hit through a process plugin loaded {library}"
    # A setting the plugin is sent is part of the key: after a change the plugin runs again.
    sandbox.write_config(f"[profile work]\nelevate_source = keyfile\nkeyfile = {keyfile}\nvault_role = other\n")
    parse_credential_document(sandbox.run("credential-process", "--profile", "work", env=plugins.env))
    assert plugins.runs("keyfile") == 2


def test_a_chain_of_both_examples_reaches_role_b_through_the_aws_cli_and_the_cache(sandbox, plugins, moto, unique):
    chain = seed_chain(moto, unique)
    install_examples(plugins)
    chain_config(sandbox, chain, write_keyfile(sandbox, chain.user.access_key_id, chain.user.secret_access_key))
    env = {"AWS_ENDPOINT_URL": moto.url, **plugins.env}
    result = aws_cli(sandbox, env, "sts", "get-caller-identity", "--profile", "app", "--output", "json")
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.session_arn(1)
    assert (plugins.runs("keyfile"), plugins.runs("tagged-role")) == (1, 1)
    again = sandbox.run("credential-process", "--profile", "app-chain", "--debug", env=env)
    parse_credential_document(again)
    assert "cache: hit" in again.err, again
    assert (plugins.runs("keyfile"), plugins.runs("tagged-role")) == (1, 1), "a cache hit ran a plugin"
    assert chain.user.secret_access_key not in again.err
    listed = sandbox.run("cache", "list", env=env)
    assert listed.returncode == 0, listed
    assert [line.split()[:2] for line in listed.out.splitlines()[1:]] == [["app-chain", chain.roles[1].arn]], listed


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_elevate_in_the_shell_runs_the_chain_of_plugins(sandbox, plugins, moto, unique, shell_name, request):
    shell = request.getfixturevalue(shell_name)
    chain = seed_chain(moto, unique)
    install_examples(plugins)
    chain_config(sandbox, chain, write_keyfile(sandbox, chain.user.access_key_id, chain.user.secret_access_key))
    argv = [shell, "-f"] if shell.endswith("zsh") else [shell, "--norc", "--noprofile"]
    script = f"""
. '{FUNCTIONS}'
elevate app-chain || exit 9
printf 'profile=%s\\n' "$AWS_ELEVATE_PROFILE"
'{venv_bin("aws")}' sts get-caller-identity --query Arn --output text || exit 8
"""
    env = {"PATH": f"{sandbox.binary.parent}:{os.environ['PATH']}", "AWS_ENDPOINT_URL": moto.url, **plugins.env}
    result = sandbox.run(*argv[1:], "-c", script, program=argv[0], env=env, timeout=120)
    assert result.returncode == 0, result
    assert result.out.splitlines() == ["profile=app-chain", chain.session_arn(1)], result
    assert (plugins.runs("keyfile"), plugins.runs("tagged-role")) == (1, 1)


# -- misbehaving plugins -----------------------------------------------------------------------------------------

ANSWER = ('{"protocol": 1, "credentials": {"AccessKeyId": "ASIAPLUGIN0000001", "SecretAccessKey": "plugin-secret", '
          '"SessionToken": "plugin-token", "Expiration": "2099-01-01T00:00:00Z"}}')


def misbehaving(sandbox, plugins, body: str, extra: str = ""):
    plugins.install("bad", f"#!/bin/sh\ncat >/dev/null\n{body}\n")
    sandbox.write_config(f"[profile dev]\nelevate_source = bad\n{extra}")
    return sandbox.run("credential-process", "--profile", "dev", env=plugins.env)


def test_a_non_zero_exit_is_one_line_with_the_plugins_last_error_line(sandbox, plugins):
    result = misbehaving(sandbox, plugins, "echo 'first' >&2; echo 'vault: sealed' >&2; exit 3")
    assert_failure(result, "dev", EXIT_CREDENTIALS, "process plugin 'bad'", "aws-elevate-plugin-bad",
                   "the source of profile 'dev'", "exited with status 3: vault: sealed")


@pytest.mark.parametrize("output, reason", [
    ("echo 'not json; s3cr3t-value'", "its answer is not a JSON object of the plugin protocol"),
    ("echo '{\"protocol\": 2, \"credentials\": {}}'", "it answered in protocol 2; this aws-elevate speaks protocol 1"),
    ("echo '{\"credentials\": {\"AccessKeyId\": \"AKIAX\", \"SecretAccessKey\": \"s3cr3t-value\"}}'",
     "its answer has no \"protocol\""),
])
def test_an_answer_outside_the_protocol_is_one_line_that_never_quotes_it(sandbox, plugins, output, reason):
    line = assert_failure(misbehaving(sandbox, plugins, output), "dev", EXIT_CREDENTIALS, "process plugin 'bad'",
                          reason)
    assert "s3cr3t-value" not in line


def test_a_hanging_plugin_is_stopped_at_elevate_plugin_timeout_with_its_children(sandbox, plugins):
    pids = sandbox.root / "pids"
    start = time.monotonic()
    result = misbehaving(sandbox, plugins, f"sleep 60 & echo $! >'{pids}'; echo $$ >>'{pids}'; wait",
                         "elevate_plugin_timeout = 1\n")
    elapsed = time.monotonic() - start
    assert_failure(result, "dev", EXIT_CREDENTIALS, "process plugin 'bad'", "did not finish within 1 s",
                   "raise elevate_plugin_timeout in profile 'dev'")
    assert elapsed < 6, elapsed
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 2
        while running(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not running(pid), f"process {pid} of the plugin survived"


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_huge_output_is_refused(sandbox, plugins):
    result = misbehaving(sandbox, plugins, "head -c 1000000 /dev/zero | tr '\\0' x")
    assert_failure(result, "dev", EXIT_CREDENTIALS, "process plugin 'bad'", "wrote more than 64 KiB")


def test_invalid_credentials_are_refused_naming_the_field_not_the_value(sandbox, plugins):
    answer = ANSWER.replace("plugin-secret", "bad secret s3cr3t")
    line = assert_failure(misbehaving(sandbox, plugins, f"echo '{answer}'"), "dev", EXIT_CREDENTIALS,
                          "process plugin 'bad'", "SecretAccessKey")
    assert "s3cr3t" not in line


def test_a_bad_timeout_setting_is_a_configuration_error_before_the_plugin_runs(sandbox, plugins):
    marker = sandbox.root / "ran"
    result = misbehaving(sandbox, plugins, f"touch '{marker}'; echo '{ANSWER}'", "elevate_plugin_timeout = soon\n")
    assert_failure(result, "dev", EXIT_CONFIGURATION, "'soon'", "elevate_plugin_timeout")
    assert not marker.exists()


def test_a_plugin_nobody_installed_is_a_configuration_error_naming_the_executable_and_folders(sandbox, plugins):
    sandbox.write_config("[profile dev]\nelevate_source = nosuch\n")
    result = sandbox.run("credential-process", "--profile", "dev", env=plugins.env)
    assert_failure(result, "dev", EXIT_CONFIGURATION, "elevate_source 'nosuch'", "aws-elevate-plugin-nosuch",
                   str(plugins.folder), "home/.local/share/aws-elevate/plugins")


def test_elevate_source_next_to_a_setting_botocore_reads_is_refused(sandbox, plugins):
    plugins.install("bad", f"#!/bin/sh\necho '{ANSWER}'\n")
    sandbox.write_config("[profile dev]\nelevate_source = bad\ncredential_process = /bin/true\n")
    result = sandbox.run("credential-process", "--profile", "dev", env=plugins.env)
    assert_failure(result, "dev", EXIT_CONFIGURATION, "elevate_source and 'credential_process'", "keep one")


def test_an_elevation_gets_its_input_on_stdin_only_never_in_argv_or_the_environment(sandbox, plugins):
    """The caller's keys (the env source) are the hop's input: the plugin finds them in its request, and neither in
    its argument list nor in its environment."""
    spy = sandbox.root / "spy"
    spy.mkdir()
    plugins.install("spy", f"""#!/bin/sh
cat >'{spy}/request'
printf '%s\\n' "$0" "$@" >'{spy}/argv'
env >'{spy}/environment'
cat /proc/$$/cmdline >'{spy}/cmdline'
echo '{ANSWER}'
""")
    sandbox.write_config("[profile hop]\nelevate_plugin = spy\ncredential_source = Environment\n")
    caller = {"AWS_ACCESS_KEY_ID": "AKIACALLER0000001", "AWS_SECRET_ACCESS_KEY": "caller-secret-value",
              "AWS_SESSION_TOKEN": "caller-token-value"}
    document = parse_credential_document(
        sandbox.run("credential-process", "--profile", "hop", env={**plugins.env, **caller}))
    assert document["AccessKeyId"] == "ASIAPLUGIN0000001"
    request = json.loads((spy / "request").read_text())
    assert request["protocol"] == 1 and request["kind"] == "elevation" and request["hop"] == 1
    assert request["credentials"] == {"AccessKeyId": "AKIACALLER0000001", "SecretAccessKey": "caller-secret-value",
                                      "SessionToken": "caller-token-value"}
    seen = (spy / "argv").read_text() + (spy / "environment").read_text() + (spy / "cmdline").read_text()
    for secret in caller.values():
        assert secret not in seen


def test_plugins_lists_process_plugins_with_their_paths_and_marks_the_shadowed(sandbox, plugins):
    second = sandbox.root / "more"
    second.mkdir()
    vault = plugins.install("vault", "#!/bin/sh\n")
    plugins.install("imds", "#!/bin/sh\n")
    later = second / "aws-elevate-plugin-vault"
    later.write_text("#!/bin/sh\n")
    later.chmod(0o755)
    env = {"AWS_ELEVATE_PLUGIN_PATH": f"{plugins.folder}:{second}"}
    result = sandbox.run("plugins", env=env)
    assert result.returncode == 0, result
    lines = result.out.splitlines()
    index = lines.index("process plugins (elevate_source / elevate_plugin = NAME):")
    assert lines[index + 1:] == [
        f"  imds  {plugins.folder}/aws-elevate-plugin-imds  (shadowed by the built-in plugin 'imds')",
        f"  vault  {vault}",
        f"  vault  {later}  (shadowed by {vault})",
    ]


BOTOCORE_READS = """
import json, sys, boto3, botocore.exceptions
out = {}
for name in sys.argv[1:]:
    try:
        credentials = boto3.Session(profile_name=name).get_credentials()
        out[name] = None if credentials is None else "credentials"
    except botocore.exceptions.BotoCoreError as error:
        out[name] = type(error).__name__
print(json.dumps(out))
"""


def test_botocore_reads_profiles_with_plugin_settings_as_incomplete_never_as_another_chain(sandbox):
    """The oracle for how elevate_source and elevate_plugin sit next to botocore's settings: a profile that uses
    them gives botocore no credentials or an incomplete role profile, never credentials from something else."""
    sandbox.write_config("""
        [profile source-only]
        elevate_source = keyfile
        keyfile = /run/keys.env

        [profile role-from-plugin]
        role_arn = arn:aws:iam::123456789012:role/x
        elevate_source = keyfile

        [profile hop-without-role]
        elevate_plugin = tagged-role
        source_profile = base

        [profile base]
        aws_access_key_id = AKIABASE000000001
        aws_secret_access_key = s
        """)
    names = ["source-only", "role-from-plugin", "hop-without-role"]
    result = sandbox.run("-c", BOTOCORE_READS, *names, program=venv_bin("python"), timeout=60)
    assert result.returncode == 0, result
    assert json.loads(result.out) == {
        "source-only": None, "role-from-plugin": "PartialCredentialsError", "hop-without-role": None}
