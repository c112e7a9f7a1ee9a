"""Pilot tests of what issue 7's last part added to the UI: problems in the status bar, and a
kernel log pane whose older lines come back from the store's spill file."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import Static

from labconsole.app import LabConsoleApp
from labconsole.demo import DEMO_RECORDING
from labconsole.events import Event
from labconsole.sources.base import Emit
from labconsole.sources.replay import ReplayControl, ReplaySource, load_events
from labconsole.state.console_state import ConsoleState
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.log_view import LogQuery, LogView
from labconsole.widgets.kernel_log import KernelLogPane
from labconsole.widgets.status_bar import StatusBar
from tests.ui.helpers import settle


def _text(widget: Static) -> str:
    console = Console(width=400, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


class Broken:
    """A source that fails at once, as a live source does when its config is unusable."""

    name = "pve_api:lab"

    async def run(self, emit: Emit) -> None:
        raise ConnectionRefusedError("connection refused")


async def test_problems_and_failed_sources_show_in_the_status_bar() -> None:
    app = LabConsoleApp([Broken()], tick_seconds=0,
                        problems=["cluster lab: Proxmox API disabled: LC_SECRET is not set"])
    async with app.run_test(size=(160, 30)) as pilot:
        for _ in range(50):
            if app.pipeline.failures:
                break
            await pilot.pause()
        await pilot.pause()
        status = _text(app.screen.query_one(StatusBar))
        assert "PROBLEM: pve_api:lab: ConnectionRefusedError: connection refused (+1 more)" \
            in status
        assert "pve_api:lab FAILED: connection refused" in status


def _small_store_app(capacity: int) -> LabConsoleApp:
    events: list[Event] = load_events([DEMO_RECORDING])
    control = ReplayControl(speed=0)
    state = ConsoleState(log=KernelLogStore(capacity=capacity))
    return LabConsoleApp([ReplaySource(events, control=control)], replay=control,
                         state=state, tick_seconds=0)


async def test_scrolling_back_past_memory_reads_lines_from_disk() -> None:
    app = _small_store_app(capacity=50)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        store = app.state.log
        pane = app.screen.query_one(KernelLogPane)
        assert store.archived > 500 and len(store.entries) == 50
        assert f"{store.archived} older on disk" in str(pane.border_title)
        await pilot.press("home")
        first = pane.current_row
        assert first is not None and first.entry is not None and first.entry.seq == 1
        assert first.entry.seq < store.first_seq  # drawn from the spill file
        await pilot.press("slash", *"re:hang x \\d+", "enter")
        row = pane.current_row
        assert row is not None and row.episode is not None
        rows = len(pane.view.rows)
        await pilot.press("enter")  # unfold: its 37 reports are mostly on disk by now
        assert len(pane.view.rows) == rows + 37 * 15
        assert sum("Detected Hardware Unit Hang" in r.text() for r in pane.view.rows) == 37


async def test_costly_filter_is_built_in_a_worker_and_then_shown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import labconsole.state.log_view as log_view

    monkeypatch.setattr(log_view, "COSTLY_ARCHIVED", 100)
    built: list[LogQuery] = []
    original = KernelLogPane._build

    def counting(self: KernelLogPane, view: LogView) -> None:
        built.append(view.query)
        original(self, view)

    monkeypatch.setattr(KernelLogPane, "_build", counting)
    app = _small_store_app(capacity=50)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(KernelLogPane)
        assert app.state.log.archived > 100
        await pilot.press("f", *"perf", "enter")
        for _ in range(200):
            if pane.building is None and pane.view.query.text == "perf":
                break
            await pilot.pause(0.01)
        assert [q.text for q in built] == ["perf"]
        assert len(pane.view.rows) == 2 and all("perf" in r.text() for r in pane.view.rows)
        await pilot.press("o")  # node filter on top of the text filter: a worker again
        for _ in range(200):
            if pane.building is None and pane.view.query.node is not None:
                break
            await pilot.pause(0.01)
        assert len(built) == 2 and built[1].text == "perf" and built[1].node == "pve01"
        await pilot.press("x")  # no text: built at once, no worker
        assert len(built) == 2 and pane.view.query == LogQuery(node="pve01")


async def test_syslog_losses_show_in_the_status_bar() -> None:
    """Issue 19 item 3: datagrams the listener drops (here: a sender outside the allowlist,
    real loopback sockets) are on screen, with the cause."""
    import ipaddress
    import socket

    from labconsole.sources.syslog_listener import SyslogListener

    listener = SyslogListener(host="127.0.0.1", port=0, tcp=False, loss_every=0.05,
                              allow=(ipaddress.ip_network("127.0.0.1/32"),))
    app = LabConsoleApp([listener], tick_seconds=0)
    async with app.run_test(size=(160, 30)) as pilot:
        await listener.ready()
        assert listener.udp_port is not None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.2", 0))
            for _ in range(3):
                sock.sendto(b"<14>not from the switch", ("127.0.0.1", listener.udp_port))
        for _ in range(200):
            if "syslog" in app.state.intake and app.state.intake["syslog"].dropped == 3:
                break
            await pilot.pause(0.02)
        await pilot.pause()
        status = _text(app.screen.query_one(StatusBar))
        assert "syslog: 3 dropped in the last 10 s (rejected 3)" in status
        app.workers.cancel_group(app, "pipeline")  # no refresh racing the teardown
        await pilot.pause()
