"""`eval "$(aws-elevate env ...)"` in a real bash and a real zsh gives every value back byte for byte.

Values come from the credentials file (a continuation line gives a value with a line break, as configparser
joins them); the shells print each variable back with printf '%s' into a file, and the bytes are compared.
"""

import pytest

VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
             "AWS_ELEVATE_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION")

# Runs in bash and in `zsh -f` alike. A stale token and expiration are set first: `unset` lines must remove them.
# Each variable that is set afterwards is printed back, unchanged, into a file of its own name.
ROUND_TRIP = "\n".join([
    "AWS_SESSION_TOKEN=stale-token; export AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION=2000-01-01T00:00:00Z; export AWS_CREDENTIAL_EXPIRATION",
    'text=$("$ELEVATE" env --profile "$PROFILE" --shell "$SHELL_NAME") || exit 99',
    'eval "$text"',
    *(f'if [ "${{{name}+set}}" = set ]; then printf \'%s\' "${name}" > "$OUT/{name}"; fi' for name in VARIABLES),
])

# (case id, value). Leading and trailing blanks are stripped by the INI reader, so they are not tested here.
# Credentials are printable ASCII without spaces (CredentialRules); the other values are anything a file can hold.
PRINTABLE_VALUES = [
    ("single-quote", "it's'a'secret''"),
    ("double-quote", 'say"hi"""'),
    ("dollar", "$HOME${PATH}$1$$$?${x:-y}"),
    ("command-substitution", "`touch${IFS}PWNED`$(touch${IFS}PWNED)"),
    ("backslash", "back\\slash\\n\\\\\\'\\"),
    ("bang", "bang!!!!$!-1!#"),
    ("all-at-once", "'\"$`\\!'\\''$(touch${IFS}PWNED)'"),
]
VALUES = PRINTABLE_VALUES + [
    ("spaces-and-tab", "inner  two  spaces\tand a tab"),
    ("newline", "first line\nsecond line"),
    ("unicode", "cl\u00e9 \U0001f511 \u043a\u043b\u044e\u0447 \u79d8\u5bc6"),
    ("quote-combining-mark", "x'\u0301; touch PWNED; #"),
    ("quote-zwj", "x'\u200d$(touch PWNED)'\ufe0f"),
    ("escape-sequence", "\x1b[31mred\x1b]0;title\x07"),
    ("line-separator", "a\u2028b\u0085c"),
]


def ini_value(value: str) -> str:
    """The value as INI text: a line break becomes an indented continuation line."""
    return value.replace("\n", "\n    ")


def round_trip(sandbox, shell_path: str, shell_name: str, profile: str) -> dict[str, bytes]:
    out = sandbox.root / f"out-{shell_name}"
    out.mkdir()
    argv = [shell_path, "-c", ROUND_TRIP] if shell_name == "bash" else [shell_path, "-f", "-c", ROUND_TRIP]
    result = sandbox.run(*argv[1:], program=argv[0], env={
        "ELEVATE": str(sandbox.binary), "PROFILE": profile, "SHELL_NAME": shell_name,
        "OUT": str(out),
    })
    assert result.returncode == 0, result
    assert result.stderr == b"", result
    assert not (sandbox.root / "PWNED").exists(), "a value was executed by eval"
    assert not (out / "PWNED").exists(), "a value was executed by eval"
    return {path.name: path.read_bytes() for path in out.iterdir()}


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
@pytest.mark.parametrize("case, value", PRINTABLE_VALUES, ids=[case for case, _ in PRINTABLE_VALUES])
def test_eval_gives_back_credentials_byte_for_byte(sandbox, request, shell_name, case, value):
    shell_path = request.getfixturevalue(shell_name)
    sandbox.write_config("[profile quoting]\nregion = ap-southeast-2\n")
    sandbox.write_credentials(
        "[quoting]\n"
        "aws_access_key_id = AKIAQUOTINGTEST1\n"
        f"aws_secret_access_key = secret{ini_value(value)}\n"
        f"aws_session_token = token{ini_value(value)}\n"
    )
    variables = round_trip(sandbox, shell_path, shell_name, "quoting")
    assert variables == {
        "AWS_ACCESS_KEY_ID": b"AKIAQUOTINGTEST1",
        "AWS_SECRET_ACCESS_KEY": f"secret{value}".encode(),
        "AWS_SESSION_TOKEN": f"token{value}".encode(),
        "AWS_ELEVATE_PROFILE": b"quoting",
        "AWS_REGION": b"ap-southeast-2",
        "AWS_DEFAULT_REGION": b"ap-southeast-2",
    }


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
@pytest.mark.parametrize("case, value", VALUES, ids=[case for case, _ in VALUES])
def test_eval_gives_back_a_region_byte_for_byte(sandbox, request, shell_name, case, value):
    shell_path = request.getfixturevalue(shell_name)
    sandbox.write_config(f"[profile quoting]\nregion = {ini_value(value)}\n")
    sandbox.write_credentials("[quoting]\naws_access_key_id = AKIAQUOTINGTEST1\naws_secret_access_key = s3cret\n")
    variables = round_trip(sandbox, shell_path, shell_name, "quoting")
    assert variables["AWS_REGION"] == value.encode()
    assert variables["AWS_DEFAULT_REGION"] == value.encode()


@pytest.mark.parametrize("case, value", [v for v in VALUES if v not in PRINTABLE_VALUES],
                         ids=[case for case, v in VALUES if (case, v) not in PRINTABLE_VALUES])
def test_env_refuses_a_secret_outside_printable_ascii_and_prints_nothing(sandbox, case, value):
    sandbox.write_credentials(
        f"[quoting]\naws_access_key_id = AKIAQUOTINGTEST1\naws_secret_access_key = s{ini_value(value)}\n")
    result = sandbox.run("env", "--profile", "quoting", "--shell", "bash")
    assert result.returncode == 1 and result.stdout == b"", result
    assert len(result.stderr.splitlines()) == 1 and b"SecretAccessKey" in result.stderr
    assert value.encode() not in result.stderr


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_eval_gives_back_a_profile_name_full_of_shell_syntax(sandbox, request, shell_name):
    shell_path = request.getfixturevalue(shell_name)
    profile = "it's \"$HOME\" `id` $(id) \\ ! \u00e9 x'\u0301$(touch PWNED) #"
    sandbox.write_credentials(f"[{profile}]\naws_access_key_id = AKIAPLAIN\naws_secret_access_key = plain\n")
    variables = round_trip(sandbox, shell_path, shell_name, profile)
    assert variables["AWS_ELEVATE_PROFILE"] == profile.encode()
    assert variables["AWS_ACCESS_KEY_ID"] == b"AKIAPLAIN"


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_eval_unsets_a_stale_session_token_and_expiration(sandbox, request, shell_name):
    shell_path = request.getfixturevalue(shell_name)
    sandbox.write_credentials("[long-term]\naws_access_key_id = AKIALONGTERM\naws_secret_access_key = s3cret\n")
    variables = round_trip(sandbox, shell_path, shell_name, "long-term")
    assert "AWS_SESSION_TOKEN" not in variables, "stale AWS_SESSION_TOKEN survived the eval"
    assert "AWS_CREDENTIAL_EXPIRATION" not in variables, "stale AWS_CREDENTIAL_EXPIRATION survived the eval"
    assert variables["AWS_SECRET_ACCESS_KEY"] == b"s3cret"

