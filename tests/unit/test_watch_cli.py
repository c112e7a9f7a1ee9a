"""``labconsole watch`` from the command line: --once exit codes on recordings, errors as
messages, the watcher's log lines; and the recorder's rotation by age."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from labconsole.cli import main
from labconsole.demo import DEMO_RECORDING
from labconsole.events import QuorumText
from labconsole.sources.recording import Recorder
from labconsole.sources.replay import load_events


def healthy_recording(path: Path) -> Path:
    """Only 3/3 quorum polls from the demo's first minutes: nothing wrong."""
    events = [e for e in load_events([DEMO_RECORDING])
              if isinstance(e, QuorumText) and e.at.minute < 8]
    with Recorder(path) as rec:
        for e in events:
            rec.write(e)
    return path


def test_once_on_the_demo_is_an_open_incident_with_cause_and_evidence(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABCONSOLE_CONFIG", raising=False)
    assert main(["watch", "--once", str(DEMO_RECORDING)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("labconsole: incident 2 started: stuck TX ring on pve03 eno1")
    assert "TDH/next_to_clean did not move between reports (ring stuck)" in out
    assert "incident 1" not in out  # resolved at 06:13: not open


def test_once_on_a_healthy_recording_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABCONSOLE_CONFIG", raising=False)
    assert main(["watch", "--once", str(healthy_recording(tmp_path / "ok.jsonl"))]) == 0
    assert capsys.readouterr().out == "healthy: no open incident\n"


def test_once_on_a_missing_file_or_bad_config_exits_2(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABCONSOLE_CONFIG", raising=False)
    assert main(["watch", "--once", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl: no such file" in capsys.readouterr().err
    bad = tmp_path / "c.toml"
    bad.write_text("[watch]\nrate_limit = 0\n")
    assert main(["watch", "--once", "--config", str(bad), str(DEMO_RECORDING)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: watch.rate_limit: 0 is out of range 1-100000" in err
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert main(["watch", "--once"]) == 2
    assert "no config found" in capsys.readouterr().err


def test_watch_on_a_recording_logs_each_alert(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABCONSOLE_CONFIG", raising=False)
    assert main(["watch", str(DEMO_RECORDING)]) == 0
    alerts = [line for line in capsys.readouterr().out.splitlines()
              if line.startswith("ALERT ")]
    assert [a.split(":")[1].strip() for a in alerts] == [
        "incident 1 started", "incident 1 ended", "incident 2 started",
        "incident 2 cause changed"]


def test_recorder_rotates_by_age(tmp_path: Path) -> None:
    now = [1000.0]
    path = tmp_path / "watch.jsonl"
    events = [e for e in load_events([DEMO_RECORDING]) if isinstance(e, QuorumText)][:4]
    rec = Recorder(path, max_age=3600, wall=lambda: now[0], backups=2)
    rec.write(events[0])
    now[0] += 3599
    rec.write(events[1])
    assert not path.with_name("watch.jsonl.1").exists()
    now[0] += 1
    rec.write(events[2])  # the file is an hour old: rotated first
    now[0] += 3600
    rec.write(dataclasses.replace(events[3], at=events[3].at + timedelta(hours=2)))
    rec.close()
    lines = [len(p.read_text().splitlines()) for p in
             (path, path.with_name("watch.jsonl.1"), path.with_name("watch.jsonl.2"))]
    assert lines == [1, 1, 2]


def test_the_sample_systemd_unit_ships_and_systemd_accepts_it(tmp_path: Path) -> None:
    import shutil
    import subprocess
    from importlib.resources import files

    unit = files("labconsole.watch").joinpath("labconsole-watch.service").read_text()
    assert "ExecStart=/opt/labconsole/.venv/bin/labconsole watch --config " in unit
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    # the sample's ExecStart names where the operator installed labconsole: point it at a
    # program that exists here, and let systemd check everything else
    copy = tmp_path / "labconsole-watch.service"
    copy.write_text(unit.replace("/opt/labconsole/.venv/bin/labconsole", "/bin/true"))
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                          text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if "labconsole-watch.service" in line]
    assert problems == [], problems


def unreachable_config(tmp_path: Path, extra: str = "") -> Path:
    """One node on a loopback address where nothing listens: every SSH attempt is refused."""
    from tests.alert_servers import closed_port

    known = tmp_path / "known_hosts"
    known.write_text("")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[console]\nrecording_dir = "{tmp_path / "rec"}"\n\n[syslog]\nenabled = false\n\n'
        f"{extra}"
        '[[clusters]]\nname = "lab"\n[clusters.ssh]\n'
        f'port = {closed_port()}\nknown_hosts = "{known}"\n'
        '[[clusters.nodes]]\nname = "pve01"\naddress = "127.0.0.1"\n')
    return config


def test_once_on_live_sources_that_cannot_be_reached_is_an_incident(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = unreachable_config(tmp_path)
    assert main(["watch", "--once", "--config", str(config), "--window", "3"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("labconsole: incident 1 started: ")
    assert "ssh:pve01" in out and "connection refused" in out


REFUSED = "source ssh:pve01 reconnecting: connection refused"


def test_sigterm_stops_the_service_cleanly_with_its_recording(tmp_path: Path) -> None:
    import os
    import select
    import signal
    import subprocess
    import sys
    import time

    config = unreachable_config(tmp_path, f'[watch]\nrecording = "{tmp_path / "w.jsonl"}"\n\n')
    proc = subprocess.Popen([sys.executable, "-m", "labconsole", "watch", "--config",
                             str(config)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("watching: ") and "recording to" in first
        # wait (bounded) until the first connection failure is both printed and recorded:
        # on a loaded machine a fixed 10 s was once not enough, and the service was stopped
        # before it had tried to connect at all
        printed = [first]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not any(REFUSED in line for line in printed):
                ready, _, _ = select.select([proc.stdout], [], [], 0.5)
                if ready:
                    printed.append(proc.stdout.readline())
                continue
            if (tmp_path / "w.jsonl").exists() and b"refused" in (
                    tmp_path / "w.jsonl").read_bytes():
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = "".join(printed) + rest
    assert proc.returncode == 0, err
    assert REFUSED in out, (out, err)
    assert "Traceback" not in err
    assert b'"source":"ssh:pve01"' in (tmp_path / "w.jsonl").read_bytes()


def sink_config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "sinks.toml"
    config.write_text(
        '[watch]\nretries = 1\nretry_delay = 0.01\n[[watch.sinks]]\nname = "hook"\n'
        f'type = "webhook"\nurl = "{url}"\ntimeout = 5\n'
        '[[clusters]]\nname = "lab"\n[[clusters.nodes]]\nname = "pve01"\n'
        'address = "127.0.0.1"\n')
    return config


def test_once_with_alert_sends_only_the_open_incident(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    import json

    from tests.alert_servers import http_server

    with http_server() as srv:
        code = main(["watch", "--once", "--alert", "--config",
                     str(sink_config(tmp_path, srv.url)), str(DEMO_RECORDING)])
    assert code == 1
    (req,) = srv.requests
    sent = json.loads(req.body)["alert"]
    assert (sent["number"], sent["change"], sent["cause_kind"]) == (2, "started",
                                                                   "stuck_tx_ring")
    assert "alert hook: delivered incident-20251108T061902Z" in capsys.readouterr().out


def test_once_with_alert_to_a_sink_that_is_down_is_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.alert_servers import closed_port

    url = f"http://127.0.0.1:{closed_port()}/hook"
    code = main(["watch", "--once", "--alert", "--config", str(sink_config(tmp_path, url)),
                 str(DEMO_RECORDING)])
    assert code == 2
    out = capsys.readouterr().out
    assert "alert hook: failed incident-20251108T061902Z: cannot reach" in out


def test_the_watch_path_loads_neither_textual_nor_rich_at_run_time(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom labconsole.cli import main\n"
            f"rc = main(['watch', '--once', {str(DEMO_RECORDING)!r}])\n"
            "import labconsole.sources.live\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
            "print('LOADED', bad, rc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
                                            "XDG_CONFIG_HOME": str(tmp_path)})
    assert "LOADED [] 1" in done.stdout, done.stdout + done.stderr
