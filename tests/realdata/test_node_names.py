"""Node names of replayed log files (issue 14): the host from the content, never a PID, a
subsystem tag or a vmkernel prefix in the host's place; a name from the file name says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.sources.replay import iter_log_file


@pytest.mark.parametrize(("name", "expected"), [
    ("corosync_12_logfile_function_names_trailing_spaces.log",
     {"file:corosync_12_logfile_function_names_trailing_spaces"}),  # "[25591]" is a PID
    ("corosync_11_knet_stripped_no_host.log", {"file:corosync_11_knet_stripped_no_host"}),
    ("nic_watchdog_10_esxi_vmkernel_vmnic1.log", {"file:nic_watchdog_10_esxi_vmkernel_vmnic1"}),
    ("corosync_03_pve_members_left_pmxcfs.log", {"px1"}),
    ("nic_watchdog_07_igb_q5_numeric_host.log", {"11008211"}),  # a numeric host name
    ("corosync_09_azure_docs_anonymized_host.log", {"node  02"}),
])
def test_node_names(realdata: Path, name: str, expected: set[str]) -> None:
    assert {e.node for e in iter_log_file(realdata / "logs" / name)} == expected
