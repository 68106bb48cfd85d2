"""`aws-elevate exec` and `exec --server` against moto: the command's exit status and signals, the environment it
gets (keys, or a loopback ECS-format endpoint and a token), the real aws CLI and boto3 inside it, the endpoint's
refusals, and fresh sessions for a command that outlives its first one (short sessions from the fault proxy).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from harness import EXIT_CONFIGURATION, EXIT_CREDENTIALS, Result, assert_failure, venv_bin
from sts_harness import fault_proxy, hop_profiles, seed_chain, write_app_config  # noqa: F401 (fixture)

PYTHON = str(venv_bin("python"))
AWS = str(venv_bin("aws"))


@pytest.fixture
def chain(sandbox, moto, unique):
    """user → role A → role B in moto; `app-chain` is role B."""
    chain = seed_chain(moto, unique)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    return chain


def moto_env(moto, **extra: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": moto.url, "AWS_DEFAULT_REGION": "us-east-1", **extra}


def run_exec(sandbox, *args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = (),
             timeout: float = 120) -> Result:
    return sandbox.run("exec", *args, env=env, drop=drop, timeout=timeout)


CHILD_REPORT = """
import json, os, sys
def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")
print(json.dumps({
    "argv": read("/proc/self/cmdline"),
    "parent_argv": read(f"/proc/{os.getppid()}/cmdline"),
    "env": {k: v for k, v in os.environ.items() if k.startswith("AWS_")},
}))
"""


def child_report(result: Result) -> dict:
    assert result.returncode == 0, result
    return json.loads(result.stdout)


# -- exec ---------------------------------------------------------------------------------------------------


def test_exec_passes_on_the_commands_exit_status(sandbox, moto, chain):
    for status in (0, 7, 255):
        result = run_exec(sandbox, "--profile", "app-chain", "--", "sh", "-c", f"exit {status}", env=moto_env(moto))
        assert result.returncode == status, result
        assert result.stderr == b"", result


def test_exec_runs_the_aws_cli_as_role_b_with_aws_profile_exported_empty(sandbox, moto, chain):
    """The issue's reproduction: with `AWS_PROFILE=''` the CLI looked for profile '' before the keys."""
    result = run_exec(sandbox, "--profile", "app-chain", "--", AWS, "sts", "get-caller-identity", "--output", "json",
                      env=moto_env(moto, AWS_PROFILE="", AWS_DEFAULT_PROFILE="elsewhere"))
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.session_arn(1)


def test_exec_puts_the_keys_in_the_environment_and_never_in_argv(sandbox, moto, chain):
    result = run_exec(sandbox, "--profile", "app-chain", "--", PYTHON, "-c", CHILD_REPORT,
                      env=moto_env(moto, AWS_PROFILE="x", AWS_SECURITY_TOKEN="old", AWS_REGION="eu-west-3"))
    report = child_report(result)
    env = report["env"]
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    assert env["AWS_ELEVATE_PROFILE"] == "app-chain"
    assert datetime.strptime(env["AWS_CREDENTIAL_EXPIRATION"], "%Y-%m-%dT%H:%M:%SZ")
    assert "AWS_PROFILE" not in env and "AWS_DEFAULT_PROFILE" not in env and "AWS_SECURITY_TOKEN" not in env
    # The profile's region (us-east-1 comes from [profile app], not from app-chain): the inherited one stays.
    assert env["AWS_REGION"] == "eu-west-3"
    for secret in (env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]):
        assert secret not in report["argv"] and secret not in report["parent_argv"]
    assert report["argv"].split("\0")[:2] == [PYTHON, "-c"]


def test_exec_gives_the_profiles_region_to_the_command(sandbox, moto, chain):
    sandbox.write_config(sandbox.config.read_text().replace(
        "[profile app-chain]\n", "[profile app-chain]\nregion = ap-south-2\n"))
    report = child_report(run_exec(sandbox, "--profile", "app-chain", "--", PYTHON, "-c", CHILD_REPORT,
                                   env=moto_env(moto, AWS_REGION="eu-west-3")))
    assert report["env"]["AWS_REGION"] == "ap-south-2" and report["env"]["AWS_DEFAULT_REGION"] == "ap-south-2"


