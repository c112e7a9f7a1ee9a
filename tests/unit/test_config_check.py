"""``labconsole check``: OK line, one line per problem, where it looked; exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_config.toml"


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("LABCONSOLE_CONFIG", raising=False)


def test_sample_is_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", str(SAMPLE)]) == 0
    assert capsys.readouterr().out == f"OK: {SAMPLE}: 1 cluster, 3 nodes\n"


def test_env_variable_is_used(monkeypatch: pytest.MonkeyPatch, fixtures: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    path = fixtures / "config" / "two_clusters.toml"
    monkeypatch.setenv("LABCONSOLE_CONFIG", str(path))
    assert main(["check"]) == 0
    assert capsys.readouterr().out == f"OK: {path}: 2 clusters, 3 nodes\n"


def test_every_problem_one_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[syslog]\nport = 99999\n[[clusters]]\nname = "lab"\n[[clusters.nodes]]\n'
                   'name = "pve01"\nadres = "10.0.0.1"\n')
    assert main(["check", "--config", str(bad)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{bad}: syslog.port: port 99999 is out of range 1-65535",
        f"{bad}: clusters[0].nodes[0].adres: unknown key (did you mean 'address'?)",
        f"{bad}: clusters[0].nodes[0].address: missing required key",
    ]


def test_syntax_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[syslog\nport = 1\n")
    assert main(["check", "--config", str(bad)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{bad}: line 1, column 8: invalid TOML: ")


def test_missing_explicit_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", str(tmp_path / "nope.toml")]) == 1
    assert capsys.readouterr().out == f"{tmp_path / 'nope.toml'}: no such file\n"


def test_no_config_anywhere_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "no configuration found; looked at:" in err
    assert "--config: not given" in err and "$LABCONSOLE_CONFIG: not set" in err
    assert f"{tmp_path / 'xdg' / 'labconsole' / 'config.toml'}: no such file" in err
