"""What a report was built from (the live console, a replay of files, the bundled demo).

Its own module, importing nothing heavy: the app holds one before the first frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["DataSource", "SourceKind"]

SourceKind = Literal["live", "replay", "demo"]


@dataclass(frozen=True, slots=True)
class DataSource:
    """What a report was built from, named in every form of it: the live console, a replay
    of files (recordings or logs), or the bundled demo. The console's ``i`` and
    ``labconsole report`` name the same data the same way."""

    kind: SourceKind
    paths: tuple[str, ...] = ()

    @classmethod
    def of_paths(cls, paths: Sequence[str | Path]) -> DataSource:
        return cls("replay", tuple(str(p) for p in paths))

    @classmethod
    def demo(cls) -> DataSource:
        """The bundled demo recording, by its package path (not where it is installed)."""
        from labconsole.demo import DEMO_NAME

        return cls("demo", (DEMO_NAME,))

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "paths": list(self.paths)}
