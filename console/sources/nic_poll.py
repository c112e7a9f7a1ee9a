"""NIC state of one interface on one node: ``ethtool -k``, ``ethtool -i`` and the link state.

Fetched in one SSH round trip (:func:`remote_command.nic_snapshot`), on start, on a slow
interval, and at once when :meth:`NicPollSource.refresh` is called (the runbook calls it right
after a remediation so the panel shows the result without waiting for the interval).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field

from labconsole.clock import Clock, system_clock
from labconsole.events import NicText
from labconsole.sources.base import Emit
from labconsole.sources.remote_command import nic_snapshot, split_snapshot, validate_iface
from labconsole.sources.ssh import NodeConnection, SshError


def link_state(ip_json: str) -> str | None:
    """``up``/``down`` from ``ip -j link show dev IF`` output; None when it says neither."""
    try:
        data = json.loads(ip_json)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deeply
        return None
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return None
    entry = data[0]
    oper = str(entry.get("operstate", "")).lower()
    if oper in ("up", "down"):
        return oper
    # some drivers report UNKNOWN; then the carrier flag (LOWER_UP) decides
    flags = entry.get("flags")
    if isinstance(flags, list):
        return "up" if "UP" in flags and "LOWER_UP" in flags else "down"
    return None


@dataclass
class NicPollSource:
    conn: NodeConnection
    iface: str
    interval: float = 60.0
    command_timeout: float = 10.0
    clock: Clock = system_clock
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        validate_iface(self.iface)
        self.name = f"nic:{self.conn.node}:{self.iface}"
        self._wake = asyncio.Event()

    def refresh(self) -> None:
        """Fetch now (e.g. right after ``ethtool -K``), instead of at the next interval."""
        self._wake.set()

    async def run(self, emit: Emit) -> None:
        while True:
            self._wake.clear()
            event = await self.fetch()
            if event is not None:
                await emit(event)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    async def fetch(self) -> NicText | None:
        """One snapshot as a NicText; None (with the reason in ``errors``) when unreachable."""
        try:
            res = await self.conn.run(nic_snapshot(self.iface), timeout=self.command_timeout,
                                      wait=self.command_timeout)
        except SshError as exc:
            self.errors.append(str(exc))
            del self.errors[:-50]
            return None
        parts = split_snapshot(res.stdout)
        return NicText(at=self.clock(), source=self.name, node=self.conn.node, iface=self.iface,
                       features=parts["features"], driver=parts["driver"],
                       link=link_state(parts["link"]))
