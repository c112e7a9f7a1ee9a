"""In the real lab: the NIC state is read again right after a runbook action on the node, not
at the next poll (here 300 s away). The offloads are changed with the real ethtool on pve02's
eno1, the action event goes through the live set's reaction, and the next reading shows them
off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from labconsole.events import NicText, OperatorAction
from labconsole.parse.ethtool import parse_features
from labconsole.sources.live import LiveSet
from labconsole.sources.nic_poll import NicPollSource
from labconsole.sources.ssh import SshPool
from tests.lab.collect import Collector, running
from tests.lab.labnet import Lab

pytestmark = pytest.mark.lab


@pytest.fixture
def offloads_restored(lab: Lab) -> Iterator[None]:
    yield
    lab.node_exec("pve02", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"],
                  check=False)


def _tso(event: NicText) -> bool | None:
    return parse_features(event.features).tso


def test_an_action_rereads_the_nic_at_once(lab: Lab, offloads_restored: None) -> None:
    lab.node_exec("pve02", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])

    async def scenario() -> list[bool | None]:
        pool = SshPool([lab.ssh_target("pve02")])
        nic = NicPollSource(pool.node("pve02"), "eno1", interval=300)
        live = LiveSet(pool=pool, sources=[pool, nic], nics={("pve02", "eno1"): nic})
        col = Collector()
        async with running(pool, nic, collector=col):
            await col.wait_for(lambda: len(col.of(NicText)) >= 1, 20, "the first reading")
            lab.node_exec("pve02", ["ethtool", "-K", "eno1", "tso", "off", "gso", "off",
                                    "gro", "off"])
            live.react(OperatorAction(at=datetime.now(timezone.utc), source="runbook",
                                      node="pve02", runbook="e1000e-tx-hang",
                                      step="offloads-off", command="ethtool -K eno1 ...",
                                      status="ok"))
            await col.wait_for(lambda: len(col.of(NicText)) >= 2, 20,
                               "a second reading long before the 300 s poll")
        await pool.close()
        return [_tso(e) for e in col.of(NicText)]

    readings = lab.run_in_ops(scenario, timeout=60)
    assert readings[:2] == [True, False]
