"""Backoff: exponential growth, the cap, jitter bounds and reset, with an injected RNG."""

from __future__ import annotations

import pytest

from labconsole.sources.backoff import Backoff, BackoffError


def test_grows_exponentially_then_caps_without_jitter() -> None:
    b = Backoff(base=0.5, factor=2, cap=4, jitter=0)
    assert [b.next_delay() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_jitter_removes_up_to_the_fraction_given() -> None:
    draws = iter([0.0, 1.0, 0.5])
    b = Backoff(base=1, factor=2, cap=100, jitter=0.5, rng=lambda: next(draws))
    assert b.next_delay() == 1.0  # rng 0 -> full delay
    assert b.next_delay() == 1.0  # 2 * (1 - 0.5*1)
    assert b.next_delay() == 3.0  # 4 * (1 - 0.5*0.5)


def test_reset_starts_from_base_again() -> None:
    b = Backoff(base=0.25, cap=10, jitter=0)
    for _ in range(5):
        b.next_delay()
    b.reset()
    assert b.next_delay() == 0.25


def test_huge_attempt_counts_stay_at_the_cap() -> None:
    b = Backoff(base=1, cap=30, jitter=0, attempt=10_000)
    assert b.next_delay() == 30


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({"base": 0}, "base"), ({"base": 5, "cap": 1}, "cap"), ({"factor": 0.5}, "factor"),
     ({"jitter": 1.5}, "jitter")],
)
def test_bad_parameters_are_refused_with_the_reason(kwargs: dict[str, float], word: str) -> None:
    with pytest.raises(BackoffError, match=word):
        Backoff(**kwargs)  # type: ignore[arg-type]
