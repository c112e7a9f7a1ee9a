"""Known-bad NIC drivers as data: ``nic_warnings.toml`` next to this module.

The NIC panel's warnings ("e1000e tso/gso on: known TX hang race") are claims about drivers;
each lives in the TOML file with the sources it rests on, so adding a driver (or correcting a
claim) is a data change with its evidence, not a code change.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from labconsole.model.offloads import Offloads

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

OFFLOAD_NAMES = ("tso", "gso", "gro")


class NicWarningsError(ValueError):
    """The warnings file is malformed (a bug in the shipped data, caught by the tests)."""


@dataclass(frozen=True, slots=True)
class NicWarning:
    drivers: tuple[str, ...]
    offloads_on: tuple[str, ...]
    text: str
    claim: str
    sources: tuple[str, ...]

    def message(self, driver: str, offloads: Offloads | None) -> str | None:
        """The panel's warning for a NIC of ``driver`` with ``offloads``, or None."""
        if driver not in self.drivers or offloads is None:
            return None
        on = [name for name in self.offloads_on if offloads.flag_by_short(name)]
        if not on:
            return None
        return f"{driver} {'/'.join(on)} on: {self.text}"


def parse_warnings(text: str) -> tuple[NicWarning, ...]:
    """The ``[[warning]]`` tables of a warnings file; every one must carry sources."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NicWarningsError(f"not TOML: {exc}") from None
    out = []
    for n, row in enumerate(data.get("warning", []), 1):
        try:
            warning = NicWarning(
                drivers=tuple(row["drivers"]), offloads_on=tuple(row["offloads_on"]),
                text=str(row["text"]), claim=" ".join(str(row["claim"]).split()),
                sources=tuple(row["sources"]),
            )
        except (KeyError, TypeError) as exc:
            raise NicWarningsError(f"warning {n}: missing or bad key {exc}") from None
        if not warning.sources or not all(s.strip() for s in warning.sources):
            raise NicWarningsError(f"warning {n}: a claim needs at least one source")
        if not warning.drivers or not set(warning.offloads_on) <= set(OFFLOAD_NAMES):
            raise NicWarningsError(f"warning {n}: drivers and offloads_on "
                                   f"(from {', '.join(OFFLOAD_NAMES)}) are required")
        out.append(warning)
    return tuple(out)


@lru_cache(maxsize=1)
def known_bad() -> tuple[NicWarning, ...]:
    """The shipped warnings (read beside this module: the package is installed as files, and
    ``importlib.resources`` with its zipfile support cost the first frame 3 ms more)."""
    text = Path(__file__).with_name("nic_warnings.toml").read_text("utf-8")
    return parse_warnings(text)


def nic_warning(driver: str | None, offloads: Offloads | None) -> str | None:
    """The first shipped warning that applies to this NIC, or None."""
    if driver is None:
        return None
    for warning in known_bad():
        message = warning.message(driver, offloads)
        if message is not None:
            return message
    return None
