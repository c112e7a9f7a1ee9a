"""Benchmark results: rows, targets and notes; printed as a table, written as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

Cell = str | int | float | bool | None


@dataclass
class Target:
    """One target from issue 9: what it asks, what was measured, whether it holds."""

    name: str
    goal: str
    measured: str
    met: bool | None  # None: could not be measured (the reason is in ``measured``)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "goal": self.goal, "measured": self.measured,
                "met": self.met}


@dataclass
class BenchResult:
    name: str
    columns: list[str]
    rows: list[dict[str, Cell]] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "columns": self.columns, "rows": self.rows,
                "targets": [t.to_json() for t in self.targets], "notes": self.notes,
                "extra": self.extra}


def fmt_cell(value: Cell) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:.0f}"
        if value >= 10:
            return f"{value:.1f}"
        if value >= 0.01:
            return f"{value:.2f}"
        return f"{value:.3g}"
    return str(value)


def text_table(columns: list[str], rows: list[dict[str, Cell]]) -> str:
    """A plain fixed-width table (the terminal output)."""
    cells = [[fmt_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells)
    return "\n".join(lines)


def markdown_table(columns: list[str], rows: list[dict[str, Cell]]) -> str:
    """The same table in Markdown, for the README."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines.extend("| " + " | ".join(fmt_cell(r.get(c)) for c in columns) + " |" for r in rows)
    return "\n".join(lines)


def targets_table(targets: list[Target]) -> list[dict[str, Cell]]:
    return [{"target": t.name, "goal": t.goal, "measured": t.measured,
             "met": "n/a" if t.met is None else ("yes" if t.met else "NO")} for t in targets]


def render(result: BenchResult, *, markdown: bool = False) -> str:
    table = markdown_table if markdown else text_table
    parts = [f"## {result.name}", "", table(result.columns, result.rows)]
    if result.targets:
        parts += ["", table(["target", "goal", "measured", "met"],
                            targets_table(result.targets))]
    if result.notes:
        parts += [""] + [f"- {n}" for n in result.notes]
    return "\n".join(parts)


def write_json(result: BenchResult, machine: dict[str, object], out_dir: Path,
               *, quick: bool) -> Path:
    """``<out_dir>/<name>-<date>.json`` (a second run the same day adds the time)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    path = out_dir / f"{result.name}-{now:%Y-%m-%d}.json"
    if path.exists():
        path = out_dir / f"{result.name}-{now:%Y-%m-%d-%H%M%S}.json"
    body = {"benchmark": result.name, "quick": quick, "machine": machine, **result.to_json()}
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path
