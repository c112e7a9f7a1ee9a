"""The Textual app: runs the pipeline in a worker and redraws the screens when state changes.

The only core module that imports Textual. The pipeline calls ``_changed`` for every event; that
adds the panel names to a pending set and posts one ``StateChanged`` message unless one is
already on its way, so a flood of kernel lines costs one message per redraw, not one per line.
Redraws are at most one per ``REFRESH_SECONDS`` under load: a change that comes sooner after
the last redraw waits for a timer (its panels pooled with the rest), while an isolated event
still shows at once. Under a flood this leaves the event loop free for keystrokes between
frames instead of redrawing after every chunk of lines.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from labconsole import gc_pause
from labconsole.alert.ring import Ringer, desktop_escapes, notification
from labconsole.clock import Clock, system_clock
from labconsole.events import Event
from labconsole.incident.source import DataSource
from labconsole.pipeline import Pipeline
from labconsole.sanitize import visible_row
from labconsole.screens.dashboard import DASHBOARD_KEYS, DashboardScreen
from labconsole.sources.base import Source
from labconsole.sources.recording import Recorder
from labconsole.sources.replay import ReplayControl
from labconsole.state.console_state import ConsoleState
from labconsole.widgets.kernel_log import KernelLogPane
from labconsole.widgets.nic_panel import NicPanel

if TYPE_CHECKING:
    from textual.timer import Timer

    from labconsole.incident.live_marks import LiveMarks
    from labconsole.incident.mark import IncidentMark
    from labconsole.runbook.session import RunbookLauncher

REFRESH_SECONDS = 0.05  # at most 20 redraws a second while the state keeps changing
MARKS_BUDGET = 0.1  # share of the time the incident correlation may take under a flood


@dataclass
class StateChanged(Message):
    """Some panels changed; the app keeps the set, so one message stands for many events."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StateChanged)


