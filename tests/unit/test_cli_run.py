"""``labconsole`` / ``labconsole run`` / ``labconsole serve``: dispatch, live app, problems."""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from labconsole import cli
from labconsole.app import LabConsoleApp
from labconsole.commands import run as run_cmd
from labconsole.commands import serve as serve_cmd
from labconsole.model.hang import HangEpisode
from labconsole.runbook.executor import SshExecutor
from labconsole.runbook.session import RunbookLauncher, default_audit_path
from labconsole.screens.runbook import launcher_for
from labconsole.sources.ssh import SshPool
from labconsole.state.health import SourceHealth
from labconsole.widgets.status_bar import render_status

CONFIG = """
[syslog]
enabled = false

[[clusters]]
name = "lab"
[clusters.ssh]
key_file = "id_lab"
known_hosts = "known_hosts"
[clusters.proxmox]
host = "pve01.lab.test"
token_id = "labconsole@pve!console"
token_secret_env = "LC_TEST_SECRET_NEVER_SET"

[[clusters.nodes]]
name = "pve01"
address = "10.99.0.11"
interfaces = ["eno1"]
"""


def _config(tmp_path: Path, text: str = CONFIG) -> Path:
    for name in ("id_lab", "known_hosts"):
        (tmp_path / name).write_text("x\n")
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def _captured(monkeypatch: pytest.MonkeyPatch, module: object) -> list[argparse.Namespace]:
    seen: list[argparse.Namespace] = []

    def fake(args: argparse.Namespace) -> int:
        seen.append(args)
        return 7

    monkeypatch.setattr(module, "run", fake)
    return seen


@pytest.mark.parametrize("argv", [[], ["--speed", "0"], ["--paused", "--speed", "2.5"],
                                  ["run", "--speed", "0"]])
def test_bare_labconsole_takes_runs_options(monkeypatch: pytest.MonkeyPatch,
                                            argv: list[str]) -> None:
    seen = _captured(monkeypatch, run_cmd)
    assert cli.main(argv) == 7
    assert seen and seen[0].command == "run"
    if "--speed" in argv:
        assert seen[0].speed == float(argv[argv.index("--speed") + 1])
    assert seen[0].paused == ("--paused" in argv)


