"""Hostile values from every place credentials come from, through every way they leave.

A small deterministic generator builds a corpus of values: a quote followed by a combining mark, a zero-width joiner
or a variation selector (one `Character` with the quote, the bug of issue 8); `$(…)` and backticks that would touch a
canary file; backslashes, double quotes, CR, LF, U+2028, NUL, escape sequences, very long values; and valid values of
printable ASCII full of shell syntax, which must be accepted and come back unchanged.

They are delivered by
  * process: a credential_process program printing a document written by json.dumps (non-ASCII as raw UTF-8, and
    a few documents with bytes that are not UTF-8),
  * sts: an AssumeRole answer of the fault proxy (Tests/support/sts_fault_proxy.py) whose Credentials and
    AssumedRoleUser carry them, and a GetCallerIdentity answer whose Arn does,
  * imds: the IMDS emulator's role credentials document (\\u escapes), role listing, instance id and region,
and read back through `credential-process`, `env --shell bash|zsh` evaluated by real bash and zsh, the `elevate`
function of shell/aws-elevate.sh in real bash and zsh, and `whoami`.

For every (value, delivery, path) the run either fails with exactly one clear stderr line, exit 1 and empty stdout
(and `elevate` leaves the shell's variables as they were), or gives the value back byte for byte (as the delivery
carries it: an XML element's text without the white space around it; an Expiration in the one form aws-elevate
writes, `YYYY-MM-DDTHH:MM:SSZ`). Which of the two
is decided by an oracle written here from the rules (AccessKeyId 1-128 ASCII letters and digits, SecretAccessKey up
to 1024 and SessionToken up to 16384 bytes of printable ASCII without spaces, Expiration RFC 3339), so a product that
refused everything would fail too. A canary file never appears. With the file cache on, a refused value leaves no
cache entry, and the next run, with a good peer, fetches afresh and caches that.

One STS peer (moto behind the fault proxy) and one IMDS emulator serve the whole module; each case loads its values
into them before it runs.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from cache_harness import entry_files, files_containing
from harness import EM_DASH, REPO, Result
from sts_harness import FaultProxy, IMDSEmulator, seed_chain

FUNCTIONS = REPO / "shell" / "aws-elevate.sh"
PROFILE = "hv"
REGION = "eu-west-3"
CANARY = "CANARY"
# Touches the canary in the current directory; no space, so that values carrying it can be valid credentials.
TOUCH = "touch${IFS}" + CANARY

GOOD = {
    "AccessKeyId": "ASIAHOSTILEGOOD01",
    "SecretAccessKey": "good/secret+value=0123456789",
    "SessionToken": "good-session-token/+=0123456789",
    "Expiration": "2031-05-06T07:08:09Z",
    "Arn": "arn:aws:sts::123456789012:assumed-role/hostile/hv",
    "CallerArn": "arn:aws:sts::123456789012:assumed-role/hostile/hv",
    "role": "hostile-instance-role",
    "instance-id": "i-0123456789abcdef0",
    "region": "us-east-1",
}
SECRET_FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken")

# -- the corpus ---------------------------------------------------------------------------------------------------

# Printable ASCII without spaces, full of shell syntax: valid credentials, which must come back unchanged.
SHELL_SYNTAX = [
    ("squote-cmdsub", f"'$({TOUCH})'"),
    ("backticks", f"`{TOUCH}`"),
    ("cmdsub", f"$({TOUCH})"),
    ("dquote-cmdsub", f'"$({TOUCH})"'),
    ("escaped-quotes", f"\\'$({TOUCH})\\'\\"),
    ("close-and-reopen", f"'\\''$({TOUCH})'\\''"),
    ("semicolons", f"';{TOUCH};#"),
    ("ansi-c-quote", "$'\\x27'$'\\047'$\"x\""),
    ("backslashes", "\\\\\\"),
    ("history", "!!!$!#!-1"),
    ("parameters", "${HOME:-$(id)}${#PATH}$$$?$0$@"),
    ("arithmetic", "$((1+1))$[2]"),
    ("globs", "*?[a-z]**~+=ls"),
    ("markup", "<a>&amp;]]></a>&#39;&#x27;"),
    ("json", '{"k":"v\\\\"}\\u0027'),
    ("printf-escapes", "%s%n%x%00%27\\x00\\e[31m"),
]

QUOTE_FOLLOWERS = [("combining-acute", "\u0301"), ("zwj", "\u200d"), ("variation-selector", "\ufe0f"),
                   ("combining-grave", "\u0300")]

INVALID = [
    *[(f"quote-{name}", f"x'{mark};{TOUCH};#") for name, mark in QUOTE_FOLLOWERS],
    *[(f"quote-{name}-cmdsub", f"x'{mark}$({TOUCH})'") for name, mark in QUOTE_FOLLOWERS[:3]],
    ("lf", f"a\n$({TOUCH})"),
    ("trailing-lf", "s3cr3t\n"),
    ("cr", f"a\r{TOUCH}"),
    ("crlf", "a\r\nb"),
    ("trailing-crlf", "s3cr3t\r\n"),
    ("tab", "a\tb"),
    ("space", f"a ;{TOUCH}"),
    ("leading-space", " s3cr3t"),
    ("line-separator", f"a\u2028$({TOUCH})"),
    ("paragraph-separator", "a\u2029b"),
    ("next-line", "a\u0085b"),
    ("no-break-space", "a\u00a0b"),
    ("nul", "a\x00b"),
    ("trailing-nul", "s3cr3t\x00"),
    ("quote-nul", f"'\x00$({TOUCH})'"),
    ("escape-csi", "\x1b[31mred\x1b[0m"),
    ("escape-osc-title", "\x1b]0;owned\x07"),
    ("escape-osc52-clipboard", "\x1b]52;c;dG91Y2ggQ0FOQVJZ\x07"),
    ("delete", "a\x7fb"),
    ("bidi-override", "a\u202eb"),
    ("byte-order-mark", "\ufeffs3cr3t"),
    ("fullwidth-quote", f"x\uff07$({TOUCH})"),
    ("accented", "cl\u00e9"),
    ("emoji-zwj", "\U0001f469\u200d\U0001f4bb"),
    ("lone-surrogate", "a\ud800b"),
]

def printable_word(value: str, maximum: int) -> bool:
    data = value.encode("utf-8", "surrogatepass")
    return 1 <= len(data) <= maximum and all(0x21 <= byte <= 0x7E for byte in data)


LONG_UNIT = f"'$({TOUCH})'"


def long_value(length: int) -> str:
    return (LONG_UNIT * (length // len(LONG_UNIT) + 1))[:length]


LONG = [
    ("long-1024", long_value(1024)),  # the longest secret
    ("long-1025", long_value(1025)),
    ("long-20k", long_value(20_000)),
    ("long-200k", long_value(200_000)),
    ("long-20k-quote-marks", ("x'\u0301" * 7000)[:20_000]),
]

MIX_ATOMS = ["'", "\u0301", "\u200d", "\ufe0f", "$(", ")", "`", "\\", '"', "\r", "\n", "\u2028", "\x00", "\x1b[",
             TOUCH, "${IFS}", ";", "#", "a", "Z", "9"]


PRINTABLE_ATOMS = [atom for atom in MIX_ATOMS if printable_word(atom, 100)]


def mixtures(count: int = 12, seed: int = 8) -> list[tuple[str, str]]:
    """Random strings of the atoms above, the same on every run: every other one of printable atoms only (valid
    credentials), the rest of all atoms (nearly always invalid)."""
    generator = random.Random(seed)
    values = []
    for index in range(count):
        atoms = PRINTABLE_ATOMS if index % 2 == 0 else MIX_ATOMS
        values.append((f"mix-{index}", "".join(generator.choice(atoms) for _ in range(generator.randint(4, 12)))))
    return values


VALUES = SHELL_SYNTAX + INVALID + LONG + mixtures()


@dataclass(frozen=True)
class Case:
    id: str
    fields: dict[str, str]
    # The Expiration the product writes, when the case sets one it must accept; None: refused.
    expiration: str | None = GOOD["Expiration"]
    deliveries: tuple[str, ...] = ("process", "sts", "imds")
    # The process program prints lone surrogates (U+DC80-U+DCFF) as the single bytes they stand for (Python's
    # surrogateescape), not as their own (invalid) UTF-8: a way to send any byte.
    raw_bytes: bool = False


def generate_cases() -> list[Case]:
    cases = [Case(f"secret-and-token-{name}", {"SecretAccessKey": value, "SessionToken": value})
             for name, value in VALUES]
    cases += [
        Case("token-16384", {"SessionToken": long_value(16_384)}),
        Case("token-16385", {"SessionToken": long_value(16_385)}),
        Case("key-test", {"AccessKeyId": "test"}),
        Case("key-128", {"AccessKeyId": "A" * 127 + "9"}),
        Case("key-129", {"AccessKeyId": "A" * 129}),
        Case("key-squote-cmdsub", {"AccessKeyId": f"AKID'$({TOUCH})'"}),
        Case("key-quote-combining-acute", {"AccessKeyId": f"AKID'\u0301;{TOUCH};#"}),
        Case("key-fullwidth", {"AccessKeyId": "\uff21\uff2b\uff29\uff24"}),
        Case("key-lf", {"AccessKeyId": "AKID\nX"}),
        Case("key-nul", {"AccessKeyId": "AKID\x00"}),
    ]
    # (id, text, what the product writes back or None for a refusal)
    expirations = [
        ("offset-and-fraction", "2031-05-06T09:08:09.75+02:00", "2031-05-06T07:08:09Z"),
        ("surrounding-white-space", " 2031-05-06T07:08:09Z\n", "2031-05-06T07:08:09Z"),
        ("trailing-line-separator", "2031-05-06T07:08:09Z\u2028", "2031-05-06T07:08:09Z"),
        ("cmdsub", f"2031-05-06T07:08:09Z$({TOUCH})", None),
        ("squote", "2031-05-06T07:08:09Z'\u0301", None),
        ("inner-lf", "2031-05-06\nT07:08:09Z", None),
        ("fullwidth-digits", "\uff12\uff10\uff13\uff11-05-06T07:08:09Z", None),
        ("arabic-indic-digits", "\u0662\u0660\u0663\u0661-05-06T07:08:09Z", None),
        ("february-30", "2031-02-30T07:08:09Z", None),
        ("five-digit-year", "20310-05-06T07:08:09Z", None),
        ("trailing-nul", "2031-05-06T07:08:09Z\x00", None),
        ("escape", "2031-05-06T07:08:09Z\x1b[2J", None),
        ("long-20k", "2031-05-06T07:08:09Z" + "0" * 20_000, None),
        ("combining-flood", "2031-05-06T07:08:09Z" + "\u0301" * 20_000, None),  # one Character of 40 KB
    ]
    cases += [Case(f"expiration-{name}", {"Expiration": text}, expected) for name, text, expected in expirations]
    # The principal of the AssumeRole answer, and the Arn GetCallerIdentity gives `whoami`.
    arns = [
        ("shell-syntax", f"arn:aws:sts::123456789012:assumed-role/x/'$({TOUCH})'`{TOUCH}`"),
        ("quote-combining-acute", f"arn:aws:sts::123456789012:assumed-role/x/'\u0301;{TOUCH};#"),
        ("lf", "arn:aws:sts::123456789012:assumed-role/x/a\nforged line"),
        ("tab", "arn:aws:sts::123456789012:assumed-role/x/a\tb"),
        ("cr", "arn:aws:sts::123456789012:assumed-role/x/a\rb"),
        ("next-line", "arn:aws:sts::123456789012:assumed-role/x/a\u0085b"),
        ("line-separator", "arn:aws:sts::123456789012:assumed-role/x/a\u2028b"),
        ("escape", "arn:aws:sts::123456789012:assumed-role/x/\x1b[31mred"),
        ("space", "arn:aws:sts::123456789012:assumed-role/x/a b"),
        ("not-an-arn", "it's me"),
        ("long-20k", "arn:" + "a" * 20_000),
    ]
    cases += [Case(f"assumed-role-arn-{name}", {"Arn": arn}, deliveries=("sts",)) for name, arn in arns]
    cases += [Case(f"caller-arn-{name}", {"CallerArn": arn}, deliveries=("sts",)) for name, arn in arns]
    # The instance's role listing, instance id and region.
    facts = [
        ("role-shell-syntax", {"role": f"r'$({TOUCH})'"}),
        ("role-quote-combining-acute", {"role": f"r'\u0301;{TOUCH}"}),
        ("role-path", {"role": "../../../latest/api/token"}),
        ("role-crlf-header", {"role": "r\r\nX-Injected:1"}),
        ("role-line-separator", {"role": "r\u2028s"}),
        ("role-nul", {"role": "r\x00s"}),
        ("role-long", {"role": "r" * 65}),
        ("role-combining-flood", {"role": "r" + "\u0301" * 20_000}),
        # The listing has a role per line; the first one's credentials are fetched (at the role's own path).
        ("listing-second-role", {"listing": GOOD["role"] + "\nsecond-role"}),
        ("listing-crlf", {"listing": GOOD["role"] + "\r\n"}),
        ("listing-cmdsub-first", {"listing": f"r'$({TOUCH})'\n" + GOOD["role"]}),
        ("listing-quote-combining-acute-first", {"listing": "r'\u0301\n" + GOOD["role"]}),
        ("listing-nul", {"listing": GOOD["role"] + "\x00"}),
        ("instance-id-cmdsub", {"instance-id": f"i-$({TOUCH})"}),
        ("instance-id-quote-zwj", {"instance-id": "i-0123'\u200d"}),
        ("instance-id-uppercase", {"instance-id": "i-0123456789ABCDEF0"}),
        ("region-cmdsub", {"region": f"us-east-1$({TOUCH})"}),
        ("region-escape", {"region": "us-east-1\x1b[2J"}),
        ("region-lf", {"region": "us-east-1\nx"}),
        ("region-uppercase", {"region": "US-EAST-1"}),
        ("region-long", {"region": "a" * 65}),
        ("region-combining-flood", {"region": "a" + "\u0301" * 20_000}),
    ]
    cases += [Case(f"imds-{name}", values, deliveries=("imds",)) for name, values in facts]
    # Bytes that are not UTF-8 in a program's output.
    raw = [
        ("overlong-quote", b"x\xc0\xa7$(" + TOUCH.encode() + b")"),  # 0x27 in two bytes, which UTF-8 forbids
        ("lone-continuation-byte", b"x\x80y"),
        ("truncated-combining-mark", b"x'\xcc"),
        ("latin-1", b"cl\xe9"),
    ]
    cases += [Case(f"process-bytes-{name}", {"SecretAccessKey": data.decode("utf-8", "surrogateescape")},
                   deliveries=("process",), raw_bytes=True) for name, data in raw]
    return cases


CASES = generate_cases()

# -- the oracle ---------------------------------------------------------------------------------------------------


RULES = {
    "AccessKeyId": lambda v: re.fullmatch(r"[A-Za-z0-9]{1,128}", v, re.ASCII) is not None,
    "SecretAccessKey": lambda v: printable_word(v, 1024),
    "SessionToken": lambda v: printable_word(v, 16384),
    "Arn": lambda v: v.startswith("arn:") and printable_word(v, 2048),
    "CallerArn": lambda v: v.startswith("arn:") and printable_word(v, 2048),
    "role": lambda v: re.fullmatch(r"[A-Za-z0-9+=,.@_-]{1,64}", v, re.ASCII) is not None,
    # Its first line (without surrounding blanks) names the role the emulator serves.
    "listing": lambda v: re.split(r"\r?\n", v)[0].strip(" \t") == GOOD["role"],
    "instance-id": lambda v: re.fullmatch(r"i-([0-9a-f]{8}|[0-9a-f]{17})", v) is not None,
    "region": lambda v: re.fullmatch(r"[a-z0-9-]{1,64}", v) is not None,
}


def delivered(value: str, delivery: str) -> str:
    """The value as the delivery carries it: the STS reader takes an element's text without surrounding XML white
    space (space, tab, LF, CR), as a pretty-printed document has it; JSON strings are taken whole."""
    return value.strip(" \t\n\r") if delivery == "sts" else value


@dataclass
class Expected:
    """What a run must give back when it succeeds."""

    document: dict[str, object]
    # What `whoami` prints, None when the GetCallerIdentity answer must be refused.
    whoami: str | None


def expected(case: Case, delivery: str) -> Expected | None:
    """What the case must give back through `delivery`, or None when the credentials must be refused."""
    if case.expiration is None:
        return None
    values = {name: delivered(value, delivery) for name, value in {**GOOD, **case.fields}.items()}
    for name in case.fields:
        if name != "CallerArn" and name in RULES and not RULES[name](values[name]):
            return None
    document = {"Version": 1, "AccessKeyId": values["AccessKeyId"], "SecretAccessKey": values["SecretAccessKey"],
                "SessionToken": values["SessionToken"], "Expiration": case.expiration}
    return Expected(document, values["CallerArn"] if RULES["CallerArn"](values["CallerArn"]) else None)


# -- the peers ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_chain(moto):
    """A moto user and a role that trusts it: the good STS peer a refused run is followed by."""
    return seed_chain(moto, "hv" + uuid.uuid4().hex[:8], hops=1)


@pytest.fixture(scope="module")
def sts_peer(moto):
    proxy = FaultProxy(moto.url)
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def imds_peer():
    emulator = IMDSEmulator()
    try:
        yield emulator
    finally:
        emulator.stop()


def assume_role_result(values: dict[str, str]) -> dict:
    return {"Credentials": {name: values[name] for name in
                            ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")},
            "AssumedRoleUser": {"Arn": values["Arn"], "AssumedRoleId": "AROAHOSTILE:hv"}}


def caller_result(arn: str) -> dict:
    return {"Arn": arn, "UserId": "AROAHOSTILE:hv", "Account": "123456789012"}


class Delivery:
    """One way of handing values to aws-elevate, set up in a sandbox; `load` serves a case's values, `load_good`
    the good peer's."""

    name: str
    # Words one of which every refusal line of this delivery names: the plugin, the endpoint or the service.
    origins: tuple[str, ...]
    # Whether a plan of the source alone is cached.
    caches_alone = True

    def __init__(self, sandbox, sts_peer, imds_peer, good_chain):
        self.sandbox, self.sts, self.imds, self.chain = sandbox, sts_peer, imds_peer, good_chain
        self.sts.request("POST", "/_fault/reset")
        self.imds.request("POST", "/_emulator/reset")

    def environment(self, cache: str) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.sts.url, "AWS_ELEVATE_CACHE": cache, "AWS_EC2_METADATA_DISABLED": "true"}

    def answer_whoami(self, arn: str) -> None:
        self.sts.plan("AssumeRole", {"action": "GetCallerIdentity", "status": 200, "result": caller_result(arn),
                                     "repeat": True})

    def fetches(self) -> int:
        """How often the peer has handed out credentials so far."""
        raise NotImplementedError


