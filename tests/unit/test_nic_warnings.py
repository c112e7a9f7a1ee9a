"""The NIC panel's known-bad warnings are data with sources (model/nic_warnings.toml)."""

from __future__ import annotations

import pytest

from labconsole.model.nic_warnings import NicWarningsError, known_bad, nic_warning, parse_warnings
from labconsole.model.offloads import GRO, GSO, TSO, Offloads


def offloads(tso: str, gso: str, gro: str = "on") -> Offloads:
    return Offloads("eno1", {TSO: tso, GSO: gso, GRO: gro})


def test_every_shipped_claim_has_sources() -> None:
    warnings = known_bad()
    assert {d for w in warnings for d in w.drivers} >= {"e1000e", "e1000"}
    for w in warnings:
        assert w.sources and all(len(s) > 20 for s in w.sources)
        assert w.claim and w.text


@pytest.mark.parametrize(
    ("driver", "off", "want"),
    [
        ("e1000e", offloads("on", "on"), "e1000e tso/gso on: known TX hang race"),
        ("e1000e", offloads("off", "on"), "e1000e gso on: known TX hang race"),
        ("e1000e", offloads("off", "off"), None),  # gro alone is not the race
        ("e1000e", offloads("off [fixed]", "off"), None),
        ("e1000e", None, None),
        ("e1000", offloads("on", "off"),
         "e1000 tso on: TX unit hangs reported; e1000e's offload fix may apply"),
        ("igb", offloads("on", "on"), None),
        (None, offloads("on", "on"), None),
    ],
)
def test_warning_per_driver(driver: str | None, off: Offloads | None, want: str | None) -> None:
    assert nic_warning(driver, off) == want


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[[warning]]\ndrivers=["x"]\noffloads_on=["tso"]\ntext="t"\nclaim="c"\nsources=[]\n',
         "needs at least one source"),
        ('[[warning]]\ndrivers=["x"]\noffloads_on=["tso"]\ntext="t"\nclaim="c"\n', "sources"),
        ('[[warning]]\ndrivers=["x"]\noffloads_on=["lro"]\ntext="t"\nclaim="c"\n'
         'sources=["somewhere"]\n', "offloads_on"),
        ("[[warning]\n", "not TOML"),
    ],
)
def test_bad_data_is_a_clear_error(text: str, error: str) -> None:
    with pytest.raises(NicWarningsError, match=error):
        parse_warnings(text)
