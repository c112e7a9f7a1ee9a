"""CEF parser over the real published samples (G* spec vectors, U* UniFi captures).

Expected values were written by reading each sample. The last tests run ``pycef`` over the
G* vectors and pin down where it fails: the reason ``labconsole.parse.cef`` is our own.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from labconsole.parse.cef import CefParseError, find_cef, looks_like_cef, parse_cef

UTC = timezone.utc
Row = tuple[str, str, str, str, str, str, str | None, datetime | None, dict[str, str]]
# vendor, product, version, signature_id, name, severity, host, time, some extensions
SPEC_A: Row = ("security", "threatmanager", "1.0", "100", "detected a | in message", "10", None,
               None, {"src": "10.0.0.1", "act": "blocked a |", "dst": "1.1.1.1"})
SPEC_B: Row = ("security", "threatmanager", "1.0", "100", "detected a \\ in packet", "10", None,
               None, {"src": "10.0.0.1", "act": "blocked a \\", "dst": "1.1.1.1"})
SPEC_C: Row = ("security", "threatmanager", "1.0", "100", "detected a = in message", "10", None,
               None, {"src": "10.0.0.1", "act": "blocked a =", "dst": "1.1.1.1"})
F3 = {"field9": "value9", "field8": "value8"}


def prefixed(row: Row, host: str, time: datetime) -> Row:
    return (row[0], row[1], row[2], row[3], row[4], row[5], host, time, row[8])


EXPECTED: dict[str, list[Row]] = {
    "cef_raw/cef_spec_01_arcsight_escaping_examples.txt": [SPEC_A, SPEC_B, SPEC_C],
    "cef_raw/cef_spec_02_arcsight_examples_with_syslog_prefix.txt": [
        prefixed(SPEC_A, "host", datetime(2026, 9, 19, 8, 26, 10)),
        prefixed(SPEC_B, "host", datetime(2026, 9, 19, 8, 26, 10)),
        SPEC_B,
    ],
    "cef_raw/cef_pycef_testdata.cef": [
        ("pycef", "python CEF tests", "1", "2", "Test event 1", "3", None, None,
         {"field1": "value1", "field2": "value2", "field3": "value3"}),
        ("pycef", "python CEF tests", "4", "5", "Test event 2", "6", None, None,
         {"field4": "value4", "field5": "value5", "field6": "value6"}),
        ("pycef", "python CEF tests", "7", "8", "Test event 3", "9", None, None, F3),
    ],
    "cef_raw/cef_pycef_testdata-pipes.cef": [
        ("pycef", "python CEF tests", "1", "2", "Test pipe event 1", "3", None, None,
         {"field1": "value1", "field2": "value2|more", "field3": "value3"}),
    ],
    "cef_raw/cef_pycef_testdata-syslog.txt": [
        ("pycef", "python CEF tests", "1", "2", "Test event 1", "3",
         "arcsightfwd.davidbianco.io", datetime(2026, 11, 16, 21, 24, 18),
         {"field1": "value1", "field2": "value2", "field3": "value3"}),
    ],
    "cef_raw/cef_pycef_testdata-missing-header-values.cef": [
        ("", "python CEF tests", "1", "2", "Test event 1", "3", None, None,
         {"field1": "value1", "field2": "value2", "field3": "value3"}),
        ("pycef", "", "4", "5", "Test event 2", "6", None, None,
         {"field4": "value4", "field5": "value5", "field6": "value6"}),
        ("pycef", "python CEF tests", "", "8", "Test event 3", "9", None, None, F3),
        ("pycef", "python CEF tests", "7", "", "Test event 3", "9", None, None, F3),
        ("pycef", "python CEF tests", "7", "8", "", "9", None, None, F3),
        ("pycef", "python CEF tests", "7", "8", "Test event 3", "", None, None, F3),
        ("", "python CEF tests", "7", "", "Test event 3", "9", None, None, F3),
        ("", "", "", "", "", "", None, None, F3),
    ],
    "cef_raw/cef_format_cef_pypi_example.txt": [
        ("acme corp", "TNT", "1.0", "404 | not found", "Explosives not found", "10", None, None,
         {"act": "bang = !"}),
    ],
    "cef_raw/cef_raccoon_siem_unicode_vendor.txt": [
        ("\u0435\u043d\u043e\u0442", "threatmanager", "1.0", "100", "detected a | in message",
         "10", None, None, {"src": "10.0.0.1", "act": "blocked message", "dst": "1.1.1.1"}),
    ],
    "logs/unifi_cef_01_ips_block_syslog_prefix_9.4.19.log": [
        ("Ubiquiti", "UniFi Network", "9.4.19", "201", "Threat Detected and Blocked", "7",
         "Express-7", datetime(2025, 8, 30, 17, 53, 21, 915000, tzinfo=UTC),
         {"proto": "TCP", "spt": "52331", "dpt": "443", "UNIFIcategory": "Security",
          "UNIFIsubCategory": "Intrusion Prevention", "UNIFIhost": "Express 7",
          "UNIFIipsSignature": "ET DROP Dshield Block Listed Source group 1",
          "UNIFIipsSignatureId": "2402000", "UNIFIutcTime": "2025-08-30T17:53:21.915Z"}),
    ],
    "logs/unifi_cef_03_unifi_os_malformed_header.log": [
        ("Ubiquiti", "UniFi OS", "4.3.6", "admins", "", "1", "pandora",
         datetime(2026, 8, 5, 20, 34, 54), {}),
    ],
    "logs/unifi_cef_05_unifi_os_admin_config_change.log": [
        ("Ubiquiti", "UniFi OS", "5.1.31", "1005", "Admin Made Config Changes", "2", None, None,
         {"UNIFIhost": "Host", "UNIFIdeviceName": "UDM-Pro", "UNIFIdeviceModel": "UDMPRO",
          "UNIFIdeviceMac": "68:D7:9A:35:AF:41", "UNIFIdeviceVersion": "5.1.31"}),
    ],
    "logs/unifi_cef_07_internet_down.log": [
        ("Ubiquiti", "UniFi Network", "10.5.67", "100", "Internet Down", "10", None,
         datetime(2026, 8, 25, 7, 22, 44, 467000, tzinfo=UTC),
         {"UNIFIcategory": "Internet and WAN", "UNIFIwanPort": "9",
          "UNIFIwanIsp": "Comcast Cable", "UNIFIwanId": "WAN1", "UNIFIwanSla": "Auto"}),
    ],
    "logs/unifi_cef_09_network_updated.log": [
        ("Ubiquiti", "UniFi Network", "10.6.101", "578", "Network Updated", "4", None,
         datetime(2026, 8, 28, 2, 28, 59, 64000, tzinfo=UTC),
         {"UNIFIcategory": "Software Updates", "UNIFIapplication": "UniFi Network",
          "UNIFIapplicationPriorVersion": "10.5.67",
          "msg": "UniFi Network has updated to 10.6.101"}),
    ],
    "logs/unifi_cef_11_ap_channel_change.log": [
        ("Ubiquiti", "UniFi Network", "10.5.67", "530", "AP Channel Change", "2", None,
         datetime(2026, 8, 20, 6, 1, 15, 74000, tzinfo=UTC),
         {"UNIFIdeviceName": "UAP-IW Basement Theater", "UNIFIcurrentChannel": "112",
          "UNIFIpriorChannel": "40"}),
    ],
    "logs/unifi_cef_13_wired_client_connected.log": [
        ("Ubiquiti", "UniFi Network", "10.6.106", "403", "Wired Client Connected", "1", None,
         datetime(2026, 9, 24, 22, 14, 35, 876000, tzinfo=UTC),
         {"UNIFIhost": "UCK G2 Plus", "UNIFIconnectedToDeviceName": "USW Pro Max 16 PoE",
          "UNIFIconnectedToDevicePort": "4", "UNIFIclientAlias": "IDRAC-R630 d8:14",
          "UNIFIlinkSpeed": "GbE", "UNIFInetworkVlan": "55"}),
    ],
    "logs/unifi_cef_15_wazuh_samples_double_header.log": [
        ("Ubiquiti", "UniFi Network", "10.4.57", "400", "WiFi Client Connected", "1",
         "CONTROLLER", datetime(2026, 7, 17, 8, 51, 14, 660000, tzinfo=UTC),
         {"UNIFIsite": "Site A", "UNIFIconnectedToDeviceName": "UNIAP-01",
          "UNIFIWiFiRssi": "-60", "UNIFIclientAlias": "PHONE-01"}),
        ("Ubiquiti", "UniFi Network", "10.4.57", "401", "WiFi Client Disconnected", "2",
         "CONTROLLER", datetime(2026, 7, 17, 8, 50, 35, 355000, tzinfo=UTC),
         {"UNIFIlastConnectedToWiFiRssi": "-67", "UNIFIduration": "31m 59s",
          "UNIFIusageDown": "16,52 KB", "UNIFIusageUp": "18,08 KB"}),
        ("Ubiquiti", "UniFi Network", "10.4.57", "402", "WiFi Client Roamed", "1",
         "CONTROLLER", datetime(2026, 7, 17, 8, 40, 42, 57000, tzinfo=UTC),
         {"UNIFIconnectedToDeviceName": "UNIAP-02", "UNIFIlastConnectedToDeviceName": "UNIAP-01",
          "UNIFIclientAlias": "LAPTOP-01 aa:11", "UNIFIlastConnectedToWiFiRssi": "-76"}),
        ("Ubiquiti", "UniFi Network", "10.4.57", "544", "Network Accessed", "4", "CONTROLLER",
         datetime(2026, 7, 17, 8, 14, 14, 329000, tzinfo=UTC),
         {"UNIFIcategory": "Audit", "UNIFIaccessMethod": "web", "src": "10.0.1.38"}),
        ("Ubiquiti", "UniFi Network", "10.4.57", "400", "WiFi Client Connected", "1",
         "CONTROLLER", datetime(2026, 7, 17, 8, 51, 20, tzinfo=UTC),
         {"UNIFIclientAlias": "TV-01", "UNIFIWiFiRssi": "-51"}),
    ],
}


def lines_of(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]




@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_parses_to_expected_values(realdata: Path, name: str) -> None:
    lines = lines_of(realdata / name)
    expected = EXPECTED[name]
    assert len(lines) == len(expected)
    for line, row in zip(lines, expected, strict=True):
        event = parse_cef(line, default_year=2026)
        got = (event.vendor, event.product, event.version, event.signature_id, event.name,
               event.severity, event.host, event.time)
        assert got == row[:8]
        assert {key: event.extensions.get(key) for key in row[8]} == row[8]


def test_every_cef_and_unifi_sample_is_covered(realdata: Path) -> None:
    names = {f"cef_raw/{p.name}" for p in (realdata / "cef_raw").iterdir()}
    names |= {f"logs/{p.name}" for p in (realdata / "logs").glob("unifi_*")}
    handled = set(EXPECTED) | {KASPERSKY, NON_CEF}
    assert names == handled


def test_unifi_os_six_field_header_is_recovered_with_its_message(realdata: Path) -> None:
    (line,) = lines_of(realdata / "logs/unifi_cef_03_unifi_os_malformed_header.log")
    event = parse_cef(line, default_year=2026)
    assert event.extensions["msg"].startswith("mindthelog accessed the UniFi OS")
    assert event.notes == ("header has 6 fields, Name missing: field 5 read as Signature ID",)


def test_pycef_duplicate_key_line_notes_last_wins(realdata: Path) -> None:
    line = lines_of(realdata / "cef_raw/cef_pycef_testdata.cef")[2]
    assert parse_cef(line).notes == ("duplicate extension key 'field9': last value kept",)


KASPERSKY = "cef_raw/cef_kaspersky_doc_header_example.txt"
NON_CEF = "logs/unifi_noncef_01_ap_hostapd.log"


def test_kaspersky_doc_example_placeholder_extension_keeps_the_header(realdata: Path) -> None:
    first, second = lines_of(realdata / KASPERSKY)
    assert find_cef(first) == -1  # the date line the document wrapped
    event = parse_cef(second)
    assert (event.vendor, event.product, event.version) == (
        "AO Kaspersky Lab", "Kaspersky Web Traffic Security", "6.1.0.1234")
    assert (event.signature_id, event.name, event.severity) == (
        "LMS_EV_SETTINGS_CHANGED", "task settings changed", "Low")
    assert event.host == "host.domain.com"
    assert event.extensions == {}
    assert event.notes == ("extension does not start with key=value: '\u2026' dropped",)


def test_unifi_ap_debug_syslog_is_not_cef(realdata: Path) -> None:
    text = (realdata / NON_CEF).read_text(encoding="utf-8")
    assert not looks_like_cef(text)
    with pytest.raises(CefParseError, match=re.escape("no 'CEF:<version>|' marker")):
        parse_cef(text.splitlines()[0])


def test_every_unifi_cef_sample_is_sniffed_as_cef(realdata: Path) -> None:
    for path in (realdata / "logs").glob("unifi_cef_*"):
        assert looks_like_cef(path.read_bytes()[:4096]), path.name


# --- pycef evaluation: why we do not use it ------------------------------------------------


def _pycef(line: str) -> dict[str, str] | str | None:
    pycef = pytest.importorskip("pycef")
    try:
        result: dict[str, str] | None = pycef.parse(line)
    except Exception as exc:
        return type(exc).__name__
    return result


def test_pycef_drops_every_record_with_an_empty_header_field(realdata: Path) -> None:
    lines = lines_of(realdata / "cef_raw/cef_pycef_testdata-missing-header-values.cef")
    assert [_pycef(line) for line in lines] == [None] * 8


def test_pycef_misreads_escaped_pipes_and_backslashes(realdata: Path) -> None:
    spec = realdata / "cef_raw/cef_spec_01_arcsight_escaping_examples.txt"
    pipe, backslash, equals = (_pycef(line) for line in lines_of(spec))
    assert isinstance(pipe, dict) and isinstance(backslash, dict) and isinstance(equals, dict)
    # The escaped pipe ends the header early: Name is empty, Severity lands in a key.
    assert pipe["Name"] == "" and "message|10|src" in pipe
    assert backslash["act"] == "blocked a \\\\"  # not unescaped
    assert equals["act"] == "blocked a \\="  # not unescaped


def test_pycef_crashes_on_an_escaped_pipe_in_the_signature_id(realdata: Path) -> None:
    (line,) = lines_of(realdata / "cef_raw/cef_format_cef_pypi_example.txt")
    assert _pycef(line) == "IndexError"


def test_pycef_handles_the_plain_vectors_we_also_handle(realdata: Path) -> None:
    (line,) = lines_of(realdata / "cef_raw/cef_pycef_testdata-pipes.cef")
    result = _pycef(line)
    assert isinstance(result, dict) and result["field2"] == "value2|more"
    assert parse_cef(line).extensions["field2"] == "value2|more"