class ProcessDelivery(Delivery):
    name = "process"
    origins = ("source 'process'", "credential_process program")
    caches_alone = False

    def __init__(self, *args):
        super().__init__(*args)
        root = self.sandbox.root
        self.program = root / "hostile-process"
        self.program.write_text('#!/bin/sh\necho run >>"$0.runs"\nexec cat "$0.json"\n')
        self.program.chmod(0o755)
        role = self.chain.roles[0]
        self.sandbox.write_config(
            f"[profile {PROFILE}]\ncredential_process = {self.program}\nregion = {REGION}\n\n"
            f"[profile {PROFILE}-chain]\nrole_arn = {role.arn}\nsource_profile = {PROFILE}\n"
            f"role_session_name = {self.chain.sessions[0]}\nregion = {REGION}\n")

    def load(self, case: Case) -> None:
        values = {**GOOD, **case.fields}
        document = {"Version": 1, **{name: values[name] for name in
                                     ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")}}
        # Raw UTF-8, lone surrogates as the (invalid) bytes they would be: what a careless program prints.
        text = json.dumps(document, ensure_ascii=False)
        Path(f"{self.program}.json").write_bytes(
            text.encode("utf-8", "surrogateescape" if case.raw_bytes else "surrogatepass") + b"\n")
        self.answer_whoami(GOOD["CallerArn"])

    def load_good(self) -> None:
        user = self.chain.user
        Path(f"{self.program}.json").write_text(json.dumps(
            {"Version": 1, "AccessKeyId": user.access_key_id, "SecretAccessKey": user.secret_access_key}))
        self.sts.request("POST", "/_fault/reset")

    def fetches(self) -> int:
        runs = Path(f"{self.program}.runs")
        return len(runs.read_text().splitlines()) if runs.exists() else 0


class STSDelivery(Delivery):
    name = "sts"
    origins = ("hop 1 'assume-role'", "AssumeRole", "GetCallerIdentity")

    def __init__(self, *args):
        super().__init__(*args)
        role, user = self.chain.roles[0], self.chain.user
        self.sandbox.write_config(
            f"[profile {PROFILE}]\nrole_arn = {role.arn}\nsource_profile = base\n"
            f"role_session_name = {self.chain.sessions[0]}\nregion = {REGION}\n")
        self.sandbox.write_credentials(
            f"[base]\naws_access_key_id = {user.access_key_id}\naws_secret_access_key = {user.secret_access_key}\n")

    def load(self, case: Case) -> None:
        values = {**GOOD, **case.fields}
        self.sts.plan("AssumeRole",
                      {"status": 200, "result": assume_role_result(values), "repeat": True},
                      {"action": "GetCallerIdentity", "status": 200, "result": caller_result(values["CallerArn"]),
                       "repeat": True})

    def load_good(self) -> None:
        self.sts.request("POST", "/_fault/reset")  # every request goes to moto

    def fetches(self) -> int:
        return sum(1 for entry in self.sts.log() if entry["action"] == "AssumeRole")


class IMDSDelivery(Delivery):
    name = "imds"
    origins = ("source 'imds'", "instance metadata service", "'/latest/")

    def __init__(self, *args):
        super().__init__(*args)
        self.sandbox.write_config(
            f"[profile {PROFILE}]\ncredential_source = Ec2InstanceMetadata\nregion = {REGION}\n")

    def environment(self, cache: str) -> dict[str, str]:
        return {**super().environment(cache), "AWS_EC2_METADATA_DISABLED": "false",
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.imds.url, "AWS_METADATA_SERVICE_TIMEOUT": "2"}

    def load(self, case: Case) -> None:
        values = {**GOOD, **case.fields}
        self.imds.request("POST", "/_emulator/credentials", {
            "role": values["role"], "AccessKeyId": values["AccessKeyId"],
            "SecretAccessKey": values["SecretAccessKey"], "Token": values["SessionToken"],
            "Expiration": values["Expiration"]})
        self.imds.request("POST", "/_emulator/facts", {"listing": values.get("listing"),
                                                       "instance-id": values["instance-id"],
                                                       "region": values["region"]})
        self.answer_whoami(GOOD["CallerArn"])

    def load_good(self) -> None:
        self.load(Case("good", {}))

    def fetches(self) -> int:
        return sum(1 for method, path, _, status in self.imds.requests()
                   if method == "GET" and path.startswith("/latest/meta-data/iam/security-credentials/")
                   and path != "/latest/meta-data/iam/security-credentials/" and status == 200)


DELIVERIES = {"process": ProcessDelivery, "sts": STSDelivery, "imds": IMDSDelivery}

# Without an identity for the machine, IMDS sessions are not cached (plugins/imds/README.md).
IMDS_CACHES = any(Path(path).is_file() and Path(path).read_text().strip()
                  for path in ("/etc/machine-id", "/sys/devices/virtual/dmi/id/board_asset_tag",
                               "/sys/hypervisor/uuid"))

# -- the paths ----------------------------------------------------------------------------------------------------

NAMES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
         "AWS_CREDENTIAL_EXPIRATION", "AWS_ELEVATE_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION")

# Runs in bash and in `zsh -f` alike, in the sandbox root. The shell starts with a state to keep; then, each in a
# subshell, `eval "$(aws-elevate env …)"` as the README shows it (with AWS_ELEVATE_CACHE=none: a fresh fetch) and
# `elevate` (with the file cache). After each, every set variable goes into a file of its own name: its state
# (x exported, s set) and then its bytes.
SHELL_SCRIPT = f"""
. "$FUNCTIONS"
dump() {{
    mkdir "$OUT/$1" || exit 90
    for __n in {' '.join(NAMES)}; do
        __st=$(__aws_elevate_state "$__n")
        if [ -n "$__st" ]; then eval "printf '%s%s' \\"\\$__st\\" \\"\\${{$__n}}\\"" >"$OUT/$1/$__n"; fi
    done
}}
AWS_ACCESS_KEY_ID=AKIDBEFORE; export AWS_ACCESS_KEY_ID
AWS_SECRET_ACCESS_KEY='secret before'; export AWS_SECRET_ACCESS_KEY
AWS_SECURITY_TOKEN=legacy-token; export AWS_SECURITY_TOKEN
AWS_REGION=region-before
unset AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_ELEVATE_PROFILE AWS_DEFAULT_REGION
dump before
(
    text=$(AWS_ELEVATE_CACHE=none aws-elevate env --profile {PROFILE} --shell "$SHELL_NAME" 2>"$OUT/env.err")
    printf '%s' "$?" >"$OUT/env.rc"
    printf '%s' "$text" >"$OUT/env.out"
    eval "$text"
    dump env
)
(
    elevate {PROFILE} 2>"$OUT/elevate.err"
    printf '%s' "$?" >"$OUT/elevate.rc"
    dump elevate
)
"""


@dataclass
class ShellRun:
    result: Result
    before: dict[str, bytes]
    env: Result
    env_variables: dict[str, bytes]
    elevate_status: int
    elevate_err: bytes
    elevate_variables: dict[str, bytes]


def run_shell(delivery: Delivery, shell_name: str, shell_path: str) -> ShellRun:
    sandbox = delivery.sandbox
    out = sandbox.root / f"out-{shell_name}"
    out.mkdir()
    argv = ["--norc", "--noprofile"] if shell_name == "bash" else ["-f"]
    result = sandbox.run(*argv, "-c", SHELL_SCRIPT, program=shell_path, env={
        **delivery.environment("file"), "FUNCTIONS": str(FUNCTIONS), "OUT": str(out), "SHELL_NAME": shell_name,
        "PATH": f"{sandbox.binary.parent}:{os.environ['PATH']}"})
    assert result.returncode == 0 and result.stderr == b"", result

    def variables(name: str) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in (out / name).iterdir()}

    env_argv = ["env", "--profile", PROFILE, "--shell", shell_name, f"(in {shell_name})"]
    env = Result(env_argv, int((out / "env.rc").read_text()), (out / "env.out").read_bytes(),
                 (out / "env.err").read_bytes())
    return ShellRun(result, variables("before"), env, variables("env"), int((out / "elevate.rc").read_text()),
                    (out / "elevate.err").read_bytes(), variables("elevate"))


