"""``labconsole runbook show``: every command (``<iface>`` and one 'pass --iface' line when no
interface is known), every note's text, and the persist step's change."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.cli import main


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("LABCONSOLE_CONFIG", raising=False)


def test_without_an_interface_every_command_is_shown_and_the_option_named_once(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runbook", "show", "e1000e-tx-hang", "--node", "pve03"]) == 0
    out = capsys.readouterr().out
    assert out.count("pass --iface NAME") == 1
    assert "cannot build" not in out
    assert "on node: ethtool -K <iface> tso off gso off gro off" in out


def test_notes_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runbook", "show", "node-left-cluster", "--node", "pve03",
                 "--iface", "eno1"]) == 0
    out = capsys.readouterr().out
    note = out[out.index("[note] Next"):]
    assert "Link down: check cable and switch port." in note


def test_persist_change_offline_is_the_line_it_adds(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[syslog]\nenabled = false\n[[clusters]]\nname = "lab"\n'
                      '[[clusters.nodes]]\nname = "pve03"\naddress = "10.0.0.3"\n'
                      'interfaces = ["eno1"]\nbridge = "vmbr0"\n')
    assert main(["runbook", "show", "e1000e-tx-hang", "--node", "pve03", "--offline",
                 "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "node pve03, iface eno1 (from the config)" in out
    assert ("change: in the vmbr0 stanza of /etc/network/interfaces (the one that carries "
            "eno1), add one line:\n          post-up /sbin/ethtool -K eno1 tso off gso off "
            "gro off\n      (not read from the node: --offline)") in out
