"""One problem found by ``labconsole check``: ``node: what: problem: how to fix``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """``where`` is a node name, ``cluster NAME`` or ``console``; ``what`` the thing checked
    (``ssh key``, ``command ethtool``); ``problem`` what is wrong; ``fix`` what to do."""

    where: str
    what: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}: {self.problem}: {self.fix}"