def exported_values(want: Expected) -> dict[str, bytes]:
    """The variables `eval "$(aws-elevate env …)"` leaves when it gives `want` back (AWS_SECURITY_TOKEN is not
    one of env's; `elevate` unsets it)."""
    document = want.document
    return {
        "AWS_ACCESS_KEY_ID": b"x" + document["AccessKeyId"].encode(),
        "AWS_SECRET_ACCESS_KEY": b"x" + document["SecretAccessKey"].encode(),
        "AWS_SESSION_TOKEN": b"x" + document["SessionToken"].encode(),
        "AWS_SECURITY_TOKEN": b"xlegacy-token",
        "AWS_CREDENTIAL_EXPIRATION": b"x" + document["Expiration"].encode(),
        "AWS_ELEVATE_PROFILE": b"x" + PROFILE.encode(),
        "AWS_REGION": b"x" + REGION.encode(),
        "AWS_DEFAULT_REGION": b"x" + REGION.encode(),
    }


# -- the checks ---------------------------------------------------------------------------------------------------


def assert_refused(result: Result, delivery: Delivery, case: Case, path: str) -> None:
    """Exit 1, nothing on stdout, exactly one stderr line in the contract's form that names the origin and no
    secret of the case."""
    where = f"{case.id} via {delivery.name}, {path}"
    assert result.returncode == 1, f"{where}: {result!r}"
    assert result.stdout == b"", f"{where}: {result!r}"
    stderr = result.stderr
    assert stderr.endswith(b"\n") and stderr.count(b"\n") == 1, f"{where}: not one line: {stderr!r}"
    line = stderr[:-1]
    assert all(byte >= 0x20 and byte != 0x7F for byte in line), f"{where}: a control byte in {line!r}"
    assert len(line) < 1024, f"{where}: a line of {len(line)} bytes is not a clear message"
    text = line.decode("utf-8")  # strict: the line is UTF-8
    assert "\u2028" not in text and "\u2029" not in text, f"{where}: a line separator in {text!r}"
    assert text.startswith(f"aws-elevate: profile '{PROFILE}': "), f"{where}: {text!r}"
    assert f" {EM_DASH} " in text, f"{where}: no remedy in {text!r}"
    assert any(origin in text for origin in delivery.origins), f"{where}: the origin is not named: {text!r}"
    for name in SECRET_FIELDS:
        value = case.fields.get(name)
        if value is not None and len(value) >= 4:
            data = value.encode("utf-8", "surrogateescape" if case.raw_bytes else "surrogatepass")
            assert data not in stderr, f"{where}: {name} is shown: {text!r}"


