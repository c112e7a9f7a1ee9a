"""What must be on screen at 80x24 (issue 14): every node's votes, every NIC's tso/gso/gro and
its warning, the newest hang episode, and a footer that keeps ``?`` and ``q``; the same at
120x40 and 200x50 with the NIC details (driver, firmware, speed) too. Read as text rows."""

from __future__ import annotations

import pytest

from labconsole.app import LabConsoleApp
from tests.ui.helpers import MID_INCIDENT, demo_app, screen_lines, settle

SIZES = [(80, 24), (120, 40), (200, 50)]


async def _lines(app: LabConsoleApp, size: tuple[int, int]) -> list[str]:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        return screen_lines(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_mid_incident_everything_that_matters_is_visible(size: tuple[int, int]) -> None:
    lines = await _lines(demo_app(MID_INCIDENT), size)
    screen = "\n".join(lines)
    assert len(lines) == size[1]
    for node in ("pve01", "pve02", "pve03"):
        assert any(f"{node}" in line and ("member" in line or "GONE" in line)
                   for line in lines), f"votes of {node}"
        nic = [line for line in lines if f"{node} eno1" in line]
        assert nic and "tso on" in nic[0] and "gso on" in nic[0] and "gro on" in nic[0], node
    assert "e1000e tso/gso on: known TX hang race" in screen
    assert "newest hang: pve03 e1000e eno1 hang x 37, TDH stuck at <f6> since 06:19:02" \
        in screen
    if size[1] >= 40:  # at 24 rows the timeline's newest rows are pve03's reconnection
        assert "HANG pve03 e1000e eno1 hang x 37" in screen  # the timeline names the node
    footer = lines[-1]
    assert footer.lstrip().startswith("? Help") and "q Quit" in footer
    if size[0] >= 120:
        assert "e1000e 0.13-4 1000Mb/s" in screen  # details where there is room


async def test_search_finds_text_inside_a_folded_episode_and_unfolds_it() -> None:
    app = demo_app(MID_INCIDENT)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.screen.log_pane
        assert not pane.view.expanded  # folded by default
        await pilot.press("slash", *"TDT", "enter")
        await pilot.pause()
        row = pane.current_row
        assert row is not None and row.entry is not None and "TDT" in row.entry.line.message
        assert pane.view.expanded  # the episode was unfolded to show the match
        assert "match for 'TDT'" in "\n".join(screen_lines(app))


async def test_z_folds_all_and_capital_z_unfolds_all() -> None:
    app = demo_app(MID_INCIDENT)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.screen.log_pane
        await pilot.press("Z")
        await pilot.pause()
        assert pane.view.expanded
        await pilot.press("z", "z")  # twice: still folded (not a toggle)
        await pilot.pause()
        assert not pane.view.expanded


async def test_palette_entries_are_words_with_their_key_never_action_names() -> None:
    app = demo_app(MID_INCIDENT)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        commands = list(app.get_system_commands(app.screen))
    ours = [c for c in commands if c.help.startswith("key ")]
    assert {"Filter", "Search", "Kernel log: Fold all", "Kernel log: Unfold all"} <= \
        {c.title for c in ours}
    for command in commands:
        assert "(" not in command.help and "ask" not in command.help, command
    assert next(c for c in ours if c.title == "Filter").help == "key f"


async def test_the_top_row_grows_so_every_nic_and_warning_stays_visible_at_80x24() -> None:
    from datetime import timedelta

    from labconsole.events import NicText

    features = ("Features for eno2:\ntcp-segmentation-offload: on\n"
                "generic-segmentation-offload: on\ngeneric-receive-offload: off\n")
    app = demo_app(MID_INCIDENT)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for iface in ("eno2", "eno3"):
            await app.pipeline.emit(NicText(
                at=MID_INCIDENT + timedelta(seconds=1), source=f"nic:pve01:{iface}",
                node="pve01", iface=iface, features=features.replace("eno2", iface),
                driver="driver: e1000e\nfirmware-version: 0.13-4\n", link="up"))
        await pilot.pause()
        await pilot.pause()
        lines = screen_lines(app)
    screen = "\n".join(lines)
    for nic in ("pve01 eno1", "pve01 eno2", "pve01 eno3", "pve02 eno1", "pve03 eno1"):
        assert nic in screen, nic
    assert "e1000e tso/gso on: known TX hang race" in screen
    assert "newest hang: pve03" in screen and lines[-1].lstrip().startswith("? Help")