def test_version_and_help_are_not_sent_to_run(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert "labconsole" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "serve" in capsys.readouterr().out


def test_bad_option_for_bare_labconsole_is_an_argparse_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--speed", "-1"])
    assert exc.value.code == 2
    assert "speed must be >= 0" in capsys.readouterr().err


def test_live_app_is_built_from_the_config_and_carries_its_problems(tmp_path: Path) -> None:
    args = cli.build_parser().parse_args(["run", "--config", str(_config(tmp_path))])
    app = run_cmd.build_live_app(args.config, args)
    names = [s.name for s in app.pipeline.sources]
    assert any(isinstance(s, SshPool) for s in app.pipeline.sources)
    assert len(names) == len(set(names)) >= 3  # pool, quorum, kernel stream, NIC poller
    assert len(app.problems) == 1
    assert "Proxmox API disabled" in app.problems[0]
    assert "LC_TEST_SECRET_NEVER_SET" in app.problems[0]


def test_bad_config_stops_with_every_problem(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, CONFIG.replace('address = "10.99.0.11"', 'address = 5'))
    args = cli.build_parser().parse_args(["run", "--config", str(path)])
    assert run_cmd.run(args) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "address" in err


def test_missing_explicit_config_is_an_error_not_the_demo(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = cli.build_parser().parse_args(["run", "--config", str(tmp_path / "nope.toml")])
    assert run_cmd.run(args) == 2
    assert "nope.toml" in capsys.readouterr().err


def test_status_bar_shows_the_newest_problem_and_how_many_more() -> None:
    now = datetime(2025, 11, 8, 6, 19, tzinfo=timezone.utc)
    health = {"ssh:pve01": SourceHealth(name="ssh:pve01", state="connected", last_event=now)}
    text = render_status(health, now, recording=None, replay=None, errors=0,
                         problems=["cluster lab: Proxmox API disabled: x", "quorum: failed"])
    plain = text.plain
    assert "PROBLEM: quorum: failed (+1 more)" in plain
    assert plain.index("PROBLEM") < plain.index("ssh ✓ pve01")
    assert "PROBLEM" not in render_status(health, now, recording=None, replay=None,
                                          errors=0).plain


def test_serve_defaults_to_loopback_and_passes_run_options(tmp_path: Path) -> None:
    config = _config(tmp_path)
    args = cli.build_parser().parse_args(["serve", "--config", str(config), "--speed", "0",
                                          "--paused"])
    assert (args.host, args.port) == ("127.0.0.1", serve_cmd.DEFAULT_PORT)
    argv = shlex.split(serve_cmd.run_command(args))
    assert argv[:4] == [sys.executable, "-m", "labconsole", "run"]
    assert argv[argv.index("--config") + 1] == str(config.resolve())
    assert float(argv[argv.index("--speed") + 1]) == 0
    assert "--paused" in argv and "--demo" not in argv


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_serve_rejects_bad_ports(port: str) -> None:
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["serve", "--port", port])


RUNBOOK_CONFIG = """
[console]
runbook_dir = "runbooks"
recording_dir = "recs"

[syslog]
enabled = false

[[clusters]]
name = "lab"
[clusters.ssh]
key_file = "id_lab"
known_hosts = "known_hosts"

[[clusters.nodes]]
name = "pve01"
address = "10.99.0.11"
interfaces = ["eno1"]

[[clusters.nodes]]
name = "pve03"
address = "10.99.0.13"
interfaces = ["eno1"]
bridge = "vmbr9"
kernel_log_command = "tail -F /var/log/lab-kern.log"
"""

OPERATOR_RUNBOOK = """
id = "site-hang"
title = "Our own hang runbook"
[applies]
hang = true
drivers = ["e1000e"]

[[steps]]
id = "look"
kind = "note"
title = "Look at it"
"""


def _runbook_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 extra: dict[str, str] | None = None) -> LabConsoleApp:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "runbooks").mkdir()
    for name, text in (extra or {}).items():
        (tmp_path / "runbooks" / name).write_text(text)
    monkeypatch.chdir(tmp_path)  # the config's relative paths
    args = cli.build_parser().parse_args(
        ["run", "--config", str(_config(tmp_path, RUNBOOK_CONFIG))])
    return run_cmd.build_live_app(args.config, args)


def test_live_app_gets_a_runbook_launcher_built_from_the_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _runbook_app(tmp_path, monkeypatch, {"site.toml": OPERATOR_RUNBOOK})
    launcher = app.runbook_launcher
    assert isinstance(launcher, RunbookLauncher)
    assert launcher_for(app) is launcher  # what ``b`` opens runbooks with
    pool = next(s for s in app.pipeline.sources if isinstance(s, SshPool))
    assert isinstance(launcher.executor, SshExecutor)
    assert launcher.executor.nodes is pool.nodes  # the console's own connections
    assert set(launcher.nodes) == {"pve01", "pve03"}
    assert launcher.peers == {"pve01": ("pve03",), "pve03": ("pve01",)}
    assert "site-hang" in launcher.books and "e1000e-tx-hang" in launcher.books
    assert launcher.audit_path == default_audit_path()
    assert str(tmp_path / "data") in str(launcher.audit_path)
    assert launcher.operator and not launcher.dry_run
    assert app.report_dir.resolve() == (tmp_path / "recs").resolve()


