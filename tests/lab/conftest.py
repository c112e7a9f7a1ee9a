"""The real 3-node lab as a session fixture (tests/lab/labnet.py builds it; DESIGN.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lab.labnet import Lab, cleanup_stale, missing_requirements


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """A started lab (3/3 quorate, sshd up on every node); torn down even after failures."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    cleanup_stale()
    lab = Lab()
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def healthy_lab(lab: Lab) -> Iterator[Lab]:
    """The session lab, restored to full health after a test that broke something."""
    yield lab
    for name in lab.nodes:
        lab.link_up(name)
        lab.clear_tx(name)
        if lab.node(name).corosync is None or lab.node(name).corosync.poll() is not None:  # type: ignore[union-attr]
            lab.start_corosync(name)
        if lab.node(name).sshd is None or lab.node(name).sshd.poll() is not None:  # type: ignore[union-attr]
            lab.start_sshd(name)
    lab.bridge_up()
    lab.wait_votes(len(lab.nodes), timeout=30)
