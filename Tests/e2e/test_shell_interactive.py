"""shell/aws-elevate.sh in interactive bash and zsh, driven under tmux (send-keys, capture-pane): the refresh hook
renewing a level near expiry, `elevate <TAB>` completing profile names (hostile ones inserted quoted, nothing run),
the lazily loaded completion of aws-elevate itself, and `eval "$(aws-elevate shell-init …)"` run twice next to an
existing PROMPT_COMMAND / precmd_functions / preexec_functions that keep running once per prompt."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from harness import REPO

FUNCTIONS = REPO / "shell" / "aws-elevate.sh"
HOSTILE = "x$(touch canary)"


class Terminal:
    """One shell in a detached tmux session of its own server (socket in a short temporary directory)."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path):
        tmux = shutil.which("tmux")
        if tmux is None:
            pytest.fail("tmux is not installed: run `make deps`", pytrace=False)
        self.directory = tempfile.mkdtemp(prefix="tmx", dir="/tmp")
        self.base = [tmux, "-S", os.path.join(self.directory, "s"), "-f", "/dev/null"]
        subprocess.run([*self.base, "new-session", "-d", "-x", "160", "-y", "40", "-s", "t", "--", *argv],
                       env=env, cwd=cwd, check=True, timeout=10)

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", "-t", "t", *keys], check=True, timeout=10)

    def type(self, text: str) -> None:
        subprocess.run([*self.base, "send-keys", "-t", "t", "-l", text], check=True, timeout=10)

    def run(self, line: str) -> None:
        self.type(line)
        self.keys("Enter")

    def screen(self) -> str:
        return subprocess.run([*self.base, "capture-pane", "-p", "-J", "-t", "t", "-S", "-200"], check=True,
                              capture_output=True, timeout=10).stdout.decode(errors="replace")

    def wait_for(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear on the screen:\n{screen}")
            time.sleep(0.03)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_shell(sandbox, shell_name: str, rc: str) -> Terminal:
    """An interactive bash or zsh reading `rc` as its startup file, with aws-elevate on PATH."""
    env = sandbox.environment({"PATH": f"{sandbox.binary.parent}:{os.environ['PATH']}", "TERM": "xterm",
                               "FUNCTIONS": str(FUNCTIONS)})
    if shell_name == "bash":
        (sandbox.home / ".bashrc").write_text("PS1='$ '\n" + rc)
        argv = [shutil.which("bash"), "--noprofile", "--rcfile", str(sandbox.home / ".bashrc"), "-i"]
    else:
        (sandbox.home / ".zshrc").write_text("PS1='%% '\n" + rc)
        env["ZDOTDIR"] = str(sandbox.home)
        argv = [shutil.which("zsh"), "-d", "-i"]
    terminal = Terminal(argv, env, sandbox.root)
    terminal.run("echo RE''ADY")
    terminal.wait_for("READY")
    return terminal


@pytest.fixture
def terminals():
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


def done(terminal: Terminal, marker: str) -> str:
    """Runs an echo of marker after what was typed and waits for its output (the typed line holds it split)."""
    terminal.run(f"echo {marker[:2]}''{marker[2:]}")
    return terminal.wait_for("\n" + marker)


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_refresh_near_expiry_renews_the_top_level_before_the_next_command(sandbox, shell_name, terminals):
    sandbox.write_config("[profile base]\n[profile one]\n")
    sandbox.write_credentials("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = b\n"
                              "[one]\naws_access_key_id = AKIDONE\naws_secret_access_key = s\n")
    terminal = start_shell(sandbox, shell_name, '. "$FUNCTIONS"\n')
    terminals.append(terminal)
    terminal.run("elevate base && elevate one")
    done(terminal, "ELEVATED")
    # Not due: 20 minutes left; the changed file is not read.
    sandbox.write_credentials("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = b\n"
                              "[one]\naws_access_key_id = AKIDRENEWED\naws_secret_access_key = s\n")
    terminal.run("__aws_elevate_x2=$((EPOCHSECONDS + 1230)); __aws_elevate_x1=$((EPOCHSECONDS + 630))")
    terminal.run('echo "K1=$AWS_ACCESS_KEY_ID $(aws_elevate_prompt)"')
    terminal.wait_for("K1=AKIDONE [one 20m +1]")
    # Due: 2 minutes left (the clock faked through the recorded expiration).
    terminal.run("__aws_elevate_x2=$((EPOCHSECONDS + 120))")
    terminal.run('echo "K2=$AWS_ACCESS_KEY_ID x=${__aws_elevate_x2-none} $(aws_elevate_prompt)"')
    terminal.wait_for("K2=AKIDRENEWED x=none [one +1]")
    # The saved level below is untouched.
    terminal.run('unelevate; echo "K3=$AWS_ACCESS_KEY_ID $(aws_elevate_prompt)"')
    terminal.wait_for("K3=AKIDBASE [base 10m]")


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_elevate_tab_completes_profile_names_and_inserts_hostile_ones_quoted(sandbox, shell_name, terminals):
    sandbox.write_credentials(f"[admin-chain]\naws_access_key_id = AKIDADMIN\naws_secret_access_key = s\n"
                              f"[{HOSTILE}]\naws_access_key_id = AKIDHOSTILE\naws_secret_access_key = s\n"
                              "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s\n")
    # zsh: compinit after the functions are loaded: the completion is registered at the first prompt.
    rc = ('eval "$(aws-elevate shell-init bash)"\n' if shell_name == "bash" else
          'eval "$(aws-elevate shell-init zsh)"\nautoload -Uz compinit && compinit -u -D\n')
    terminal = start_shell(sandbox, shell_name, rc)
    terminals.append(terminal)
    terminal.type("elevate adm")
    terminal.keys("Tab")
    terminal.wait_for("elevate admin-chain")
    terminal.keys("C-u")
    terminal.type("elevate x")
    terminal.keys("Tab")
    terminal.wait_for("elevate x\\$\\(touch\\ canary\\)")
    terminal.keys("Enter")
    terminal.run('echo "P=$AWS_ELEVATE_PROFILE K=$AWS_ACCESS_KEY_ID"')
    terminal.wait_for(f"P={HOSTILE} K=AKIDHOSTILE")
    # The command's own completion, from swift-argument-parser's script, loaded on first use.
    terminal.keys("C-u")
    terminal.type("aws-elevate shell-i")
    terminal.keys("Tab")
    terminal.wait_for("aws-elevate shell-init")
    terminal.keys("C-u")
    done(terminal, "FINISHED")
    assert not (sandbox.root / "canary").exists()


@pytest.mark.parametrize("form", ["string", "array"])
def test_bash_shell_init_twice_keeps_prompt_command_running_once_with_its_status(sandbox, form, terminals):
    sandbox.write_config("[profile one]\n")
    sandbox.write_credentials("[one]\naws_access_key_id = AKIDONE\naws_secret_access_key = s\n")
    existing = ("PROMPT_COMMAND='echo \"pc $?\" >>\"$HOME/pc.log\"'" if form == "string" else
                "PROMPT_COMMAND=('echo \"pc $?\" >>\"$HOME/pc.log\"' 'echo second >>\"$HOME/pc.log\"')")
    rc = existing + '\neval "$(aws-elevate shell-init bash)"\neval "$(aws-elevate shell-init bash)"\n'
    terminal = start_shell(sandbox, "bash", rc)
    terminals.append(terminal)
    terminal.run("false")
    terminal.run("elevate one")
    terminal.run("(exit 3)")
    done(terminal, "FINISHED")
    log = (sandbox.home / "pc.log").read_text().splitlines()
    # Prompts: the first, after `echo READY`, false, elevate, (exit 3), echo FINISHED.
    expected = ["pc 0", "pc 0", "pc 1", "pc 0", "pc 3", "pc 0"]
    if form == "array":
        expected = [line for entry in expected for line in (entry, "second")]
    assert log == expected
    terminal.run("declare -p PROMPT_COMMAND | grep -o __aws_elevate_hook | wc -l | sed 's/^/hooks=/'")
    terminal.wait_for("hooks=1")


def test_zsh_shell_init_twice_keeps_precmd_and_preexec_functions_running_once(sandbox, terminals):
    sandbox.write_config("[profile one]\n")
    sandbox.write_credentials("[one]\naws_access_key_id = AKIDONE\naws_secret_access_key = s\n")
    rc = ('mine_pre() { echo "pre $?" >>"$HOME/hooks.log"; }\nmine_cmd() { echo "cmd $?" >>"$HOME/hooks.log"; }\n'
          "preexec_functions=(mine_pre)\nprecmd_functions=(mine_cmd)\n"
          'eval "$(aws-elevate shell-init zsh)"\neval "$(aws-elevate shell-init zsh)"\n')
    terminal = start_shell(sandbox, "zsh", rc)
    terminals.append(terminal)
    terminal.run("false")
    terminal.run("elevate one")
    done(terminal, "FINISHED")
    log = (sandbox.home / "hooks.log").read_text().splitlines()
    # precmd: first prompt, after echo READY, false, elevate, echo FINISHED; preexec: before each command.
    assert log == ["cmd 0", "pre 0", "cmd 0", "pre 0", "cmd 1", "pre 1", "cmd 0", "pre 0", "cmd 0"]
    terminal.run('echo "n=${#preexec_functions} ${(j:,:)preexec_functions}"')
    terminal.wait_for("n=2 mine_pre,__aws_elevate_hook")


TRAPPED = ["export", "unset", "eval", "command", "printf", "local"]
OPTIONS = {"bash": "set -u -a -k", "zsh": "setopt KSH_ARRAYS SH_WORD_SPLIT NO_UNSET ALL_EXPORT"}


@pytest.mark.parametrize("shell_name", ["bash", "zsh"])
def test_interactive_aliases_named_like_builtins_and_options_do_not_change_the_functions(sandbox, shell_name,
                                                                                       terminals):
    sandbox.write_config("[profile one]\nregion = eu-west-3\n[profile two]\n")
    sandbox.write_credentials("[one]\naws_access_key_id = AKIDONE\naws_secret_access_key = s\n"
                              "[two]\naws_access_key_id = AKIDTWO\naws_secret_access_key = t\n")
    # The aliases exist when the functions are defined (an interactive shell expands them then).
    aliases = "".join(f"alias {name}='echo ALIAS-{name} >>\"$HOME/trap.log\"; false'\n" for name in TRAPPED)
    rc = aliases + OPTIONS[shell_name] + '\n. "$FUNCTIONS"\n'
    terminal = start_shell(sandbox, shell_name, rc)
    terminals.append(terminal)
    terminal.run("AWS_PROFILE=; builtin export AWS_PROFILE")
    terminal.run("elevate one && elevate two && elevate --switch one && elevate two")
    terminal.run('echo "S1=$AWS_ACCESS_KEY_ID ${AWS_PROFILE-unset} $AWS_REGION $(aws_elevate_prompt)"')
    terminal.wait_for("S1=AKIDTWO unset eu-west-3 [two +2]")
    terminal.run("unelevate && unelevate && unelevate")
    terminal.run('echo "S2=${AWS_ACCESS_KEY_ID-unset} [${AWS_PROFILE-unset}] $(aws_elevate_prompt)"')
    terminal.wait_for("S2=unset [] \n")
    terminal.run("unelevate")
    terminal.wait_for("this shell is not elevated")
    done(terminal, "FINISHED")
    assert not (sandbox.home / "trap.log").exists(), (sandbox.home / "trap.log").read_text()
