"""``labconsole completion``: scripts generated from the parser; the bash one run in real bash."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from labconsole.cli import main


def _script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize(("words", "expected"), [
    (["ch"], "check"),
    (["check", "--co"], "--config --connect"),
    (["runbook", "s"], "show"),
    (["runbook", "show", "--off"], "--offline"),
    (["completion", "--h"], "--help"),
])
def test_bash_completes_subcommands_actions_and_options(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], words: list[str],
        expected: str) -> None:
    script = tmp_path / "labconsole.bash"
    script.write_text(_script("bash", capsys))
    line = " ".join(["labconsole", *words])
    probe = (f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; _labconsole; "
             'echo "${COMPREPLY[*]}"')
    out = subprocess.run(["bash", "--norc", "-c", probe], capture_output=True, text=True,
                         timeout=20, check=True).stdout.strip()
    assert out == expected


def test_zsh_and_fish_scripts_name_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    zsh = _script("zsh", capsys)
    assert zsh.startswith("#compdef labconsole\n") and "bashcompinit" in zsh
    fish = _script("fish", capsys)
    for name in ("run", "replay", "scan", "check", "report", "runbook", "completion"):
        assert f"-a {name} -d " in fish
    assert "__fish_seen_subcommand_from check' -l connect" in fish
