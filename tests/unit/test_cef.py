"""CEF parser on synthetic vectors: one per escaping rule, prefix form, recovery and error."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from labconsole.parse.cef import (
    CefParseError,
    find_cef,
    looks_like_cef,
    parse_cef,
    parse_cef_time,
    split_cef_records,
)

BODY = "CEF:0|Ubiquiti|UniFi Network|9.0.1|20|Switch Offline|5|UNIFIdeviceName=usw lab msg=gone"


def test_plain_record_fields() -> None:
    event = parse_cef(BODY)
    assert (event.vendor, event.product, event.version) == ("Ubiquiti", "UniFi Network", "9.0.1")
    assert (event.signature_id, event.name, event.severity) == ("20", "Switch Offline", "5")
    assert event.extensions == {"UNIFIdeviceName": "usw lab", "msg": "gone"}
    assert event.cef_version == "0"
    assert event.time is None and event.host is None and event.notes == ()


def test_to_json_has_the_contract_keys() -> None:
    data = parse_cef("Nov 25 06:19:02 usw-core " + BODY, default_year=2026).to_json()
    assert data == {
        "vendor": "Ubiquiti", "product": "UniFi Network", "version": "9.0.1",
        "signature_id": "20", "name": "Switch Offline", "severity": "5",
        "time": "2026-11-25T06:19:02", "host": "usw-core",
        "extensions": {"UNIFIdeviceName": "usw lab", "msg": "gone"},
    }


@pytest.mark.parametrize(
    ("prefix", "host", "time"),
    [
        ("Nov 25 06:19:02 usw-core ", "usw-core", datetime(2026, 11, 25, 6, 19, 2)),
        ("<134>Nov  5 06:19:02 usw-core ", "usw-core", datetime(2026, 11, 5, 6, 19, 2)),
        ("<134>1 2026-11-25T06:19:02.5Z usw-core unifi - - - ", "usw-core",
         datetime(2026, 11, 25, 6, 19, 2, 500000, tzinfo=timezone.utc)),
        ("2026-11-25T07:19:03+01:00 relay.lab Nov 25 07:19:02 USWCORE ", "USWCORE",
         datetime(2026, 11, 25, 6, 19, 3, tzinfo=timezone.utc)),
        ("<134>Nov 25 06:19:02 usw-core unifi[812]: ", "usw-core",
         datetime(2026, 11, 25, 6, 19, 2)),
        ("fw01.lab ", "fw01.lab", None),
        ("<14>", None, None),
    ],
)
def test_syslog_prefixes(prefix: str, host: str | None, time: datetime | None) -> None:
    event = parse_cef(prefix + BODY, default_year=2026)
    assert (event.host, event.time) == (host, time)
    assert event.name == "Switch Offline"


def test_yearless_prefix_without_default_year_has_no_time() -> None:
    assert parse_cef("Nov 25 06:19:02 usw " + BODY).time is None


def test_header_pipe_and_backslash_escapes() -> None:
    event = parse_cef(r"CEF:0|Ven\|dor|Pro\\duct|1|id\|7|a \\|3|k=v")
    assert (event.vendor, event.product, event.signature_id) == ("Ven|dor", "Pro\\duct", "id|7")
    # "a \\" ends the Name: the pipe after an escaped backslash is a separator.
    assert (event.name, event.severity) == ("a \\", "3")
    assert event.extensions == {"k": "v"}


def test_header_other_backslashes_are_kept() -> None:
    event = parse_cef(r"CEF:0|V|P|1|2|path C:\temp\n|4|")
    assert event.name == r"path C:\temp\n"


def test_extension_escapes() -> None:
    event = parse_cef(r"CEF:0|V|P|1|2|N|3|a=x\=y b=c\\d e=line1\nline2\rend f=p\|q g=back\slash")
    assert event.extensions == {
        "a": "x=y", "b": "c\\d", "e": "line1\nline2\rend", "f": "p|q", "g": "back\\slash",
    }


def test_escaped_equals_does_not_start_a_key() -> None:
    event = parse_cef(r"CEF:0|V|P|1|2|N|3|msg=set mode\=fast now")
    assert event.extensions == {"msg": "set mode=fast now"}


def test_trailing_backslash_pair_before_next_key() -> None:
    event = parse_cef(r"CEF:0|V|P|1|2|N|3|act=drop \\ dst=10.0.0.9")
    assert event.extensions == {"act": "drop \\", "dst": "10.0.0.9"}


def test_values_keep_spaces_colons_and_unescaped_pipes() -> None:
    event = parse_cef("CEF:0|V|P|1|2|N|3|alias=node 7 aa:bb  path=a|b|c   last=x  ")
    assert event.extensions == {"alias": "node 7 aa:bb", "path": "a|b|c", "last": "x"}


def test_equals_without_a_key_is_value_text() -> None:
    event = parse_cef("CEF:0|V|P|1|2|N|3|msg=1 + 1 = 2 src=10.1.1.1")
    assert event.extensions == {"msg": "1 + 1 = 2", "src": "10.1.1.1"}


def test_key_characters() -> None:
    event = parse_cef("CEF:0|V|P|1|2|N|3|ad.user-name=x cs1Label=Rule cs1=r[1]")
    assert event.extensions == {"ad.user-name": "x", "cs1Label": "Rule", "cs1": "r[1]"}


def test_space_after_last_pipe_and_empty_values() -> None:
    event = parse_cef("CEF:0|V|P|1|2|N|3|   a= b=2")
    assert event.extensions == {"a": "", "b": "2"}


def test_empty_header_fields_and_empty_extension() -> None:
    event = parse_cef("CEF:0|||||||")
    assert (event.vendor, event.name, event.severity, event.extensions) == ("", "", "", {})


def test_duplicate_keys_last_wins_and_is_noted() -> None:
    event = parse_cef("CEF:0|V|P|1|2|N|3|k=first j=1 k=second")
    assert event.extensions == {"k": "second", "j": "1"}
    assert event.notes == ("duplicate extension key 'k': last value kept",)


def test_non_ascii_everywhere() -> None:
    event = parse_cef("CEF:0|Служба|Продукт|1|2|Ошибка сети|3|msg=коммутатор недоступен")
    assert event.vendor == "Служба" and event.extensions["msg"] == "коммутатор недоступен"


def test_six_field_unifi_os_header_is_recovered_with_a_note() -> None:
    event = parse_cef("Nov 25 06:19:02 udm CEF:0|Ubiquiti|UniFi OS|4.3.6|admins|1|msg=a b")
    assert (event.signature_id, event.name, event.severity) == ("admins", "", "1")
    assert event.extensions == {"msg": "a b"}
    assert event.notes == ("header has 6 fields, Name missing: field 5 read as Signature ID",)


@pytest.mark.parametrize(
    ("line", "dropped", "extensions"),
    [
        ("CEF:0|V|P|1|2|N|3|free text here", "'free text here'", {}),
        ("CEF:0|V|P|1|2|N|3|lead text k=v", "'lead text'", {"k": "v"}),
    ],
)
def test_text_before_the_first_key_keeps_the_header(
    line: str, dropped: str, extensions: dict[str, str]
) -> None:
    event = parse_cef(line)
    assert (event.vendor, event.name, event.severity) == ("V", "N", "3")
    assert event.extensions == extensions
    assert f"extension does not start with key=value: {dropped} dropped" in event.notes


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("CEF:0|V|P|1|2|notasev|msg=x",
         "CEF header has 6 of 7 '|'-terminated fields"),
        ("CEF:0|V|P|1|2|N|3", "CEF header has 6 of 7 '|'-terminated fields"),
        ("CEF:0|V|P", "CEF header has 2 of 7 '|'-terminated fields"),
        ("kernel: eno1 link down", "no 'CEF:<version>|' marker in the line"),
        ("CEF: missing version", "no 'CEF:<version>|' marker in the line"),
    ],
)
def test_errors_are_specific(line: str, message: str) -> None:
    with pytest.raises(CefParseError) as caught:
        parse_cef(line)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_time_precedence_unifi_then_rt_then_end_then_prefix() -> None:
    head = "Nov 25 08:00:00 usw CEF:0|V|P|1|2|N|3|"
    utc = datetime(2026, 11, 25, 6, 19, 2, 123000, tzinfo=timezone.utc)
    both = head + "rt=1764051600000 UNIFIutcTime=2026-11-25T06:19:02.123Z"
    assert parse_cef(both, default_year=2026).time == utc
    rt_only = parse_cef(head + "end=Nov 25 2026 06:30:00 rt=1764051600000", default_year=2026)
    assert rt_only.time == datetime(2025, 11, 25, 6, 20, tzinfo=timezone.utc)
    end_only = parse_cef(head + "end=Nov 25 2026 06:30:00.5 UTC", default_year=2026)
    assert end_only.time == datetime(2026, 11, 25, 6, 30, 0, 500000, tzinfo=timezone.utc)
    assert parse_cef(head + "msg=x", default_year=2026).time == datetime(2026, 11, 25, 8)


def test_unreadable_extension_time_falls_back_and_is_noted() -> None:
    event = parse_cef("Nov 25 08:00:00 usw CEF:0|V|P|1|2|N|3|rt=yesterday", default_year=2026)
    assert event.time == datetime(2026, 11, 25, 8)
    assert event.notes == ("unreadable time in rt='yesterday': skipped",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", datetime(1970, 1, 1, tzinfo=timezone.utc)),
        ("2026-11-25T06:19:02Z", datetime(2026, 11, 25, 6, 19, 2, tzinfo=timezone.utc)),
        ("Feb 30 2026 06:19:02", None),
        ("Foo 01 2026 06:19:02", None),
        ("Jan 02 2026 03:04:05", datetime(2026, 1, 2, 3, 4, 5)),
        ("", None),
    ],
)
def test_parse_cef_time(text: str, expected: datetime | None) -> None:
    assert parse_cef_time(text) == expected


def test_dvchost_is_the_host_without_a_prefix() -> None:
    assert parse_cef("CEF:0|V|P|1|2|N|3|dvchost=fw01 msg=x").host == "fw01"
    assert parse_cef("gw01 CEF:0|V|P|1|2|N|3|dvchost=fw01").host == "gw01"


def test_find_cef_and_looks_like_cef() -> None:
    assert find_cef("<13>Nov 25 06:19:02 h CEF:0|a") == 22
    assert find_cef(BODY) == 0
    assert find_cef("XCEF:0|a") == -1
    assert find_cef("no marker") == -1
    assert looks_like_cef(b"garbage\n" + BODY.encode() + b"\n")
    assert looks_like_cef("kernel line\n" + BODY)
    assert not looks_like_cef("<13>Nov 25 06:19:02 ap hostapd[1]: wlan0: STA aa:bb auth\n")
    assert not looks_like_cef(b"\xff\xfe binary")


def test_raw_keeps_the_line_without_its_newline() -> None:
    assert parse_cef(BODY + "\r\n").raw == BODY


def test_records_glued_on_one_line_are_cut_at_their_syslog_prefix() -> None:
    """A record glued after another starts at its own stamp when it has one (not at a value's
    time: ``UNIFIutcTime=...`` is no prefix), else at its ``CEF:``."""
    first = "Nov 25 06:19:02 unifi CEF:0|Ubiquiti|UniFi Network|9.0|400|A|3|msg=a"
    second = ("Nov 25 06:19:03 unifi CEF:0|Ubiquiti|UniFi Network|9.0|401|B|3|msg=b "
              "UNIFIutcTime=2026-11-25T06:19:03Z")
    third = "CEF:0|Ubiquiti|UniFi Network|9.0|402|C|3|msg=c"
    assert split_cef_records(f"{first} {second} {third}") == [first, second, third]
    assert split_cef_records(first) == [first]
