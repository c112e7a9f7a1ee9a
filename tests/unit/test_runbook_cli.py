"""``labconsole runbook list|validate|show``: offline, contacts nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.cli import main


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LABCONSOLE_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def test_list_shows_bundled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runbook", "list"]) == 0
    out = capsys.readouterr().out
    assert "e1000e-tx-hang" in out and "node-left-cluster" in out


def test_validate_names_file_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\ntitle = "x"\n[[steps]]\nid = "a"\nkind = "check"\n'
                   'title = "a"\ncommand = ["ethtool", "{nope}"]\n')
    assert main(["runbook", "validate", str(bad)]) == 1
    assert f"{bad}: steps[0].command:" in capsys.readouterr().out


def test_show_prints_the_exact_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runbook", "show", "e1000e-tx-hang", "--node", "pve03", "--iface", "eno1",
                 "--since", "2025-11-08T06:17:00+00:00",
                 "--until", "2025-11-08T06:21:00+00:00"]) == 0
    out = capsys.readouterr().out
    assert "ethtool -K eno1 tso off gso off gro off" in out
    assert "--since '2025-11-08 06:17:00 UTC' --until '2025-11-08 06:21:00 UTC'" in out


def test_show_refuses_a_bad_interface(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runbook", "show", "e1000e-tx-hang", "--node", "pve03",
                 "--iface", "eno1;reboot"]) == 2
    assert "invalid interface name" in capsys.readouterr().err
