"""Configuration problems: each names the file, the TOML key path and what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem. ``key`` is a TOML key path (``clusters[0].nodes[2].address``), or a
    ``line L, column C`` position for a syntax error, or empty for the file as a whole."""

    file: str
    key: str
    problem: str

    def __str__(self) -> str:
        if not self.key:
            return f"{self.file}: {self.problem}"
        return f"{self.file}: {self.key}: {self.problem}"


class ConfigError(Exception):
    """The configuration is unusable; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