def test_exec_uses_aws_profile_as_the_default_profile(sandbox, moto, chain):
    report = child_report(run_exec(sandbox, "--", PYTHON, "-c", CHILD_REPORT,
                                   env=moto_env(moto, AWS_PROFILE="app-chain")))
    assert report["env"]["AWS_ELEVATE_PROFILE"] == "app-chain" and "AWS_PROFILE" not in report["env"]


@pytest.mark.parametrize("server", [False, True], ids=["exec", "server"])
def test_a_command_killed_by_a_signal_ends_exec_with_the_same_signal(sandbox, moto, chain, server):
    flags = ["--server"] if server else []
    result = run_exec(sandbox, *flags, "--profile", "app-chain", "--", "sh", "-c", "kill -TERM $$",
                      env=moto_env(moto))
    assert result.returncode == -signal.SIGTERM, result


@pytest.mark.parametrize("server", [False, True], ids=["exec", "server"])
def test_a_missing_command_is_127_and_one_that_cannot_run_126(sandbox, moto, chain, server):
    flags = ["--server"] if server else []
    missing = run_exec(sandbox, *flags, "--profile", "app-chain", "--", "no-such-command-e2e", env=moto_env(moto))
    assert missing.returncode == 127, missing
    assert missing.err == "aws-elevate: exec: 'no-such-command-e2e': command not found\n", missing
    plain = sandbox.root / "not-executable"
    plain.write_text("#!/bin/sh\n")
    denied = run_exec(sandbox, *flags, "--profile", "app-chain", "--", str(plain), env=moto_env(moto))
    assert denied.returncode == 126, denied
    assert denied.err == f"aws-elevate: exec: '{plain}': permission denied\n", denied


@pytest.mark.parametrize("server", [False, True], ids=["exec", "server"])
def test_a_failing_profile_fails_before_the_command_starts(sandbox, moto, chain, server):
    flags = ["--server"] if server else []
    canary = sandbox.root / "canary"
    sandbox.write_credentials("[base]\naws_access_key_id = AKIAUNKNOWN\naws_secret_access_key = wrong\n")
    result = run_exec(sandbox, *flags, "--profile", "app-chain", "--", "touch", str(canary), env=moto_env(moto))
    assert_failure(result, "app-chain", EXIT_CREDENTIALS)
    missing = run_exec(sandbox, *flags, "--profile", "nowhere", "--", "touch", str(canary), env=moto_env(moto))
    assert_failure(missing, "nowhere", EXIT_CONFIGURATION)
    assert not canary.exists()


def test_exec_passes_the_commands_arguments_byte_for_byte(sandbox, moto, chain):
    words = ["it's", "$(touch canary)", "`id`", "a\nb", "e\u0301", "", " "]
    script = "import json, sys; print(json.dumps(sys.argv[1:]))"
    result = run_exec(sandbox, "--profile", "app-chain", "--", PYTHON, "-c", script, *words, env=moto_env(moto))
    assert result.returncode == 0, result
    assert json.loads(result.stdout) == words
    assert not (sandbox.root / "canary").exists()


def test_exec_without_a_command_is_a_usage_error(sandbox):
    result = run_exec(sandbox, "--profile", "app-chain")
    assert result.returncode == 64 and "after '--'" in result.err, result


# -- exec --server ------------------------------------------------------------------------------------------

BOTO3_IDENTITY = """
import json, sys, boto3
print(json.dumps(boto3.Session().client("sts", endpoint_url=sys.argv[1]).get_caller_identity()))
"""


