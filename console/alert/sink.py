"""What every alert sink is: a name and an async ``send`` that delivers or raises."""

from __future__ import annotations

from typing import Protocol

from labconsole.alert.message import IncidentAlert


class DeliveryError(Exception):
    """One delivery attempt failed; the message says why in the operator's words."""


class Sink(Protocol):
    name: str

    async def send(self, alert: IncidentAlert) -> None:
        """Deliver ``alert`` once, or raise DeliveryError (the dispatcher retries)."""
        ...
