"""The real 3-node lab as a session fixture (tests/lab/labnet.py builds it; DESIGN.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.lab.labnet import Lab, cleanup_stale, interfaces_text, missing_requirements


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
        _restore_interfaces(lab, name)
    lab.bridge_up()
    lab.wait_votes(len(lab.nodes), timeout=30)


def _restore_interfaces(lab: Lab, name: str) -> None:
    """A test that persisted the offload hook (typed at the node's console, say) and did not
    roll it back leaves the node's interfaces file as the next runbook test must not find it:
    put the installer's file back (the running vmbr0 is unchanged by the file alone)."""
    node = lab.node(name)
    original = interfaces_text(node.addr)
    if node.interfaces_file.read_text() != original:
        node.interfaces_file.write_text(original)
