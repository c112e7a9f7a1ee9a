"""Pilot tests: every binding and panel of the dashboard, node detail and help screens."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from rich.console import Console
from textual.widgets import Static

from labconsole.app import LabConsoleApp
from labconsole.screens.dashboard import DASHBOARD_KEYS, DashboardScreen
from labconsole.screens.help import HelpScreen
from labconsole.screens.node_detail import NodeDetailScreen
from labconsole.widgets.kernel_log import KernelLogPane
from labconsole.widgets.nic_panel import NicPanel
from labconsole.widgets.status_bar import StatusBar
from labconsole.widgets.timeline_panel import TimelinePanel
from tests.ui.helpers import MID_INCIDENT, demo_app, settle


def _text(widget: Static) -> str:
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def _dash(app: LabConsoleApp) -> DashboardScreen:
    assert isinstance(app.screen, DashboardScreen)
    return app.screen


async def test_panels_show_votes_nics_log_timeline_and_status() -> None:
    app = demo_app(MID_INCIDENT)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        votes = _text(app.screen.query_one("#votes", Static))
        assert "2/3 quorate" in votes and "pve03" in votes and "GONE" in votes
        nics = _text(app.screen.query_one(NicPanel))
        assert "known TX hang race" in nics and "tso on" in nics
        pane = app.screen.query_one(KernelLogPane)
        episodes = [r for r in pane.view.rows if r.episode is not None]
        assert len(episodes) == 1 and episodes[0].folded
        assert "hang x 37, TDH stuck at <f6>" in episodes[0].text()
        timeline = app.screen.query_one(TimelinePanel).text.plain
        assert "incident 2 from 06:19:02" in timeline and "pve03 left homelab" in timeline
        status = _text(app.screen.query_one(StatusBar))
        assert "replay 06:20:25" in status and "rec off" in status


async def test_quit_is_clean() -> None:
    app = demo_app()
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code in (0, None) and not app.is_running


async def test_help_lists_every_key_and_closes() -> None:
    app = demo_app()
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = _text(app.screen.query_one("#help-body", Static))
        for _key, _action, description, _show in DASHBOARD_KEYS:
            assert description in body
        for b in KernelLogPane.BINDINGS + NicPanel.BINDINGS:
            assert b.description in body  # type: ignore[union-attr]
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_command_palette_offers_every_action() -> None:
    app = demo_app()
    async with app.run_test() as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        for _key, _action, description, _show in DASHBOARD_KEYS:
            assert description in titles
        assert "Kernel log: Fold/unfold" in titles and "NICs: All features" in titles


async def test_search_next_previous_and_fold() -> None:
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        dash, pane = _dash(app), app.screen.query_one(KernelLogPane)
        await pilot.press("slash", *"link is", "enter")
        first = pane.cursor
        assert "Link is" in pane.view.rows[first].text()
        await pilot.press("n")
        assert pane.cursor != first and "Link is" in pane.view.rows[pane.cursor].text()
        await pilot.press("N")
        assert pane.cursor == first
        await pilot.press("slash", *"re:hang x \\d+", "enter")
        row = pane.current_row
        assert row is not None and row.episode is not None and row.folded
        rows = len(pane.view.rows)
        await pilot.press("enter")
        assert len(pane.view.rows) == rows + 37 * 15
        await pilot.press("enter")
        assert len(pane.view.rows) == rows
        await pilot.press("Z")  # unfold all
        assert len(pane.view.rows) == rows + 37 * 15
        await pilot.press("z")  # fold all
        assert len(pane.view.rows) == rows
        await pilot.press("slash", *"no such text", "enter")
        assert "not found" in dash.message


async def test_filter_regex_window_jump_clear_and_node() -> None:
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        dash, pane = _dash(app), app.screen.query_one(KernelLogPane)
        total = len(pane.view.rows)
        await pilot.press("f", *"perf", "enter")
        assert len(pane.view.rows) == 2
        await pilot.press("f", *"re:([", "enter")
        assert "bad regular expression" in dash.message and len(pane.view.rows) == 2
        await pilot.press("x")
        assert len(pane.view.rows) == total
        await pilot.press("w", *"06:09..06:10:00", "enter")
        assert [r.entry.node for r in pane.view.rows if r.entry] == ["pve03", "pve03"]
        await pilot.press("w", *"nonsense", "enter")
        assert "not a window" in dash.message
        await pilot.press("x", "t", *"06:19", "enter")
        row = pane.current_row
        assert row is not None and row.episode is not None
        await pilot.press("o")
        assert pane.view.query.node == "pve01" and not pane.merged
        await pilot.press("o", "o", "o")
        assert pane.view.query.node is None and pane.merged


async def test_log_cursor_keys_and_follow() -> None:
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(KernelLogPane)
        last = len(pane.view.rows) - 1
        assert pane.follow and pane.cursor == last
        await pilot.press("up")
        assert pane.cursor == last - 1 and not pane.follow
        await pilot.press("home")
        assert pane.cursor == 0
        await pilot.press("down", "pagedown")
        assert pane.cursor > 1
        await pilot.press("pageup", "end")
        assert pane.cursor == last and pane.follow
        await pilot.press("space")
        assert not pane.follow
        await pilot.press("space")
        assert pane.follow


async def test_node_detail_shows_one_node_and_goes_back() -> None:
    app = demo_app(MID_INCIDENT)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        screen = app.screen
        # the newest row is pve03's: its kernel log of the hang arrived last
        assert isinstance(screen, NodeDetailScreen) and screen.node == "pve03"
        await pilot.press("escape", "t", *"06:19:30", "enter", "d")
        screen = app.screen
        assert isinstance(screen, NodeDetailScreen) and screen.node == "pve02"
        await pilot.press("escape", "t", *"06:19", "enter", "d")
        screen = app.screen
        assert isinstance(screen, NodeDetailScreen) and screen.node == "pve03"
        votes = _text(screen.query_one("#node-votes", Static))
        assert "GONE" in votes
        pane = screen.query_one(KernelLogPane)
        assert {r.episode.node if r.episode else r.entry.node  # type: ignore[union-attr]
                for r in pane.view.rows} == {"pve03"}
        nics = _text(screen.query_one(NicPanel))
        assert "tcp-segmentation-offload: on" in nics  # every feature shown here
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_nic_panel_all_features_toggle() -> None:
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(NicPanel)
        panel.focus()
        await pilot.press("a")
        assert panel.show_all and "highdma: on [fixed]" in _text(panel)
        await pilot.press("a", "l")
        assert not panel.show_all and app.screen.query_one(KernelLogPane).has_focus


async def test_replay_pause_step_speed_and_seek() -> None:
    app = demo_app(paused=True, speed=1)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        control = app.replay
        assert control is not None and control.paused
        await pilot.press("full_stop")
        for _ in range(50):
            if control.position is not None:
                break
            await pilot.pause()
        assert control.position == datetime(2025, 11, 8, 6, 5, tzinfo=timezone.utc)
        await pilot.press("plus")
        assert control.speed == 2
        await pilot.press("minus", "minus")
        assert control.speed == 0.5
        await pilot.press("S", *"06:19:30", "enter")
        for _ in range(400):
            if control.position and control.position >= datetime(2025, 11, 8, 6, 19, 30,
                                                                 tzinfo=timezone.utc):
                break
            await pilot.pause()
        assert control.position == datetime(2025, 11, 8, 6, 19, 30, tzinfo=timezone.utc)
        assert app.state.votes.clusters["homelab"].views["pve01"].total_votes == 2
        await pilot.press("left_square_bracket")
        for _ in range(400):
            if control.position and control.position <= datetime(2025, 11, 8, 6, 18, 30,
                                                                 tzinfo=timezone.utc):
                break
            await pilot.pause()
        # state replayed afresh
        assert app.state.votes.clusters["homelab"].views["pve01"].total_votes == 3
        assert len(app.state.log.episodes) == 0
        await pilot.press("right_square_bracket", "p")
        assert not control.paused
        await pilot.press("p")
        assert control.paused
