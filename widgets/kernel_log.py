"""Kernel log pane: virtualised (Line API) view over the domain's ``LogView`` rows.

Only the rows on screen are rendered (``render_line``), so hundreds of thousands of stored lines
cost nothing until scrolled to. The widget never parses text: rows, folding, filtering and
search all come from ``labconsole.state.log_view``; this only draws and moves a cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from labconsole.model import timefmt
from labconsole.sanitize import visible_row
from labconsole.state.log_view import LogQuery, LogView, Match, Row
from labconsole.widgets.style import CURSOR_STYLE, EPISODE_STYLE, SEVERITY_STYLE


class _Redraw(NamedTuple):
    """What the lines of one redraw of the pane share."""

    style: Style
    width: int
    offset: Offset
    focus: bool
    dated: bool


class KernelLogPane(ScrollView, can_focus=True):
    """Scrollable, foldable kernel log with a cursor; follows the tail unless paused."""

    DEFAULT_CSS = """
    KernelLogPane { border: round $primary; height: 1fr; }
    KernelLogPane:focus { border: round $accent; }
    """
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first", "First line", show=False),
        Binding("end,G", "last", "Last line / follow", show=False),
        Binding("enter", "toggle_fold", "Fold/unfold"),
        Binding("z", "fold_all(True)", "Fold all"),
        Binding("Z", "fold_all(False)", "Unfold all", show=False),
        Binding("space", "toggle_follow", "Follow"),
    ]

    @dataclass
    class CursorMoved(Message):
        """The cursor is on a new row (the dashboard shows the row's node/episode)."""

        index: int

    def __init__(self, view: LogView, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view = view
        self.cursor = 0
        self.follow = True
        self.merged = True
        self._all_folded = True
        self.building: LogView | None = None  # a view being built in a worker thread
        self.looking: str | None = None  # "searching", "jumping": a lookup in a worker thread
        self._lookups = 0  # the latest lookup's number: an older one's result is dropped
        self._redraw: _Redraw | None = None  # during render_lines

    def on_mount(self) -> None:
        self._update_title()

    def set_view(self, view: LogView) -> None:
        self.view = view
        self.building = None
        self.refresh_rows()

    @property
    def log_query(self) -> LogQuery:
        """The query asked for last (maybe still being built)."""
        return (self.building or self.view).query

    def show_query(self, query: LogQuery) -> None:
        """Show the rows of ``query`` (raises QueryError at once for a bad pattern).

        Built here, or, when that means reading many lines back from the spill file, in a
        worker thread while the pane keeps showing the old rows ("filtering..." in its title).
        """
        view = self.view.with_query(query)
        if not view.costly():
            view.rebuild()
            self.set_view(view)
            return
        self.building = view
        self._update_title()
        self.run_worker(partial(self._build, view), thread=True, group="log-rebuild",
                        exit_on_error=False)

    def _build(self, view: LogView) -> None:
        view.rebuild()
        self.app.call_from_thread(self._built, view)

    def _built(self, view: LogView) -> None:
        if view is self.building:  # else a newer query replaced it meanwhile
            self.set_view(view)

    def look(self, find: Callable[[LogView, Callable[[], bool]], Match | None],
             done: Callable[[int | None], None], what: str) -> None:
        """Run a search or a jump (``find`` over a view, giving the row it lands on) and
        hand the row's index to ``done``, after unfolding its episode if it is in one.

        Where that reads many lines back (``LogView.costly_lookup``: a big file) it runs in
        a worker thread over a ``snapshot`` while the keys stay live, ``what...`` in the
        title; a newer lookup makes the older stop and drops its result."""
        self._lookups += 1
        number = self._lookups
        if not self.view.costly_lookup():
            self.looking = None
            done(self._land(find(self.view, lambda: False)))
            return
        self.looking = what
        self._update_title()
        self.run_worker(partial(self._look, number, self.view.snapshot(), find, done),
                        thread=True, group="log-look", exit_on_error=False)

    def _look(self, number: int, view: LogView,
              find: Callable[[LogView, Callable[[], bool]], Match | None],
              done: Callable[[int | None], None]) -> None:
        try:
            match = find(view, lambda: number != self._lookups)
        except Exception as exc:  # said, and the pane no longer says "searching..."
            self.app.call_from_thread(self._failed, number, exc)
            return
        self.app.call_from_thread(self._looked, number, match, done)

    def _failed(self, number: int, exc: Exception) -> None:
        if number == self._lookups:
            self.looking = None
            self._update_title()
            self.notify(f"{exc.__class__.__name__}: {exc}", title="lookup failed",
                        severity="error")

    def _looked(self, number: int, match: Match | None,
                done: Callable[[int | None], None]) -> None:
        if number != self._lookups:  # a newer lookup replaced it
            return
        self.looking = None
        self._update_title()
        done(self._land(match))

    def _land(self, match: Match | None) -> int | None:
        if match is None:
            return None
        folded = len(self.view.expanded)
        index = self.view.show_match(match)
        if len(self.view.expanded) != folded:  # the match was inside a folded episode
            self.refresh_rows()
        return index

    # Called by the screen when the store grew or the query changed.
    def refresh_rows(self) -> None:
        self.view.sync()
        laid_out = self._set_rows(len(self.view.rows))
        if self.follow:
            self.cursor = max(0, len(self.view.rows) - 1)
            self.scroll_end(animate=False, immediate=True)
            if not laid_out:
                # The new virtual size counts only after the next layout: a burst of more
                # rows than the pane holds left the view short of the end (measured: 60
                # lines at once, "following" in the title, the pane still at row 0 of 63).
                self.call_after_refresh(self._follow_end)
        else:
            if self.view.cut:  # the oldest rows went (history bound): stay on the same line
                self.cursor -= min(self.cursor, self.view.cut)
                self.scroll_to(y=max(0, self.scroll_offset.y - self.view.cut), animate=False,
                               immediate=True)
            self.cursor = min(self.cursor, max(0, len(self.view.rows) - 1))
        self._update_title()
        self.refresh()

    def _set_rows(self, rows: int) -> bool:
        """Make the scrollable height ``rows`` (width 0: long lines are cut at the pane's
        edge rather than scrolled sideways). True when it counts at once: the vertical
        scrollbar was shown and stays shown, so only the scrollbar and the scroll range
        change, not the pane's size. Then the screen is not laid out again, which a new
        ``virtual_size`` asks for: under a flood of lines that layout of every widget, 20
        times a second, cost more than drawing the new rows."""
        size = Size(0, rows)
        if size == self.virtual_size:
            return True
        height = self.container_size.height - self.scrollbar_size_horizontal
        update = getattr(self, "_scroll_update", None)  # Textual's own, after a layout
        if (update is None or not self.show_vertical_scrollbar or height <= 0
                or self.virtual_size.height <= height or rows <= height):
            self.virtual_size = size  # a layout follows (the scrollbar may come or go)
            return False
        self.set_reactive(KernelLogPane.virtual_size, size)
        update(size)  # the scrollbar's range, the scroll offset kept within it
        return True

    def _follow_end(self) -> None:
        if self.follow:
            self.scroll_end(animate=False, immediate=True)

    def _update_title(self) -> None:
        q = self.view.query
        parts = [f"Kernel log: {visible_row(q.node or 'all nodes')}"]
        if q.text:
            parts.append(f"filter {'re:' if q.regex else ''}{q.text!r}")
        if q.since or q.until:
            since = timefmt.short(q.since, date=self._dated()) if q.since else ""
            until = timefmt.short(q.until, date=self._dated()) if q.until else ""
            parts.append(f"window {since}..{until}")
        parts.append(f"{len(self.view.rows)} rows")
        store = self.view.store
        if getattr(store, "lazy_times", False):  # a file view: every line is in the file
            progress = getattr(store, "progress", None)  # "facts 43%" (state.file_log)
            if progress:
                parts.append(progress)
        elif store.archived:
            parts.append(f"{store.archived} older on disk")
        if store.dropped > store.archived:
            parts.append(f"{store.dropped - store.archived} oldest dropped")
        if self.building is not None:
            parts.append("filtering...")
        if self.looking is not None:
            parts.append(f"{self.looking}...")
        parts.append("following" if self.follow else "PAUSED")
        self.border_title = " | ".join(parts)

    @property
    def current_row(self) -> Row | None:
        rows = self.view.rows
        return rows[self.cursor] if 0 <= self.cursor < len(rows) else None

    def _dated(self) -> bool:
        """The rows span days: each time is shown with its date."""
        rows = self.view.rows
        return len(rows) > 1 and timefmt.spans_days(rows[0].at, rows[-1].at)

    def render_lines(self, crop: Region) -> list[Strip]:
        """Every line of one redraw, with what they share read once for all (each of the
        widget's style, its width and the date question is a walk over the DOM or the
        rows: under a flood the pane redraws all its lines 20 times a second)."""
        self._redraw = _Redraw(self.rich_style, self.scrollable_content_region.width,
                               self.scroll_offset, self.has_focus, self._dated())
        try:
            return super().render_lines(crop)
        finally:
            self._redraw = None

    def render_line(self, y: int) -> Strip:
        redraw = self._redraw or _Redraw(self.rich_style, self.scrollable_content_region.width,
                                         self.scroll_offset, self.has_focus, self._dated())
        scroll_x, scroll_y = redraw.offset
        index = scroll_y + y
        width = redraw.width
        if index >= len(self.view.rows):
            return Strip.blank(width, redraw.style)
        row = self.view.rows[index]
        segments = self._segments(row, redraw.dated)
        if index == self.cursor and redraw.focus:
            segments = [Segment(s.text, (s.style or Style()) + Style.parse(CURSOR_STYLE))
                        for s in segments]
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, redraw.style)

    def _segments(self, row: Row, dated: bool | None = None) -> list[Segment]:
        if dated is None:
            dated = self._dated()
        if row.episode is not None:
            ep = row.episode
            mark = "▶" if row.folded else "▼"
            node = f"{ep.node} " if self.merged else ""
            when = f"{timefmt.short(row.at, date=dated)} "
            return [Segment(visible_row(f"{mark} {when}{node}{ep.summary}"),
                            Style.parse(EPISODE_STYLE))]
        entry = row.entry
        assert entry is not None
        line = entry.line
        body = ("    " + line.message.strip()) if line.continuation else line.message
        prefix = (f"  {timefmt.short(entry.at, date=dated)} "
                  + (visible_row(f"{entry.node} ") if self.merged else ""))
        colour = "red" if entry.episode_id is not None else SEVERITY_STYLE.get(entry.severity, "")
        return [Segment(prefix, Style.parse("dim")),
                Segment(visible_row(body), Style.parse(colour))]

    # Actions -------------------------------------------------------------------------------
    def move_to(self, index: int) -> None:
        rows = len(self.view.rows)
        if rows == 0:
            return
        self.cursor = max(0, min(index, rows - 1))
        self.follow = self.cursor == rows - 1 and self.follow
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        if self.cursor < top or self.cursor >= top + height:
            self.scroll_to(y=max(0, self.cursor - height // 2), animate=False, immediate=True)
        self._update_title()
        self.refresh()
        self.post_message(self.CursorMoved(self.cursor))

    def action_cursor(self, delta: int) -> None:
        self.follow = False
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.follow = False
        self.move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self.follow = False
        self.move_to(0)

    def action_last(self) -> None:
        self.follow = True
        self.refresh_rows()

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        self.refresh_rows()

    def action_toggle_fold(self) -> None:
        row = self.current_row
        if row is None:
            return
        eid = row.episode.id if row.episode is not None else (
            row.entry.episode_id if row.entry is not None else None)
        if eid is None:
            return
        self.view.toggle(eid)
        target = self.view.row_for_episode(eid)
        self.follow = False
        self.refresh_rows()
        if target is not None:
            self.move_to(target)

    def action_fold_all(self, fold: bool = True) -> None:
        """``z`` folds every episode, ``Z`` unfolds every one (not a toggle: pressing ``z``
        twice must not open 37 hang blocks)."""
        self._all_folded = fold
        self.view.set_all_folded(fold)
        self.refresh_rows()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
