"""No injection: whatever a value contains (shell metacharacters, newlines, unicode
lookalikes, over-long names, option-like names), every command-building function either
refuses it with its own error or the *shell itself* reads it back as exactly one argument.

The strongest check runs the built command through ``/bin/sh`` with the program replaced by
``printf '%s\\0'``, so what the remote shell would see is observed, not assumed.
"""

from __future__ import annotations

import json
import shlex
import string
import subprocess
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from labconsole.config import ConfigError, load_config
from labconsole.parse.ethtool import EthtoolParseError, ethtool_k_args
from labconsole.sources.kernel_stream import JournalResume, TailResume, strategy_for
from labconsole.sources.pve_api import PveApiSource
from labconsole.sources.remote_command import (
    CommandError,
    ethtool_driver,
    ethtool_features,
    join,
    link_show,
    nic_snapshot,
    split_snapshot,
    validate_iface,
)

LOOKALIKES = ["\u0435", "\u043e", "\uff1b", "\u037e", "\u2024", "\u2010", "\u00a0", "\u200b",
              "\u2028", "\uff04", "\u0131", "\u00e9", "\u0660"]
META = [";", "|", "&", "$", "`", "(", ")", "<", ">", "'", '"', "\\", "*", "?", "~", "#", "!",
        "{", "}", "[", "]", "\n", "\r", "\t", " ", "-", "="]
NASTY = st.text(alphabet=st.sampled_from([*string.ascii_letters[:6], *string.digits[:3],
                                          *META, *LOOKALIKES]), max_size=24)
NASTY_EXAMPLES = ["eno1;reboot", "eno1\nreboot", "$(reboot)", "eno1`id`", "a" * 16,
                  "eno1 eno2", "-eno1", "--help", "\u0435no1", "eno1\uff1breboot", "eno1\n",
                  "eno1\x00", "", "'", "eno1'$(id)'"]
IFACE_OK = r"[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]{0,14}"


def as_shell_words(command: str) -> list[str]:
    """What /bin/sh makes of ``command``: its words, via printf '%s\\0'."""
    out = subprocess.run(["sh", "-c", f"printf '%s\\0' {command}"], capture_output=True,
                         timeout=10, check=True)
    return out.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]


def valid_iface(name: str) -> bool:
    import re

    return re.fullmatch(IFACE_OK, name) is not None


# -- interface names --------------------------------------------------------------------------

@settings(max_examples=500, deadline=None)
@given(name=NASTY)
def test_validate_iface_accepts_exactly_the_safe_names(name: str) -> None:
    for value in (name, *NASTY_EXAMPLES):
        try:
            validate_iface(value)
        except CommandError:
            assert not valid_iface(value), value
        else:
            assert valid_iface(value), value


@pytest.mark.parametrize("build", [ethtool_features, ethtool_driver, link_show, nic_snapshot])
@settings(max_examples=150, deadline=None)
@given(name=NASTY)
def test_iface_commands_refuse_or_quote(build: object, name: str) -> None:
    for value in (name, *NASTY_EXAMPLES):
        try:
            command = build(value)  # type: ignore[operator]
        except CommandError:
            assert not valid_iface(value)
            continue
        assert valid_iface(value)
        assert value in shlex.split(command.replace(";", " ; "))


@settings(max_examples=200, deadline=None)
@given(name=NASTY, changes=st.dictionaries(NASTY, st.booleans(), min_size=1, max_size=3))
def test_ethtool_k_args_refuse_bad_names(name: str, changes: dict[str, bool]) -> None:
    for device in (name, *NASTY_EXAMPLES):
        try:
            argv = ethtool_k_args(device, changes)
        except EthtoolParseError:
            continue
        assert valid_iface(device) and argv[:3] == ["ethtool", "-K", device]
        for word in argv[3:]:
            assert word.isascii() and word.strip() == word and word
            assert not set(word) & set("".join(META).replace("-", ""))


# -- the shell sees one argument --------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(value=st.text(alphabet=st.sampled_from([*META, *LOOKALIKES, "a", "x"]), max_size=30))
@example(value="$(touch /nonexistent/pwned)")
@example(value="`id`; echo pwned")
@example(value="a\nb")
def test_join_output_is_one_word_per_argument_for_the_real_shell(value: str) -> None:
    command = join(["--flag", value, "last"])
    assert as_shell_words(command) == ["--flag", value, "last"]


def test_join_refuses_nul_and_non_strings() -> None:
    with pytest.raises(CommandError):
        join(["echo", "a\x00b"])
    with pytest.raises(CommandError):
        join(["echo", 5])  # type: ignore[list-item]
    with pytest.raises(CommandError):
        join([])


