"""A short coverage-guided fuzz run of every parser (atheris), bounded: about one second of
fuzzing per parser, two at a time (``make fuzz`` runs a minute each). A crash, a foreign
exception or an input running longer than the per-input timeout fails the test."""

from __future__ import annotations

import importlib.util

import pytest

from tests.fuzz.run import run_target
from tests.fuzz.targets import TARGETS

pytestmark = pytest.mark.skipif(importlib.util.find_spec("atheris") is None,
                                reason="atheris not installed (pip install atheris)")


def test_every_parser_survives_a_short_atheris_run(tmp_path_factory: pytest.TempPathFactory
                                                    ) -> None:
    from concurrent.futures import ThreadPoolExecutor

    out = tmp_path_factory.mktemp("fuzz")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda name: run_target(name, 1, out), sorted(TARGETS)))
    failed = [f"{r.target}: {r.detail}" for r in results if not r.ok]
    assert not failed, "\n\n".join(failed)
    for r in results:  # each parser really ran: libFuzzer reported its executions
        assert r.inputs > 0, r