def test_server_gives_boto3_role_b_without_keys_in_its_environment(sandbox, moto, chain):
    script = CHILD_REPORT.replace("print(json.dumps({", "import boto3\nprint(json.dumps({\n    \"arn\": boto3.Session()"
                                  ".client('sts', endpoint_url=os.environ['AWS_ENDPOINT_URL'])"
                                  ".get_caller_identity()['Arn'],")
    result = run_exec(sandbox, "--server", "--profile", "app-chain", "--", PYTHON, "-c", script,
                      env=moto_env(moto, AWS_PROFILE="", AWS_ACCESS_KEY_ID="AKIAOUTER", AWS_SECRET_ACCESS_KEY="outer",
                                   AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="/elsewhere"))
    report = child_report(result)
    assert report["arn"] == chain.session_arn(1)
    env = report["env"]
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        assert name not in env, env
    uri = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert uri.startswith("http://127.0.0.1:") and uri.endswith("/aws-elevate/credentials")
    assert len(env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]) == 64
    assert env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] not in report["argv"] + report["parent_argv"]


def test_server_gives_the_aws_cli_role_b(sandbox, moto, chain):
    result = run_exec(sandbox, "--server", "--profile", "app-chain", "--", AWS, "sts", "get-caller-identity",
                      "--output", "json", env=moto_env(moto))
    assert result.returncode == 0, result
    assert json.loads(result.stdout)["Arn"] == chain.session_arn(1)


PROBE = """
import http.client, json, os, re
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
host, port, path = re.fullmatch(r"http://(127\\.0\\.0\\.1):(\\d+)(/.*)", uri).groups()
def ask(headers, method="GET", target=path, skip_host=False):
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest(method, target, skip_host=skip_host, skip_accept_encoding=True)
    for name, value in headers:
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    return [response.status, json.loads(response.read())]
answers = {
    "right": ask([("Authorization", token)]),
    "missing": ask([]),
    "wrong": ask([("Authorization", token[:-1] + ("0" if token[-1] != "0" else "1"))]),
    "short": ask([("Authorization", token[:10])]),
    "evil_host": ask([("Host", "evil.example:" + port), ("Authorization", token)], skip_host=True),
    "localhost": ask([("Host", "localhost:" + port), ("Authorization", token)], skip_host=True),
    "post": ask([("Authorization", token)], method="POST"),
    "other_path": ask([("Authorization", token)], target="/"),
}
listening = []
for line in open("/proc/net/tcp").read().splitlines()[1:]:
    fields = line.split()
    local, state = fields[1], fields[3]
    if state == "0A" and int(local.split(":")[1], 16) == int(port):
        listening.append(local.split(":")[0])
print(json.dumps({"answers": answers, "listening": listening, "uri": uri, "token": token}))
"""


