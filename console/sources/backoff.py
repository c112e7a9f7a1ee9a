"""Capped exponential backoff with jitter, pure (the RNG is injected so tests are exact).

"Full jitter" (delay drawn uniformly from [base*2^n * (1-jitter), base*2^n], capped) spreads
reconnects of many sources after a switch reboot instead of having them all retry at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


class BackoffError(ValueError):
    """Invalid backoff parameters."""


@dataclass
class Backoff:
    """Delays for attempt 0, 1, 2, ...: ``base * factor**n`` capped at ``cap``, minus jitter.

    ``jitter`` is the fraction of the delay that may be removed at random (0 = deterministic,
    1 = full jitter). ``reset()`` after a success starts again from ``base``.
    """

    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.5
    rng: Callable[[], float] = field(default=random.random, repr=False)
    attempt: int = 0

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base:
            raise BackoffError(f"need 0 < base <= cap, got base={self.base} cap={self.cap}")
        if self.factor < 1:
            raise BackoffError(f"factor must be >= 1, got {self.factor}")
        if not 0 <= self.jitter <= 1:
            raise BackoffError(f"jitter must be within [0, 1], got {self.jitter}")

    def peek(self) -> float:
        """The un-jittered delay of the next attempt."""
        # min() before the power would overflow for large attempt counts
        exp = min(self.attempt, 64)
        return min(self.cap, self.base * self.factor**exp)

    def next_delay(self) -> float:
        """The delay to wait before the next attempt; advances the attempt counter."""
        ceiling = self.peek()
        self.attempt += 1
        return ceiling * (1.0 - self.jitter * self.rng())

    def reset(self) -> None:
        self.attempt = 0
