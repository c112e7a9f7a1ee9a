"""The project's own CEF fixtures (a synthetic pve03 switch-reboot incident, escaping, errors)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from labconsole.parse.cef import CefParseError, find_cef, looks_like_cef, parse_cef

UTC = timezone.utc


def lines(fixtures: Path, name: str) -> list[str]:
    return (fixtures / "cef" / name).read_text(encoding="utf-8").splitlines()


def test_switch_reboot_incident(fixtures: Path) -> None:
    events = [parse_cef(line, default_year=2026) for line in lines(fixtures,
                                                                   "unifi_switch_reboot.log")]
    assert [(e.signature_id, e.name, e.severity, e.host, e.time) for e in events] == [
        ("210", "Device Offline", "8", "udm-lab",
         datetime(2026, 11, 25, 6, 2, 11, 120000, tzinfo=UTC)),
        ("404", "Wired Client Disconnected", "2", "udm-lab",
         datetime(2026, 11, 25, 6, 2, 12, 300000, tzinfo=UTC)),
        ("211", "Device Online", "3", "UDM-LAB",
         datetime(2026, 11, 25, 6, 10, 4, 870000, tzinfo=UTC)),
        ("403", "Wired Client Connected", "1", None, datetime(2026, 11, 25, 6, 11, 30, tzinfo=UTC)),
        ("admins", "", "1", "udm-lab", datetime(2026, 11, 25, 6, 15)),
        ("404", "Wired Client Disconnected", "2", "udm-lab",
         datetime(2026, 11, 25, 6, 19, 3, 500000, tzinfo=UTC)),
    ]
    assert {e.product for e in events} == {"UniFi Network", "UniFi OS"}
    assert events[0].extensions["UNIFIdeviceName"] == "USW Lab 24"
    assert events[1].extensions["UNIFIclientAlias"] == "pve03 02:13"
    assert events[3].extensions["UNIFIconnectedToDevicePort"] == "3"
    assert events[4].extensions == {
        "msg": "operator accessed the UniFi OS locally. Source IP: 192.168.10.50"}
    assert events[5].to_json()["time"] == "2026-11-25T06:19:03.500000+00:00"


def test_escaping_fixture(fixtures: Path) -> None:
    first, second, third = (parse_cef(line) for line in lines(fixtures, "escaping.cef"))
    assert (first.vendor, first.product, first.signature_id, first.name) == (
        "Lab|Vendor", "Sensor\\One", "esc|1", "pipe | and backslash \\ in header")
    assert first.extensions == {
        "act": "held a \\ path", "cs1": "a=b", "cs1Label": "Rule=Name",
        "msg": "first\nsecond\rthird pipe | raw",
    }
    assert (second.name, second.severity) == ("unknown escape \\t kept", "Low")
    assert second.extensions == {"filePath": "C:\\temp\n" + "ew", "dup": "two"}
    assert second.notes == ("duplicate extension key 'dup': last value kept",)
    assert (third.vendor, third.severity, third.extensions) == ("", "", {"note": "empty header"})


def test_not_cef_and_malformed_fixture(fixtures: Path) -> None:
    kernel, short, free = lines(fixtures, "not_cef_and_malformed.log")
    assert find_cef(kernel) == -1
    with pytest.raises(CefParseError, match="header has 3 of 7"):
        parse_cef(short)
    recovered = parse_cef(free)
    assert any("extension does not start with key=value" in n for n in recovered.notes)
    assert looks_like_cef((fixtures / "cef" / "not_cef_and_malformed.log").read_bytes())
