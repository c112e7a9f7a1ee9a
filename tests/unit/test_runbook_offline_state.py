"""Offline (demo/replay) runbook progress: per user under the XDG data directory, opened
safely (0700 directory, no symlink followed, no other user's file), never in /tmp."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from labconsole.runbook.audit import AuditEntry, AuditError, AuditLog
from labconsole.runbook.offline_state import UnsafeStateFile, offline_audit_path, open_private
from labconsole.runbook.session import RunbookLauncher
from labconsole.screens.runbook import launcher_for

WHEN = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def entry(step: str = "confirm-votes") -> AuditEntry:
    return AuditEntry(at=WHEN.isoformat(), operator="alice", runbook="e1000e-tx-hang",
                      step=step, kind="check", node="pve03", iface="eno1", command="x",
                      dry_run=False, exit_status=0, output="", result="pass",
                      episode="pve03-eno1-20251108T061902Z")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return home


def offline_launcher() -> RunbookLauncher:
    """What the console builds in a replay or the demo (no launcher, no SSH pool)."""
    app = SimpleNamespace(clock=lambda: WHEN, pipeline=None)
    return launcher_for(app)


def test_offline_progress_lives_in_the_users_xdg_data_dir(home: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    launcher = offline_launcher()
    expected = home / ".local/share/labconsole/offline/offline-audit.jsonl"
    assert launcher.audit_path == expected and launcher.private_audit
    AuditLog(launcher.audit_path, private=True).append(entry())
    assert stat.S_IMODE(os.stat(expected.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(expected).st_mode) == 0o600
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg"))
    assert offline_audit_path() == home / "xdg/labconsole/offline/offline-audit.jsonl"


def test_a_planted_symlink_is_refused_and_its_target_untouched(home: Path,
                                                               tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("someone else's file\n")
    path = offline_audit_path()
    path.parent.mkdir(parents=True, mode=0o700)
    path.symlink_to(victim)
    log = AuditLog(path, private=True)
    with pytest.raises(AuditError, match="symlink"):
        log.append(entry())
    with pytest.raises(AuditError, match="symlink"):
        log.check_writable()
    with pytest.raises(UnsafeStateFile):
        log.entries()
    assert victim.read_text() == "someone else's file\n"


def test_a_symlinked_state_directory_is_refused(home: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir()
    path = offline_audit_path()
    path.parent.parent.mkdir(parents=True)
    path.parent.symlink_to(elsewhere)
    with pytest.raises(AuditError, match="not a directory of its own"):
        AuditLog(path, private=True).append(entry())
    assert not list(elsewhere.iterdir())


@pytest.mark.skipif(os.getuid() != 0, reason="making another user's file needs root")
def test_another_users_file_is_refused(home: Path) -> None:
    path = offline_audit_path()
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_text("")
    os.chown(path, 65534, 65534)
    with pytest.raises(UnsafeStateFile, match="owned by uid 65534"):
        os.close(open_private(path, os.O_RDONLY))
    with pytest.raises(AuditError, match="owned by uid 65534"):
        AuditLog(path, private=True).append(entry())


async def test_a_fresh_home_starts_empty(home: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    AuditLog(offline_audit_path(), private=True).append(entry())  # an earlier user/session
    assert AuditLog(offline_audit_path(), private=True).entries()
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    monkeypatch.setenv("HOME", str(fresh))
    launcher = offline_launcher()
    assert launcher.audit_path.is_relative_to(fresh)
    assert AuditLog(launcher.audit_path, private=True).entries() == []
    from labconsole.model.hang import HangEpisode
    ep = HangEpisode(kind="unit_hang", driver="e1000e", device="eno1", first=WHEN, last=WHEN)
    engine = launcher.for_episode("pve03", ep, ["pve01"])
    assert engine is not None
    await engine.start()
    assert not any(r.resumed or r.earlier for r in engine.runs)
