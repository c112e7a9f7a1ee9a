"""The dashboard: votes, NICs, kernel log, timeline and status on one screen."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Header

from labconsole.model import timefmt
from labconsole.sanitize import visible_row
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.log_view import (
    LogQuery,
    LogView,
    Match,
    QueryError,
    compile_pattern,
)
from labconsole.state.nics import NicsState
from labconsole.state.timequery import TimeQueryError, parse_clock, parse_window
from labconsole.widgets.console_footer import ConsoleFooter
from labconsole.widgets.kernel_log import KernelLogPane
from labconsole.widgets.nic_panel import NicPanel
from labconsole.widgets.query_prompt import QueryPrompt
from labconsole.widgets.status_bar import StatusBar
from labconsole.widgets.timeline_panel import TimelinePanel
from labconsole.widgets.votes_panel import VotesPanel, render_votes

if TYPE_CHECKING:
    from labconsole.app import LabConsoleApp

# (binding key, action, description, show in footer): also the source of the help screen and
# of the command palette entries, so the three never disagree.
DASHBOARD_KEYS: list[tuple[str, str, str, bool]] = [
    ("slash", "ask('search')", "Search", True),
    ("n", "search_next(1)", "Next match", False),
    ("N", "search_next(-1)", "Previous match", False),
    ("f", "ask('filter')", "Filter", True),
    ("t", "ask('jump')", "Jump to time", False),
    ("w", "ask('window')", "Time window", False),
    ("x", "clear_query", "Clear filter/window", False),
    ("o", "cycle_node", "Node: next/merged", True),
    ("d", "node_detail", "Node detail", True),
    ("p", "replay_pause", "Pause/resume replay", True),
    ("full_stop", "replay_step", "Step replay", False),
    ("plus", "replay_speed(1)", "Replay faster", False),
    ("minus", "replay_speed(-1)", "Replay slower", False),
    ("left_square_bracket", "replay_seek(-60)", "Replay back 60 s", False),
    ("right_square_bracket", "replay_seek(60)", "Replay ahead 60 s", False),
    ("S", "ask('seek')", "Replay seek to time", False),
    ("l", "focus_log", "Focus kernel log", False),
    ("b", "runbook", "Runbook for the selected hang or lost node", False),
    ("i", "incident_report", "Incident report (latest, or at the log cursor)", False),
]


# (usual, most) rows of the votes|NICs row, borders included: below 40 rows, and from 40 up.
TOP_ROWS = (7, 10)
TOP_ROWS_TALL = (10, 14)


def nic_lines(nics: NicsState) -> int:
    """Rows the NIC panel's compact form needs: one per NIC and one per distinct warning."""
    warnings = {n.warning for n in nics.nics.values() if n.warning}
    return len(nics.nics) + len(warnings)


def newest_hang(log: KernelLogStore) -> str:
    """The newest hang episode in one line, for the kernel log pane's bottom border: on
    screen even when later lines have scrolled its folded row out of a short pane."""
    if not log.episodes:
        return ""
    ref = log.episodes[-1]
    return visible_row(f"newest hang: {ref.node} {ref.summary}")