class LabConsoleApp(App[int]):
    TITLE = "labconsole"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(self, sources: Sequence[Source], *, state: ConsoleState | None = None,
                 recorder: Recorder | None = None, replay: ReplayControl | None = None,
                 clock: Clock = system_clock, subtitle: str = "",
                 tick_seconds: float = 1.0, problems: Sequence[str] = (),
                 runbook_launcher: RunbookLauncher | None = None,
                 report_dir: Path | None = None,
                 on_event: Callable[[Event], None] | None = None, bell: bool = True,
                 desktop_notification: bool = True,
                 data_source: DataSource | None = None) -> None:
        super().__init__()
        # What the data is (live, a replay of files, the demo): the report (``i``) names it
        # exactly as ``labconsole report`` does for the same data.
        self.data_source = data_source or (DataSource("live") if replay is None
                                           else DataSource("replay"))
        # When an incident starts: a terminal bell (tmux flags the window) and a desktop
        # notification escape, each switchable in the config ([console] bell, ...).
        self.ring_bell = bell
        self.ring_desktop = desktop_notification
        self._ringer = Ringer()
        # Opens runbooks on what the dashboard selects (``b``); None: the runbook screen makes
        # one from the SSH pool (live) or an offline one (replay, demo) on first use.
        self.runbook_launcher = runbook_launcher
        # Where ``w`` on the incident report screen writes (the recording directory).
        self.report_dir = report_dir or default_report_dir()
        self.state = state or ConsoleState()
        self.replay = replay
        self.clock = clock
        self.sub_title = visible_row(subtitle)  # names files and configs: shown, not obeyed
        self.recording_label = str(recorder.path) if recorder is not None else None
        # Config/source problems that disabled part of the live set (shown in the status bar).
        self.problems = list(problems)
        self.pipeline = Pipeline(sources=sources, state=self.state, recorder=recorder,
                                 on_change=self._changed, clock=clock, on_event=on_event)
        if replay is not None:
            replay.on_reset = self.pipeline.reset_state
        self._pending: set[str] = set()
        self._posted = False  # a StateChanged is queued and not handled yet
        self._last_refresh = float("-inf")  # monotonic time of the last redraw
        self._refresh_timer: Timer | None = None  # a deferred redraw is due
        self._tick_seconds = tick_seconds
        self._marks: list[IncidentMark] | None = None  # None: never computed, or reset
        self._marks_stale = False  # the timeline changed since they were computed
        self._marks_at = float("-inf")  # monotonic time and cost of the last computation
        self._marks_cost = 0.0
        self._marks_timer: Timer | None = None
        self._live_marks: LiveMarks | None = None  # made with the first marks (lazy import)

    def now(self) -> datetime:
        """Recording time in a replay (so ages read as they did then), else the clock."""
        if self.replay is not None:
            return self.replay.position or self.state.latest or self.clock()
        return self.clock()

    def on_mount(self) -> None:
        self.push_screen(DashboardScreen())
        self.run_worker(self.pipeline.run(), name="pipeline", group="pipeline",
                        exit_on_error=False)
        if self._tick_seconds > 0:
            self.set_interval(self._tick_seconds, self._tick)
        self.call_after_refresh(freeze_startup_objects)

    def _tick(self) -> None:
        self._changed({"tick"})

    def _changed(self, panels: set[str]) -> None:
        self._pending |= panels
        if not self._posted and self._refresh_timer is None:
            self._posted = True
            self.post_message(StateChanged())

    def on_state_changed(self, _: StateChanged) -> None:
        self._posted = False
        if self._refresh_timer is not None:
            return  # a redraw is already due; it takes the pending panels too
        wait = self._last_refresh + REFRESH_SECONDS - monotonic()
        if wait > 0:
            self._refresh_timer = self.set_timer(wait, self._deferred_refresh)
            return
        self._refresh()

    def _deferred_refresh(self) -> None:
        self._refresh_timer = None
        self._refresh()

    def _refresh(self) -> None:
        """Redraw every mounted screen for the panels changed since the last redraw."""
        self._last_refresh = monotonic()
        panels, self._pending = self._pending, set()
        if not panels or not self.is_running:
            # Not running: the app is shutting down and removing the screens' widgets; a
            # redraw due then (a timer, a flood's last change) found a panel gone (NoMatches).
            return
        if panels & {"timeline", "reset"}:
            self._marks_stale = True
            if "reset" in panels:
                self._marks = None
            self._ring()
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_state", None)
            if refresh is not None and screen.is_mounted and screen.is_running:
                refresh(panels if screen is self.screen else panels | {"later"})

    def _ring(self) -> None:
        """Bell and desktop notification for each incident that is new and open."""
        if not (self.ring_bell or self.ring_desktop):
            return
        for mark in self._ringer.new(self.incident_marks()):
            if self.ring_bell:
                self.bell()
            if self.ring_desktop:
                self.notify_desktop(*notification(mark))

    def notify_desktop(self, title: str, body: str) -> None:
        """OSC 9 / OSC 777 through Textual's driver (like ``App.bell``), never raw text:
        ``desktop_escapes`` keeps only plain printable characters of title and body."""
        if not self.is_headless and self._driver is not None:
            self._driver.write(desktop_escapes(title, body, tmux="TMUX" in os.environ))

    def incident_marks(self) -> list[IncidentMark]:
        """The correlated incidents heading the timeline. Recomputed at most once per batch of
        state changes that touched the timeline (``_refresh`` takes a flood of
        events as one batch), however many panels show it; never per kernel line that
        leaves the timeline alone.

        The correlation is incremental (``LiveMarks``: only facts after the earliest change are
        fed again, usually a few hundred); when it must redo everything (an incident's own
        facts dropped off the capped timeline) it runs at most once per MARKS_BUDGET of the
        time since the last run, and a timer brings the marks up to date once the flood
        pauses (issue 19 item 3)."""
        now = monotonic()
        due = self._marks_at + self._marks_cost / MARKS_BUDGET
        if self._marks is None or (self._marks_stale and now >= due):
            self._marks = self.live_marks.marks(self.state)
            self._marks_stale = False
            self._marks_at, self._marks_cost = now, monotonic() - now
        elif self._marks_stale and self._marks_timer is None:
            self._marks_timer = self.set_timer(due - now, self._marks_due)
        return self._marks

    @property
    def live_marks(self) -> LiveMarks:
        """The incremental correlation behind the marks (imported on first use: the first
        frame does not wait for the incident modules)."""
        if self._live_marks is None:
            from labconsole.incident.live_marks import LiveMarks

            self._live_marks = LiveMarks()
        return self._live_marks

    def _marks_due(self) -> None:
        self._marks_timer = None
        if self._marks_stale:
            self._changed({"timeline"})

    def key_groups(self) -> list[tuple[str, list[BindingType]]]:
        """Every binding of the console, grouped as the help screen lists them."""
        from labconsole.screens.incident_report import INCIDENT_REPORT_KEYS
        from labconsole.screens.runbook import RUNBOOK_KEYS

        return [
            ("Everywhere", [*self.BINDINGS, Binding("ctrl+p", "command_palette",
                                                    "Command palette"),
                            Binding("tab", "focus_next", "Next panel")]),
            ("Dashboard", [Binding(k, a, d) for k, a, d, _ in DASHBOARD_KEYS]),
            ("Kernel log pane", list(KernelLogPane.BINDINGS)),
            ("NIC panel", list(NicPanel.BINDINGS)),
            ("Node detail", [Binding("escape", "app.pop_screen", "Back to dashboard")]),
            ("Runbook", [Binding(k, a, d) for k, a, d, _ in RUNBOOK_KEYS]),
            ("Incident report", [Binding(k, a, d) for k, a, d, _ in INCIDENT_REPORT_KEYS]),
        ]

    def action_help(self) -> None:
        from labconsole.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.key_groups()))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        from labconsole.screens.help import key_label
        from labconsole.screens.incident_report import INCIDENT_REPORT_KEYS, IncidentReportScreen
        from labconsole.screens.runbook import RUNBOOK_KEYS, RunbookScreen

        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: list every key", "Show the help screen", self.action_help)
        screens: list[tuple[str, type[Screen[None]], list[tuple[str, str, str, bool]]]] = [
            ("Runbook", RunbookScreen, RUNBOOK_KEYS),
            ("Report", IncidentReportScreen, INCIDENT_REPORT_KEYS)]
        for group, screen_cls, keys in screens:
            if isinstance(screen, screen_cls):
                for key, action, description, _show in keys:
                    yield SystemCommand(f"{group}: {description}", f"key {key_label(key)}",
                                        partial(self.run_action, f"screen.{action}"))
        if isinstance(screen, DashboardScreen):
            for key, action, description, _show in DASHBOARD_KEYS:
                yield SystemCommand(description, f"key {key_label(key)}",
                                    partial(self.run_action, f"screen.{action}"))
            for panel, cls in (("Kernel log", KernelLogPane), ("NICs", NicPanel)):
                for b in cls.BINDINGS:
                    if isinstance(b, Binding) and (b.show or b.action.startswith("fold_all")):
                        yield SystemCommand(f"{panel}: {b.description}",
                                            f"key {key_label(b.key)}",
                                            partial(self._panel_action, cls, b.action))

    async def _panel_action(self, cls: type[KernelLogPane] | type[NicPanel], action: str) -> None:
        """Run a panel's own action from the command palette."""
        await self.screen.query_one(cls).run_action(action)


_frozen = False
GC_YOUNG = 10_000


def freeze_startup_objects() -> None:
    """Move what exists after the first frame (modules, classes, Textual's widgets: about
    70,000 objects, all living as long as the process) out of the cyclic garbage collector's
    reach, once per process. Each full collection scanned them all again: under a CEF flood
    those took up to 218 ms (6 in 20 s), the worst keystroke stalls (issue 19 item 3). Then
    the collector, paused while the console started (``labconsole.gc_pause``), runs again."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
        # A young collection every GC_YOUNG allocations instead of 700: a flood allocates a
        # few objects per kernel line, and at 700 the collector cost about 5 of 17 us a line
        # in the store (bench/README.md, "Kernel-line flood at 30,000 lines/s"); a
        # collection of 10,000 young objects still takes about a millisecond.
        gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
    gc_pause.resume()


def default_report_dir() -> Path:
    """The config's default recording directory (replay and demo have no config)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("labconsole")) / "recordings"