def assert_gives_back(result: Result, want: Expected, where: str) -> dict:
    assert result.returncode == 0, f"{where}: {result!r}"
    assert result.stderr == b"", f"{where}: {result!r}"
    assert result.stdout.endswith(b"\n") and result.stdout.count(b"\n") == 1, f"{where}: {result!r}"
    document = json.loads(result.stdout)
    assert document == want.document, f"{where}: {result!r}"
    return document


def assert_nothing_cached(delivery: Delivery, case: Case, where: str) -> None:
    sandbox = delivery.sandbox
    assert entry_files(sandbox) == [], f"{where}: a refused session was cached"
    listing = sandbox.run("cache", "list", env=delivery.environment("file"))
    assert listing.returncode == 0 and listing.stdout == b"no cached sessions\n", f"{where}: {listing!r}"
    needles = [value for value in case.fields.values() if len(value) >= 8 and "\x00" not in value
               and printable_word(value, 1 << 20)]
    assert files_containing([sandbox.home], needles) == [], f"{where}: a refused value was written to a file"


PARAMS = [pytest.param(name, case, id=f"{name}-{case.id}") for case in CASES for name in DELIVERIES
          if name in case.deliveries]


class Checks:
    """Runs each path's checks and keeps what fails, so that one report shows every path a case breaks."""

    def __init__(self, sandbox, where: str):
        self.sandbox, self.where, self.problems = sandbox, where, []

    @contextmanager
    def path(self, name: str):
        try:
            yield
        except AssertionError as error:
            self.problems.append(f"{self.where}, {name}: {error}")
        found = sorted(str(path) for path in self.sandbox.root.rglob(f"*{CANARY}*"))
        if found:
            self.problems.append(f"{self.where}, {name}: a value ran as code: {found}")
            for path in found:
                Path(path).unlink()

    def verdict(self) -> None:
        assert not self.problems, "\n\n".join(self.problems)