def test_a_runbook_opened_live_uses_the_nodes_configuration(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _runbook_app(tmp_path, monkeypatch)
    assert app.runbook_launcher is not None
    ep = HangEpisode(kind="unit_hang", driver="e1000e", device="eno1", pci="0000:00:1f.6",
                     first=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc),
                     last=datetime(2026, 3, 1, 9, 1, tzinfo=timezone.utc), reports=30,
                     stuck=True, registers={"TDH": "<f6>"})
    engine = app.runbook_launcher.for_episode("pve03", ep)
    assert engine is not None and engine.runbook.id == "e1000e-tx-hang"
    assert "/var/log/lab-kern.log" in engine.ctx.kernel_log  # not journalctl -k
    assert engine.ctx.bridge == "vmbr9" and list(engine.ctx.peers) == ["pve01"]


@pytest.mark.parametrize(("driver", "kind"), [("igc", "unit_hang"), ("mlx5_core", "tx_timeout"),
                                           ("ixgbe", "reset"), ("r8169", "watchdog")])
def test_a_hang_of_another_driver_offers_the_node_runbook_not_the_e1000e_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, driver: str, kind: str) -> None:
    app = _runbook_app(tmp_path, monkeypatch)
    assert app.runbook_launcher is not None
    ep = HangEpisode(kind=kind, driver=driver, device="eth1",  # type: ignore[arg-type]
                     first=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc), reports=2)
    engine = app.runbook_launcher.for_episode("pve03", ep)
    assert engine is not None and engine.runbook.id == "node-left-cluster"


@pytest.mark.parametrize("kind", ["watchdog", "tx_timeout", "reset"])
def test_an_e1000e_hang_of_any_kind_offers_the_e1000e_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    app = _runbook_app(tmp_path, monkeypatch)
    assert app.runbook_launcher is not None
    ep = HangEpisode(kind=kind, driver="e1000e", device="eno1",  # type: ignore[arg-type]
                     first=datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc), reports=2)
    engine = app.runbook_launcher.for_episode("pve03", ep)
    assert engine is not None and engine.runbook.id == "e1000e-tx-hang"


def test_broken_operator_runbook_is_a_problem_in_the_status_bar(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _runbook_app(tmp_path, monkeypatch, {"broken.toml": "id = [\n"})
    assert [p for p in app.problems if p.startswith("runbooks: ")]
    assert any("broken.toml" in p for p in app.problems)


def test_operator_name_falls_back_to_the_uid(monkeypatch: pytest.MonkeyPatch) -> None:
    def nameless() -> str:
        raise OSError("no user name")

    from labconsole import operator

    monkeypatch.setattr(operator.getpass, "getuser", nameless)
    monkeypatch.delenv(operator.SERVE_USER_ENV, raising=False)
    assert run_cmd.operator_name().startswith("uid")


def test_a_served_session_acts_under_its_authenticated_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """serve puts the browser session's authenticated name in the environment of the
    `labconsole run` it starts; the audit log then names that person, not only root."""
    from labconsole import operator

    monkeypatch.setattr(operator.getpass, "getuser", lambda: "root")
    assert operator.operator_name({}) == "root"
    assert operator.operator_name({operator.SERVE_USER_ENV: "alice"}) == (
        "alice via serve (as root)")
    assert operator.operator_name({operator.SERVE_USER_ENV: "x\x1b[2J"}) == (
        "x\\x1b[2J via serve (as root)")


def test_the_console_dying_is_a_non_zero_exit(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception that kills the app (not a source: those are shown) makes `run` exit 1,
    never 0 as if the operator had quit."""
    import functools

    from textual.app import App

    class Dying(LabConsoleApp):
        def on_ready(self) -> None:
            raise RuntimeError("boom")

    def build(config_path: Path, args: argparse.Namespace) -> LabConsoleApp:
        app = Dying([], tick_seconds=0)
        app.run = functools.partial(App.run, app, headless=True)  # type: ignore[method-assign]
        return app

    monkeypatch.setattr(run_cmd, "build_live_app", build)
    monkeypatch.setattr(run_cmd, "refuse_without_terminal", lambda: False)  # headless here
    args = cli.build_parser("run").parse_args(["run"])
    assert run_cmd.run_live(_config(tmp_path), args) == 1
