"""The checked, atomic write of /etc/network/interfaces, run for real through sh."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labconsole.runbook.executor import LocalExecutor
from labconsole.runbook.interfaces_edit import (
    EditRefused,
    plan_post_up,
    read_remote,
    rollback,
    write_atomic,
)
from tests.unit.test_runbook_support import INTERFACES

HOOK = ["/sbin/ethtool", "-K", "eno1", "tso", "off", "gso", "off", "gro", "off"]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "etc" / "interfaces"
    p.parent.mkdir()
    p.write_text(INTERFACES)
    return p


async def test_plan_adds_one_line_to_the_bridge_stanza(path: Path) -> None:
    ex = LocalExecutor()
    current = await read_remote(ex, "pve03", str(path))
    plan = plan_post_up(current, "eno1", HOOK)
    assert plan.changed and plan.bridge == "vmbr0"
    added = [ln for ln in plan.new_text.splitlines() if ln not in INTERFACES.splitlines()]
    assert added == ["\tpost-up /sbin/ethtool -K eno1 tso off gso off gro off"]


@pytest.mark.parametrize("existing", [
    "\tpost-up /sbin/ethtool -K eno1 tso off gso off gro off\n",
    "\tpost-up ethtool -K eno1 gro off tso off gso off\n",  # other order, no path
    "\tup /usr/sbin/ethtool --offload eno1 tcp-segmentation-offload off gso off gro off\n",
])
async def test_equivalent_hook_already_there_means_no_change(path: Path, existing: str) -> None:
    path.write_text(INTERFACES.replace("\tbridge-fd 0\n", "\tbridge-fd 0\n" + existing))
    current = await read_remote(LocalExecutor(), "pve03", str(path))
    plan = plan_post_up(current, "eno1", HOOK)
    assert not plan.changed and "already present" in plan.reason


async def test_no_bridge_for_the_iface_is_refused(path: Path) -> None:
    current = await read_remote(LocalExecutor(), "pve03", str(path))
    with pytest.raises(EditRefused, match="no bridge lists eno2"):
        plan_post_up(current, "eno2", HOOK)


async def test_write_keeps_mode_makes_backup_and_refuses_stale(path: Path) -> None:
    ex = LocalExecutor()
    path.chmod(0o640)
    current = await read_remote(ex, "pve03", str(path))
    plan = plan_post_up(current, "eno1", HOOK)
    done = await write_atomic(ex, current, plan.new_text, "20260302T100500Z")
    assert path.read_text() == plan.new_text
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert Path(done.backup).read_text() == INTERFACES
    assert Path(done.backup).name == "interfaces.labconsole-20260302T100500Z.bak"
    # writing again from the *old* read: the file changed since, refused, nothing touched
    with pytest.raises(EditRefused, match="changed since it was read"):
        await write_atomic(ex, current, plan.new_text + "# more\n", "20260302T100501Z")
    assert path.read_text() == plan.new_text
    # same second, same stamp: the earlier backup is never overwritten
    again = await read_remote(ex, "pve03", str(path))
    second = await write_atomic(ex, again, again.text + "# x\n", "20260302T100500Z")
    assert second.backup.endswith("-20260302T100500Z-1.bak")
    assert Path(done.backup).read_text() == INTERFACES


async def test_crash_between_temp_write_and_rename_leaves_the_old_file(path: Path,
                                                                       tmp_path: Path) -> None:
    """A ``mv`` that SIGKILLs the script that called it: the crash right before the rename."""
    fakebin = tmp_path / "crashbin"
    fakebin.mkdir()
    (fakebin / "mv").write_text("#!/bin/sh\nkill -KILL $PPID\nexit 1\n")
    (fakebin / "mv").chmod(0o755)
    env = dict(os.environ, PATH=f"{fakebin}:{os.environ['PATH']}")
    ex = LocalExecutor(env=env)
    current = await read_remote(ex, "pve03", str(path))
    plan = plan_post_up(current, "eno1", HOOK)
    with pytest.raises(EditRefused, match="failed"):
        await write_atomic(ex, current, plan.new_text, "20260302T100500Z")
    assert path.read_text() == INTERFACES  # old, whole
    temps = list(path.parent.glob(".interfaces.labconsole.*"))
    assert len(temps) == 1 and temps[0].read_text() == plan.new_text  # new, whole, unused
    # and a normal write afterwards works
    done = await write_atomic(LocalExecutor(), current, plan.new_text, "20260302T100600Z")
    assert path.read_text() == plan.new_text and Path(done.backup).read_text() == INTERFACES


async def test_rollback_refuses_when_file_changed_after_our_write(path: Path) -> None:
    ex = LocalExecutor()
    current = await read_remote(ex, "pve03", str(path))
    plan = plan_post_up(current, "eno1", HOOK)
    done = await write_atomic(ex, current, plan.new_text, "20260302T100500Z")
    path.write_text(plan.new_text + "# operator edit\n")
    with pytest.raises(EditRefused, match="changed since labconsole wrote it"):
        await rollback(ex, "pve03", str(path), done.backup, done.new_digest, "20260302T100700Z")
    path.write_text(plan.new_text)
    await rollback(ex, "pve03", str(path), done.backup, done.new_digest, "20260302T100700Z")
    assert path.read_text() == INTERFACES


async def test_path_with_spaces_and_quotes_is_quoted(tmp_path: Path) -> None:
    odd = tmp_path / "it's a $(dir)"
    odd.mkdir()
    p = odd / "interfaces"
    p.write_text(INTERFACES)
    ex = LocalExecutor()
    current = await read_remote(ex, "n", str(p))
    plan = plan_post_up(current, "eno1", HOOK)
    await write_atomic(ex, current, plan.new_text, "20260302T100500Z")
    assert p.read_text() == plan.new_text


async def test_refusal_message_never_runs_the_path(tmp_path: Path) -> None:
    """Issue 19 item 11: the refusal's message quoted the path inside a shell ``echo "..."``,
    so a command substitution in it ran. The path now goes in as a quoted printf argument."""
    marker = tmp_path / "ran"
    odd = tmp_path / '$(touch "$MARK")'
    odd.mkdir()
    p = odd / "interfaces"
    p.write_text(INTERFACES)
    ex = LocalExecutor(env=dict(os.environ, MARK=str(marker)))
    current = await read_remote(ex, "n", str(p))
    plan = plan_post_up(current, "eno1", HOOK)
    p.write_text(INTERFACES + "# changed behind our back\n")
    with pytest.raises(EditRefused, match="changed since it was read") as info:
        await write_atomic(ex, current, plan.new_text, "20260302T100500Z")
    assert str(p) in str(info.value)  # the path shown as it is, literally
    assert not marker.exists()