@pytest.mark.parametrize("delivery_name, case", PARAMS)
def test_a_hostile_value_is_refused_in_one_line_or_given_back_byte_for_byte(
        sandbox, sts_peer, imds_peer, good_chain, bash, zsh, delivery_name, case):
    delivery = DELIVERIES[delivery_name](sandbox, sts_peer, imds_peer, good_chain)
    delivery.load(case)
    want = expected(case, delivery.name)
    where = f"{case.id} via {delivery.name}"
    checks = Checks(sandbox, where)

    # credential-process, with the file cache: a fresh fetch, then (STS, IMDS) a cache hit.
    with checks.path("credential-process"):
        first = sandbox.run("credential-process", "--profile", PROFILE, env=delivery.environment("file"))
        fetched = delivery.fetches()
        if want is None:
            assert_refused(first, delivery, case, "credential-process")
            assert_nothing_cached(delivery, case, where)
        else:
            assert_gives_back(first, want, f"{where}, credential-process")
            cached = delivery.caches_alone and (delivery.name != "imds" or IMDS_CACHES)
            assert len(entry_files(sandbox)) == (1 if cached else 0), where
            again = sandbox.run("credential-process", "--profile", PROFILE, env=delivery.environment("file"))
            assert_gives_back(again, want, f"{where}, credential-process again")
            assert delivery.fetches() == fetched + (0 if cached else 1), f"{where}: the second run was not a hit"

    # env evaluated by real bash and zsh, and the elevate function in each.
    for shell_name, shell_path in (("bash", bash), ("zsh", zsh)):
        with checks.path(f"env and elevate in {shell_name}"):
            run = run_shell(delivery, shell_name, shell_path)
            if want is None:
                assert_refused(run.env, delivery, case, f"env --shell {shell_name}")
                assert run.env_variables == run.before, f"{where}: eval of a refused env changed the shell"
                elevate = Result([f"elevate in {shell_name}"], run.elevate_status, b"", run.elevate_err)
                assert_refused(elevate, delivery, case, f"elevate in {shell_name}")
                assert run.elevate_variables == run.before, f"{where}: a refused elevate changed the variables"
            else:
                assert run.env.returncode == 0 and run.env.stderr == b"", f"{where}: {run.env!r}"
                values = exported_values(want)
                assert run.env_variables == values, f"{where}: env"
                values.pop("AWS_SECURITY_TOKEN")
                assert (run.elevate_status, run.elevate_err) == (0, b""), f"{where}: elevate"
                assert run.elevate_variables == values, f"{where}: elevate"

    # whoami: the chain's credentials sign a GetCallerIdentity, whose Arn it prints.
    with checks.path("whoami"):
        whoami = sandbox.run("whoami", "--profile", PROFILE, env=delivery.environment("file"))
        if want is None or want.whoami is None:
            assert_refused(whoami, delivery, case, "whoami")
        else:
            assert whoami.returncode == 0 and whoami.stderr == b"", f"{where}: {whoami!r}"
            assert whoami.stdout == want.whoami.encode() + b"\n", f"{where}: {whoami!r}"

    if want is None:
        with checks.path("the cache after every path, then a good peer"):
            assert_nothing_cached(delivery, case, where)
            refused_then_good_peer(delivery, case, where)
    checks.verdict()