def test_server_answers_only_the_right_token_host_method_and_path(sandbox, moto, chain):
    result = run_exec(sandbox, "--server", "--profile", "app-chain", "--", PYTHON, "-c", PROBE, env=moto_env(moto))
    assert result.returncode == 0, result
    report = json.loads(result.stdout)
    answers = report["answers"]
    status, document = answers["right"]
    assert status == 200 and set(document) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
    assert document["AccessKeyId"].startswith("ASIA")
    assert datetime.strptime(document["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
    assert answers["missing"][0] == 401
    for case in ("wrong", "short", "evil_host", "localhost"):
        assert answers[case][0] == 403, (case, answers[case])
    assert answers["post"][0] == 405 and answers["other_path"][0] == 404
    for case, (status, body) in answers.items():
        if case != "right":
            assert set(body) == {"code", "message"}, body
            assert document["SecretAccessKey"] not in json.dumps(body)
    # Bound to the loopback address only (0100007F is 127.0.0.1 in /proc/net/tcp).
    assert report["listening"] == ["0100007F"]
    assert result.stderr == b"", result


def test_server_endpoint_is_gone_after_the_command_exits(sandbox, moto, chain):
    result = run_exec(sandbox, "--server", "--profile", "app-chain", "--", PYTHON, "-c", PROBE, env=moto_env(moto))
    report = json.loads(result.stdout)
    port = int(report["uri"].split(":")[2].split("/")[0])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


def test_server_has_no_option_to_bind_another_address(sandbox, moto, chain):
    for option in ("--bind", "--host", "--address", "--listen"):
        result = run_exec(sandbox, "--server", option, "0.0.0.0", "--profile", "app-chain", "--", "true")
        assert result.returncode == 64, result


def test_a_hostile_client_neither_crashes_nor_holds_the_endpoint(sandbox, moto, chain):
    """Slow, oversized, malformed and half-closed requests while a real SDK still gets its answer."""
    script = """
import json, os, re, socket, time, boto3
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
port = int(re.search(r":(\\d+)/", uri).group(1))
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
flood = socket.create_connection(("127.0.0.1", port))
try:
    flood.sendall(b"GET / HTTP/1.1\\r\\nX: " + b"a" * 20000)
    flood_answer = flood.recv(100)
except OSError as error:
    flood_answer = repr(error).encode()
junk = socket.create_connection(("127.0.0.1", port))
junk.sendall(bytes(range(256)) + b"\\r\\n\\r\\n")
junk_answer = junk.recv(100)
half = socket.create_connection(("127.0.0.1", port))
half.sendall(b"GET /aws-elevate/credentials HTTP/1.1\\r\\n")
half.shutdown(socket.SHUT_WR)
arn = boto3.Session().client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).get_caller_identity()["Arn"]
print(json.dumps({"arn": arn, "flood": flood_answer.decode("latin-1"), "junk": junk_answer.decode("latin-1")}))
"""
    started = time.monotonic()
    result = run_exec(sandbox, "--server", "--profile", "app-chain", "--", PYTHON, "-c", script, env=moto_env(moto))
    assert result.returncode == 0, result
    report = json.loads(result.stdout)
    assert report["arn"] == chain.session_arn(1)
    # The answer, or a reset: the endpoint closes with the rest of the flood unread.
    assert report["flood"].startswith("HTTP/1.1 431") or any(
        word in report["flood"] for word in ("ConnectionReset", "BrokenPipe")), report
    assert report["junk"].startswith("HTTP/1.1 400"), report
    assert time.monotonic() - started < 60


def test_server_relays_a_termination_signal_and_passes_on_the_exit_status(sandbox, moto, chain):
    script = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: (os.write(1, b"got TERM\\n"), os._exit(42)))
print("ready", flush=True)
time.sleep(60)
"""
    argv = [str(sandbox.binary), "exec", "--server", "--profile", "app-chain", "--", PYTHON, "-c", script]
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=sandbox.environment(moto_env(moto)), cwd=sandbox.root)
    try:
        assert process.stdout.readline() == b"ready\n"
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=30)
        assert (status, process.stdout.read()) == (42, b"got TERM\n"), process.stderr.read()
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()


# -- fresh sessions -----------------------------------------------------------------------------------------


def short_session(number: int, minutes: int = 5) -> dict:
    expiration = (datetime.now(timezone.utc) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"status": 200, "result": {
        "Credentials": {"AccessKeyId": f"ASIASHORT{number:04d}", "SecretAccessKey": f"secret-{number}",
                        "SessionToken": f"token-{number}", "Expiration": expiration},
        "AssumedRoleUser": {"Arn": f"arn:aws:sts::123456789012:assumed-role/short/s{number}",
                            "AssumedRoleId": "AROASHORT:s"}}}


OUTLIVE = """
import json, time, boto3
credentials = boto3.Session().get_credentials()
seen = []
for _ in range(3):
    seen.append(credentials.get_frozen_credentials().access_key)
    time.sleep(1)
print(json.dumps(seen))
"""


@pytest.fixture
def short_chain(sandbox, moto, unique, fault_proxy):
    """user → one role, through the fault proxy, which answers AssumeRole with five-minute sessions: inside the
    cache's refresh margin, so each is served once and never stored, and inside botocore's mandatory refresh
    window, so the SDK asks the endpoint again on every use."""
    chain = seed_chain(moto, unique, hops=1)
    write_app_config(sandbox, hop_profiles(chain), chain.user)
    return {"AWS_ENDPOINT_URL": moto.url, "AWS_ENDPOINT_URL_STS": fault_proxy.url, "AWS_DEFAULT_REGION": "us-east-1"}


def test_a_command_that_outlives_its_session_keeps_getting_fresh_ones(sandbox, fault_proxy, short_chain):
    fault_proxy.plan("AssumeRole", *[short_session(number) for number in range(1, 9)])
    result = run_exec(sandbox, "--server", "--profile", "app-chain", "--", PYTHON, "-c", OUTLIVE, env=short_chain)
    assert result.returncode == 0, result
    seen = json.loads(result.stdout)
    # Session 1 was the check before the command started; each use after that is a new session.
    assert len(set(seen)) == 3 and all(key.startswith("ASIASHORT") for key in seen), seen
    assert "ASIASHORT0001" not in seen
    assert seen == sorted(seen)


def test_a_failing_refresh_is_a_503_without_secrets_and_one_stderr_line(sandbox, fault_proxy, short_chain):
    denied = {"status": 403, "code": "AccessDenied", "message": "User is not authorized to perform: sts:AssumeRole"}
    fault_proxy.plan("AssumeRole", short_session(1), {**denied, "repeat": True})
    result = run_exec(sandbox, "--server", "--profile", "app-chain", "--", PYTHON, "-c", PROBE, env=short_chain)
    assert result.returncode == 0, result
    status, body = json.loads(result.stdout)["answers"]["right"]
    assert status == 503 and body["code"] == "CredentialsUnavailable", body
    assert "secret-1" not in result.out and "token-1" not in result.out
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("aws-elevate: profile 'app-chain': ") and "AccessDenied" in lines[0]


def test_server_refuses_long_term_keys(sandbox, moto, chain):
    sandbox.write_config(sandbox.config.read_text() + "\n[profile plain]\n")
    sandbox.write_credentials(sandbox.credentials.read_text() + "\n[plain]\naws_access_key_id = AKIAPLAIN\n"
                              "aws_secret_access_key = s\n")
    canary = sandbox.root / "canary"
    result = run_exec(sandbox, "--server", "--profile", "plain", "--", "touch", str(canary))
    assert_failure(result, "plain", EXIT_CONFIGURATION, "long-term keys")
    assert not canary.exists()


def test_server_warns_about_a_default_profile_with_its_own_keys(sandbox, moto, chain):
    sandbox.write_credentials(sandbox.credentials.read_text() + "\n[default]\naws_access_key_id = AKIADEFAULT\n"
                              "aws_secret_access_key = s\n")
    result = run_exec(sandbox, "--server", "--profile", "app-chain", "--", "true", env=moto_env(moto))
    assert result.returncode == 0, result
    assert result.err.count("\n") == 1 and "'default' profile sets 'aws_access_key_id'" in result.err, result


COUNT_INTERRUPTS = """
import signal, sys, time
count = 0
def interrupted(*_):
    global count
    count += 1
signal.signal(signal.SIGINT, interrupted)
print("ready", flush=True)
deadline = time.monotonic() + 3
while time.monotonic() < deadline:
    time.sleep(0.1)
sys.exit(count)
"""


def test_server_does_not_send_a_terminals_interrupt_twice(sandbox, moto, chain):
    """^C on a terminal reaches the whole foreground process group, the command included: relaying it as well would
    make a program that aborts at once on a second interrupt (Terraform) do so."""
    import pty
    import termios

    master, slave = pty.openpty()

    def take_terminal():
        os.setsid()
        import fcntl
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    argv = [str(sandbox.binary), "exec", "--server", "--profile", "app-chain", "--", PYTHON, "-c", COUNT_INTERRUPTS]
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, preexec_fn=take_terminal,
                               env=sandbox.environment(moto_env(moto)), cwd=sandbox.root)
    os.close(slave)
    try:
        output = b""
        while b"ready" not in output:
            output += os.read(master, 1024)
        os.write(master, b"\x03")
        assert process.wait(timeout=30) == 1, output
    finally:
        process.kill()
        process.wait()
        os.close(master)


SLOW_SOURCE = """#!/bin/sh
# The first call answers at once (the check before the command starts); later ones take 8 seconds.
if [ -e "$0.called" ]; then sleep 8; fi
touch "$0.called"
printf '{"Version": 1, "AccessKeyId": "ASIASLOW", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "%s"}\\n' \\
    "$(date -u -d '+5 min' +%Y-%m-%dT%H:%M:%SZ)"
"""

WAIT_FOR_TERM_DURING_A_FETCH = """
import os, signal, threading, time, urllib.request
signal.signal(signal.SIGTERM, lambda *_: (os.write(1, b"got TERM\\n"), os._exit(42)))
request = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                                 headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
threading.Thread(target=lambda: urllib.request.urlopen(request, timeout=30), daemon=True).start()
time.sleep(1)
os.write(1, b"ready\\n")
time.sleep(60)
"""


def test_server_relays_a_signal_while_a_refresh_is_in_flight(sandbox):
    source = sandbox.root / "slow-source"
    source.write_text(SLOW_SOURCE)
    source.chmod(0o755)
    sandbox.write_config(f"[profile slow]\ncredential_process = {source}\n")
    argv = [str(sandbox.binary), "exec", "--server", "--profile", "slow", "--", PYTHON, "-c",
            WAIT_FOR_TERM_DURING_A_FETCH]
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=sandbox.environment({"AWS_ELEVATE_CACHE": "none"}), cwd=sandbox.root)
    try:
        assert process.stdout.readline() == b"ready\n", process.stderr.read()
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.stdout.readline() == b"got TERM\n"
        assert time.monotonic() - sent < 4, "relayed only after the refresh"
        assert process.wait(timeout=30) == 42
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()


PROBE_DURING_A_FETCH = """
import http.client, os, re, threading, time, urllib.request
uri = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
request = urllib.request.Request(uri, headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
threading.Thread(target=lambda: urllib.request.urlopen(request, timeout=30), daemon=True).start()
time.sleep(1)
host, port, path = re.fullmatch(r"http://(127\\.0\\.0\\.1):(\\d+)(/.*)", uri).groups()
started = time.monotonic()
connection = http.client.HTTPConnection(host, int(port), timeout=10)
connection.request("GET", path, headers={"Authorization": "wrong"})
status = connection.getresponse().status
os.write(1, f"{status} {time.monotonic() - started:.1f}\\n".encode())
"""


def test_a_slow_refresh_neither_holds_other_requests_nor_outlives_the_command(sandbox):
    source = sandbox.root / "slow-source"
    source.write_text(SLOW_SOURCE)
    source.chmod(0o755)
    sandbox.write_config(f"[profile slow]\ncredential_process = {source}\n")
    argv = [str(sandbox.binary), "exec", "--server", "--profile", "slow", "--", PYTHON, "-c", PROBE_DURING_A_FETCH]
    started = time.monotonic()
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env=sandbox.environment({"AWS_ELEVATE_CACHE": "none"}), cwd=sandbox.root)
    try:
        status, seconds = process.stdout.readline().split()
        assert status == b"403" and float(seconds) < 2
        assert process.wait(timeout=30) == 0
        # The command ran about a second; the refresh it left behind takes eight.
        assert time.monotonic() - started < 6
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


def test_server_debug_lines_name_each_answer_and_no_secret(sandbox, moto, chain):
    result = run_exec(sandbox, "--server", "--debug", "--profile", "app-chain", "--", PYTHON, "-c", PROBE,
                      env=moto_env(moto))
    assert result.returncode == 0, result
    report = json.loads(result.stdout)
    document = report["answers"]["right"][1]
    assert "endpoint: 200 to 1 request(s)" in result.err and "endpoint: 403 host not allowed" in result.err, result
    for secret in (document["SecretAccessKey"], document["Token"], report["token"]):
        assert secret not in result.err