def test_nic_snapshot_runs_as_three_commands_and_splits_back(tmp_path: Path) -> None:
    """The one place that joins commands with ';': each part is quoted by join()."""
    command = nic_snapshot("eno1")
    fake = tmp_path / "bin"
    fake.mkdir()
    for prog in ("ethtool", "ip"):
        script = fake / prog
        script.write_text('#!/bin/sh\nprintf "%s|" "$0" "$@"; echo\n')
        script.chmod(0o755)
    out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=10,
                         env={"PATH": f"{fake}:/usr/bin:/bin"}, check=True).stdout
    parts = split_snapshot(out)
    assert parts["features"].endswith("|-k|eno1|\n")
    assert parts["driver"].endswith("|-i|eno1|\n")
    assert parts["link"].endswith("|-j|link|show|dev|eno1|\n")


# -- values that come from the node: journal cursors, tail positions -------------------------

@settings(max_examples=80, deadline=None)
@given(cursor=st.text(max_size=60).filter(lambda c: "\x00" not in c))
@example(cursor="s=1;b=2'; reboot; echo '")
@example(cursor="$(reboot)")
def test_journal_cursor_from_a_log_line_stays_one_argument(cursor: str) -> None:
    strategy = JournalResume(["journalctl", "-k", "-f", "-o", "json"])
    strategy.accept(json.dumps({"__CURSOR": cursor, "MESSAGE": "x"}))
    words = shlex.split(strategy.command())
    assert words[-2:] == [f"--after-cursor={cursor}", "--no-tail"]
    assert words[:-2] == ["journalctl", "-k", "-f", "-o", "json"]


def test_journal_cursor_through_the_real_shell() -> None:
    strategy = JournalResume(["journalctl", "-o", "json"])
    strategy.accept(json.dumps({"__CURSOR": "x'; touch pwned; echo '$(id)`id`"}))
    words = as_shell_words(strategy.command().replace("journalctl", "", 1))
    assert words == ["-o", "json", "--after-cursor=x'; touch pwned; echo '$(id)`id`", "--no-tail"]


@settings(max_examples=60, deadline=None)
@given(path=st.text(alphabet=st.sampled_from([*META, "a", "/"]), min_size=1, max_size=20),
       seen=st.integers(0, 10**6))
def test_tail_resume_keeps_a_configured_path_one_argument(path: str, seen: int) -> None:
    strategy = TailResume(["tail", "-n", "+1", "-F", path])
    strategy.seen = seen
    assert shlex.split(strategy.command()) == ["tail", "-n", f"+{1 + seen}", "-F", path]


@settings(max_examples=100, deadline=None)
@given(command=st.text(alphabet=st.sampled_from([*META, "a", "b", "/"]), max_size=40))
def test_configured_kernel_command_is_never_passed_as_raw_shell(command: str) -> None:
    """The operator's kernel_log_command is split into words and re-quoted: a ';' or '$(..)'
    in it is an argument, not shell syntax."""
    try:
        strategy = strategy_for(command)
    except CommandError:
        return
    assert shlex.split(strategy.command())[: len(shlex.split(command))] == shlex.split(command)


# -- config: every name-like value is validated -----------------------------------------------

def _config(tmp_path: Path, **node: object) -> Path:
    body = {"name": "pve01", "address": "10.0.0.11", **node}
    lines = ["[[clusters]]", 'name = "lab"', "[[clusters.nodes]]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in body.items()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SAFE_TEXT = NASTY.filter(lambda s: all(not 0xD800 <= ord(c) <= 0xDFFF for c in s))


@settings(max_examples=150, deadline=None)
@given(value=SAFE_TEXT)
@example(value="-eno1")
@example(value="\u0435no1")
@example(value="eno1\n")
def test_config_interface_names_are_validated(tmp_path_factory: pytest.TempPathFactory,
                                               value: str) -> None:
    path = _config(tmp_path_factory.mktemp("c"), interfaces=[value], bridge=value)
    try:
        config = load_config(path)
    except ConfigError as exc:
        assert not valid_iface(value)
        assert any(p.key.startswith("clusters[0].nodes[0].") for p in exc.problems)
        return
    assert valid_iface(value) and config.nodes[0].interfaces == (value,)
    validate_iface(value)  # what the config accepts, the command builders accept


@settings(max_examples=150, deadline=None)
@given(value=SAFE_TEXT)
@example(value="pve01;reboot")
@example(value="pve\u043e1")
@example(value="a" * 64)
def test_config_node_names_and_addresses_are_validated(
        tmp_path_factory: pytest.TempPathFactory, value: str) -> None:
    path = _config(tmp_path_factory.mktemp("c"), name=value or "x", address=value)
    try:
        config = load_config(path)
    except ConfigError:
        return
    node = config.nodes[0]
    for text in (node.name, node.address):
        assert text.isascii() and not set(text) & set(";|&$`()<>'\"\\ \n\r\t*?~#!{}[]=")


@settings(max_examples=200, deadline=None)
@given(name=NASTY)
@example(name="pve\u043e1")
@example(name="\uff50ve01")
@example(name="pve01/../../access")
def test_api_node_names_in_url_paths_are_ascii_labels(name: str) -> None:
    try:
        PveApiSource("127.0.0.1", "root@pam!t", "s", nodes=[name])
    except CommandError:
        return
    assert name.isascii() and name.replace("-", "").isalnum() and len(name) <= 63