def refused_then_good_peer(delivery: Delivery, case: Case, where: str) -> None:
    """After a refusal, a good peer's session is fetched afresh and cached (for the process source, a chain of
    the program and a hop is cached; the program alone is not)."""
    sandbox = delivery.sandbox
    profile = PROFILE if delivery.caches_alone else f"{PROFILE}-chain"
    if not delivery.caches_alone:
        refused = sandbox.run("credential-process", "--profile", profile, env=delivery.environment("file"))
        assert refused.returncode == 1 and refused.stdout == b"", f"{where}, {profile}: {refused!r}"
        assert entry_files(sandbox) == [], f"{where}: a chain from a refused source was cached"
    delivery.load_good()
    before = delivery.fetches()
    good = sandbox.run("credential-process", "--profile", profile, env=delivery.environment("file"))
    assert good.returncode == 0 and good.stderr == b"", f"{where}, good peer: {good!r}"
    document = json.loads(good.stdout)
    if delivery.name == "imds":
        assert document["SecretAccessKey"] == GOOD["SecretAccessKey"], where
    else:
        assert document["AccessKeyId"].startswith("ASIA") and document["AccessKeyId"] != GOOD["AccessKeyId"], where
    assert delivery.fetches() == before + 1, f"{where}: the good peer was not asked"
    cached = delivery.name != "imds" or IMDS_CACHES
    assert len(entry_files(sandbox)) == (1 if cached else 0), f"{where}: the good session"


def test_the_corpus_holds_what_the_issue_names():
    """The generator keeps its promise: quote-hiding marks, code that would run, control characters, long values,
    and valid printable values that must be accepted."""
    values = [value for case in CASES for value in case.fields.values()]
    for needle in ("'\u0301", "'\u200d", "'\ufe0f", "$(", "`", "\\", '"', "\r", "\n", "\u2028", "\x00", "\x1b["):
        assert any(needle in value for value in values), needle
    assert any(len(value) >= 200_000 for value in values) and any(len(value) == 20_000 for value in values)
    accepted = [case for case in CASES if expected(case, "process") is not None]
    refused = [case for case in CASES if expected(case, "process") is None]
    assert len(accepted) >= 20 and len(refused) >= 40, (len(accepted), len(refused))
    assert len({case.id for case in CASES}) == len(CASES)