class DashboardScreen(Screen[None]):
    # At 80x24: header 1, votes|NICs 7 (five rows each: a 3-node cluster's votes; three NICs
    # and their warning in the NIC panel's compact form), kernel log 9 (seven rows), timeline
    # 5, status 1, footer 1. From 40 rows up the panels grow.
    DEFAULT_CSS = """
    #top { height: 7; }
    #top VotesPanel { width: 36; }
    #top NicPanel { width: 1fr; }
    #timeline { height: 5; }
    DashboardScreen.-tall #top { height: 10; }
    DashboardScreen.-tall #timeline { height: 14; }
    DashboardScreen.-wide #top VotesPanel { width: 48; }
    """
    # Priority bindings: the app runs them the moment the key arrives, in order, so text typed
    # right after ``/`` (a fast typist, tmux send-keys) reaches the prompt instead of being
    # queued for the widget that had focus. check_action turns them all off while the prompt
    # is being typed into, so the letters go into the prompt.
    BINDINGS = [Binding(k, a, d, show=s, priority=True) for k, a, d, s in DASHBOARD_KEYS]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if any(action == a.split("(")[0] for _, a, _, _ in DASHBOARD_KEYS):
            return not self.query_one(QueryPrompt).has_focus
        return True

    def __init__(self) -> None:
        super().__init__()
        self._top_lines = 0  # rows the votes / NIC content needs (see _fit_top)
        self.message = ""
        self.search_text = ""
        self.search_regex = False

    @property
    def lc(self) -> LabConsoleApp:
        """The app, typed (screens only run inside LabConsoleApp)."""
        return cast("LabConsoleApp", self.app)

    def compose(self) -> ComposeResult:
        # The size classes from the terminal's size before the first styling: set later, on
        # the first resize, they made Textual restyle every widget once more before the
        # first frame (issue 13 item 5).
        self._size_classes(self.app.size, update=False)
        yield Header()
        with Horizontal(id="top"):
            yield VotesPanel(id="votes")
            yield NicPanel(id="nics")
        yield KernelLogPane(LogView(self.lc.state.log), id="log")
        yield TimelinePanel(id="timeline")
        yield QueryPrompt(id="prompt")
        yield StatusBar(id="status")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.query_one(KernelLogPane).focus()
        self.refresh_state({"votes", "nics", "log", "health"})
        # The first frame does not wait for the incident correlation (its modules and its
        # work: issue 13 item 5): the timeline is drawn without the incident headers, which
        # follow as soon as that frame is out.
        self.query_one(TimelinePanel).show(self.lc.state.timeline, [])
        self.call_after_refresh(self.refresh_state, {"timeline"})

    def on_resize(self) -> None:
        self._size_classes(self.size)
        self._fit_top()

    def _size_classes(self, size: Size, update: bool = True) -> None:
        # At 80x24 the kernel log keeps most of the height; from 40 rows up the panels grow.
        self.set_class(size.height >= 40, "-tall", update=update)
        self.set_class(size.width >= 160, "-wide", update=update)

    def _fit_top(self) -> None:
        """Votes and NICs get the rows their content needs (a SPLIT, a node unknown with its
        reason, a fourth NIC), up to a cap that leaves the kernel log five rows at 80x24."""
        base, cap = TOP_ROWS_TALL if self.has_class("-tall") else TOP_ROWS
        height = max(base, min(self._top_lines + 2, cap))
        top = self.query_one("#top")
        if top.styles.height is None or top.styles.height.value != height:
            top.styles.height = height

    @property
    def log_pane(self) -> KernelLogPane:
        return self.query_one(KernelLogPane)

    # State -> widgets ----------------------------------------------------------------------
    def refresh_state(self, panels: set[str]) -> None:
        state = self.lc.state
        now = self.lc.now()
        if "reset" in panels:
            old = self.log_pane.view
            view = LogView(state.log, query=old.query)
            self.log_pane.set_view(view)
        if panels & {"votes", "tick", "reset"}:
            self.query_one(VotesPanel).show(state.votes, now)
        if panels & {"nics", "reset", "health", "tick"}:
            self.query_one(NicPanel).show(state.nics, state.unreachable_nodes(), now)
        if panels & {"votes", "nics", "reset"}:
            self._top_lines = max(len(render_votes(state.votes, now).plain.splitlines()),
                                  nic_lines(state.nics))
            self._fit_top()
        if panels & {"log", "reset"}:
            self.log_pane.refresh_rows()
            self.log_pane.border_subtitle = newest_hang(state.log)
        if panels & {"timeline", "reset"}:
            self.query_one(TimelinePanel).show(state.timeline, self.lc.incident_marks())
        self.refresh_status()

    def refresh_status(self) -> None:
        from labconsole.widgets.status_bar import render_status

        lc = self.lc
        self.query_one(StatusBar).update(render_status(
            lc.state.health, lc.now(), recording=lc.recording_label,
            replay=lc.replay.label if lc.replay else None, errors=lc.state.error_count,
            message=self.message, problems=[*lc.problems, *lc.pipeline.failures],
            losses=list(lc.state.intake.values())))

    def say(self, message: str) -> None:
        self.message = message
        self.refresh_status()

    # Actions -------------------------------------------------------------------------------
    def action_ask(self, kind: str) -> None:
        self.query_one(QueryPrompt).ask(kind)

    def action_focus_log(self) -> None:
        self.log_pane.focus()

    def on_query_prompt_asked(self, event: QueryPrompt.Asked) -> None:
        try:
            self.answer(event.kind, event.value.strip())
        except (QueryError, TimeQueryError) as exc:
            self.say(str(exc))
        self.log_pane.focus()

    def answer(self, kind: str, value: str) -> None:
        """Apply what was typed at the prompt (raises QueryError/TimeQueryError when bad)."""
        regex = value.startswith("re:")
        text = value[3:] if regex else value
        pane = self.log_pane
        ref = self.lc.now()
        if kind == "filter":
            pane.show_query(replace(pane.log_query, text=text, regex=regex))
            self.say(f"filter {value!r}" if value else "filter cleared")
        elif kind == "search":
            compile_pattern(text, regex)
            self.search_text, self.search_regex = text, regex
            self.action_search_next(1)
        elif kind == "jump" or (kind == "seek" and self.lc.replay is not None
                                 and self.lc.replay.whole_file):
            self._jump(parse_clock(text, ref), value, kind)
        elif kind == "window":
            since, until = parse_window(text, ref)
            pane.show_query(replace(pane.log_query, since=since, until=until))
            self.say(f"window {value}")
        elif kind == "seek" and self.lc.replay is not None:
            self.lc.replay.seek(parse_clock(text, ref))
            self.say(f"seek to {value}")

    def _jump(self, when: datetime, value: str, kind: str) -> None:
        """Move the log's cursor to the first row at or after ``when`` (in a worker thread
        over a big file: the keys stay live meanwhile)."""
        def find(view: LogView, cancelled: Callable[[], bool]) -> Match | None:
            index = view.index_at(when)
            return None if index is None else Match(view.codes[index])

        where = (f"at {value}" if kind == "jump"
                 else f"at {value} (the whole file is open: seek jumps the log)")
        self._find_and_land(find, "jumping", busy=f"jumping to {value}...",
                            missing=f"nothing at or after {value}", where=lambda _row: where)

    def action_search_next(self, direction: int) -> None:
        pane = self.log_pane
        if not self.search_text:
            self.say("no search yet: press / to search")
            return
        text, regex, start = self.search_text, self.search_regex, pane.cursor

        def find(view: LogView, cancelled: Callable[[], bool]) -> Match | None:
            return view.locate(text, start, forward=direction > 0, regex=regex,
                               unfold=True, cancelled=cancelled)

        self._find_and_land(find, "searching", busy=f"searching for {text!r}...",
                            missing=f"{text!r} not found",
                            where=lambda row: f"match for {text!r} at row {row + 1}")

    def _find_and_land(self, find: Callable[[LogView, Callable[[], bool]], Match | None],
                       what: str, *, busy: str, missing: str,
                       where: Callable[[int], str]) -> None:
        """Run ``find`` over the log (``KernelLogPane.look``: ``busy`` is said while it runs
        aside) and land on the row it gives: the pane stops following, the cursor moves
        there and ``where(row)`` is said; ``missing`` when it gives none."""
        pane = self.log_pane

        def land(row: int | None) -> None:
            if row is None:
                self.say(missing)
                return
            pane.follow = False
            pane.move_to(row)
            self.say(where(row))

        if pane.view.costly_lookup():
            self.say(busy)
        pane.look(find, land, what)

    def action_clear_query(self) -> None:
        pane = self.log_pane
        pane.show_query(LogQuery(node=pane.log_query.node))
        self.say("filter and window cleared")

    def action_cycle_node(self) -> None:
        nodes: list[str | None] = [None, *self.lc.state.nodes]
        pane = self.log_pane
        current = pane.log_query.node
        nxt = nodes[(nodes.index(current) + 1) % len(nodes)] if current in nodes else None
        pane.merged = nxt is None
        pane.show_query(replace(pane.log_query, node=nxt))
        self.say(f"kernel log: {nxt or 'all nodes'}")

    def selected_node(self) -> str | None:
        row = self.log_pane.current_row
        if self.log_pane.view.query.node:
            return self.log_pane.view.query.node
        if row is not None:
            return row.entry.node if row.entry is not None else \
                row.episode.node if row.episode is not None else None
        nodes = self.lc.state.nodes
        return nodes[0] if nodes else None

    def action_node_detail(self) -> None:
        from labconsole.screens.node_detail import NodeDetailScreen

        node = self.selected_node()
        if node is None:
            self.say("no node known yet")
            return
        self.app.push_screen(NodeDetailScreen(node))

    def action_runbook(self) -> None:
        from labconsole.screens.runbook import open_runbook

        self.say(open_runbook(self))

    def action_incident_report(self) -> None:
        from labconsole.screens.incident_report import open_incident_report

        self.say(open_incident_report(self))

    def _replay_or_say(self, *, paced: bool = False) -> bool:
        """There is a replay to control (and, with ``paced``, one that plays events in time:
        a file opened whole has every line on screen already)."""
        if self.lc.replay is None:
            self.say("not a replay")
            return False
        if paced and self.lc.replay.whole_file:
            self.say("the whole file is open: step, speed and seek are for a paced replay "
                     "(replay --paced); t jumps to a time")
            return False
        return True

    def action_replay_pause(self) -> None:
        if self._replay_or_say():
            assert self.lc.replay is not None
            self.lc.replay.toggle()
            self.say("replay paused" if self.lc.replay.paused else "replay resumed")

    def action_replay_step(self) -> None:
        if self._replay_or_say(paced=True):
            assert self.lc.replay is not None
            if not self.lc.replay.paused:
                self.lc.replay.pause()
            self.lc.replay.step()
            self.say("step")

    def action_replay_speed(self, direction: int) -> None:
        if self._replay_or_say(paced=True):
            assert self.lc.replay is not None
            speed = self.lc.replay.faster() if direction > 0 else self.lc.replay.slower()
            self.say(f"speed x{speed:g}")

    def action_replay_seek(self, seconds: int) -> None:
        if self._replay_or_say(paced=True):
            assert self.lc.replay is not None
            when = self.lc.replay.seek_by(seconds)
            self.say(f"seek to {timefmt.short(when)}" if isinstance(when, datetime)
                     else "not started")
