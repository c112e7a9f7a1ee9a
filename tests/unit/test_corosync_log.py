"""corosync / pmxcfs / pacemaker lines -> QuorumEvent facts, one synthetic line per form."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labconsole.model.quorum_event import QUORUM_EVENT_KINDS, QuorumEvent
from labconsole.parse.corosync_log import (
    WORDS,
    QuorumFactReader,
    facts_in_line,
    facts_in_message,
    membership_in_line,
)


def _one(text: str, year: int | None = 2026) -> QuorumEvent:
    facts = facts_in_line(text, default_year=year, lineno=7)
    assert len(facts) == 1, facts
    return facts[0]


@pytest.mark.parametrize(
    ("line", "kind", "host", "nodes"),
    [
        # journalctl short (RFC 3164 shape), corosync 3 / knet
        ("Mar 14 06:19:12 pve01 corosync[1234]:   [KNET  ] link: host: 3 link: 0 is down",
         "link_down", "pve01", ("3",)),
        ("Mar 14 06:19:40 pve01 corosync[1234]:   [KNET  ] rx: host: 3 link: 0 is up",
         "link_up", "pve01", ("3",)),
        ("Mar 14 06:19:12 pve01 corosync[1234]:   [TOTEM ] A new membership (1.2f) was formed."
         " Members left: 3", "member_left", "pve01", ("3",)),
        ("Mar 14 06:19:12 pve02 corosync[99]:   [QUORUM] This node is within the non-primary"
         " component and will NOT provide any services.", "quorum_lost", "pve02", ()),
        ("Mar 14 06:19:50 pve02 corosync[99]:   [QUORUM] This node is within the primary"
         " component and will provide service.", "quorum_regained", "pve02", ()),
        # pmxcfs
        ("Mar 14 06:19:12 pve03 pmxcfs[881]: [status] notice: node lost quorum",
         "quorum_lost", "pve03", ()),
        ("Mar 14 06:19:52 pve03 pmxcfs[881]: [status] notice: node has quorum",
         "quorum_regained", "pve03", ()),
        # pacemaker
        ("Mar 14 06:19:12 pve01 pacemaker-controld[7]:  notice: Node pve03 state is now lost",
         "member_left", "pve01", ("pve03",)),
        ("Mar 14 06:19:12 pve01 crmd[7]:   notice: crm_update_peer_state: Node pve03[3] - state"
         " is now member (was lost)", "member_joined", "pve01", ("pve03",)),
        ("Mar 14 06:19:12 pve01 crmd[7]:   notice: plugin_handle_membership: Membership 12:"
         " quorum lost", "quorum_lost", "pve01", ()),
        ("Mar 14 06:19:52 pve01 crmd[7]:   notice: pcmk_quorum_notification: Quorum acquired |"
         " membership=14 members=3", "quorum_regained", "pve01", ()),
        # with a <PRI> in front (RFC 3164 over the wire)
        ("<29>Mar 14 06:19:12 pve01 corosync[1234]:   [KNET  ] link: host: 2 link: 1 is down",
         "link_down", "pve01", ("2",)),
        # corosync's own logfile, with a date, function names, trailing spaces
        ("Mar 14 06:19:12 [1234] pve01 corosync notice  [TOTEM ] memb_state_operational_enter"
         " A new membership (10.0.0.1:40) was formed. Members left: 2  ", "member_left",
         "pve01", ("2",)),
        # no host at all (trimmed paste)
        ("Mar 14 06:19:12 [KNET] rx: host: 2 link: 1 is up", "link_up", None, ("2",)),
    ],
)
def test_each_line_form_gives_its_fact(line: str, kind: str, host: str | None,
                                       nodes: tuple[str, ...]) -> None:
    fact = _one(line)
    assert (fact.kind, fact.host, fact.nodes) == (kind, host, nodes)
    assert fact.at == datetime(2026, 3, 14, 6, 19, int(line.split(":")[2][:2]))
    assert fact.lineno == 7
    assert fact.kind in QUORUM_EVENT_KINDS
    assert any(word in line for word in WORDS)


def test_iso_and_rfc5424_headers_keep_time_zone() -> None:
    tz = timezone(timedelta(hours=1))
    fact = _one("2026-03-14T06:19:12.081236+01:00 pve02 corosync[5]:   [TOTEM ] A new membership"
                " (10.0.0.2:16) was formed. Members left: 1 3")
    assert fact.at == datetime(2026, 3, 14, 6, 19, 12, 81236, tzinfo=tz)
    assert (fact.kind, fact.host, fact.nodes, fact.ring_id) == (
        "member_left", "pve02", ("1", "3"), "10.0.0.2:16")
    fact = _one("<133>1 2026-03-14T05:19:12Z pve02 corosync 5 - - [QUORUM] This node is within"
                " the non-primary component and will NOT provide any services.")
    assert fact.at == datetime(2026, 3, 14, 5, 19, 12, tzinfo=timezone.utc)
    assert (fact.kind, fact.host, fact.source) == ("quorum_lost", "pve02", "corosync")


def test_joined_and_left_on_one_line_are_two_facts() -> None:
    facts = facts_in_line("Mar 14 06:19:12 pve01 corosync[1]:   [TOTEM ] A new membership "
                          "(1.30) was formed. Members joined: 2 left: 3", default_year=2026)
    assert [(f.kind, f.nodes, f.ring_id) for f in facts] == [
        ("member_joined", ("2",), "1.30"), ("member_left", ("3",), "1.30")]


def test_logfile_without_date_and_glued_priority() -> None:
    fact = _one("    [434] pve01.lab.example corosyncnotice  [TOTEM ] A new membership "
                "(10.0.0.1:507) was formed. Members left: 4 3")
    assert (fact.host, fact.at, fact.nodes, fact.source) == (
        "pve01.lab.example", None, ("4", "3"), "corosync")


def test_year_less_stamp_without_year_has_no_time() -> None:
    fact = _one("Mar 14 06:19:12 pve01 pmxcfs[881]: [status] notice: node lost quorum", None)
    assert fact.at is None and fact.host == "pve01"


def test_journal_entry_message() -> None:
    at = datetime(2026, 3, 14, 6, 19, 12, tzinfo=timezone.utc)
    facts = facts_in_message("[KNET  ] link: host: 3 link: 0 is down", host="pve01", at=at,
                             source="corosync", lineno=3)
    assert [f.to_json() for f in facts] == [{
        "at": "2026-03-14T06:19:12+00:00", "host": "pve01", "kind": "link_down",
        "nodes": ["3"], "text": "[KNET  ] link: host: 3 link: 0 is down"}]
    assert facts[0].link == 0


@pytest.mark.parametrize(
    "line",
    [
        "Mar 14 06:19:12 pve01 corosync[1]:   [TOTEM ] A new membership (1.30) was formed. Members",
        "Mar 14 06:19:12 pve01 corosync[1]:   [KNET  ] host: host: 3 has no active links",
        "Mar 14 06:19:12 pve01 corosync[1]:   [QUORUM] Sync members[2]: 1 2",
        "Mar 14 06:19:12 pve01 crmd[7]:   notice: Updating quorum status to false (call=163)",
        "Mar 14 06:19:12 pve01 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Down",
        "Mar 14 06:19:12 pve01 sshd[1]: Accepted publickey for root from 10.0.0.9 port 2",
        "the host: 3 link: 0 is down" + "x" * 5000,
        "",
    ],
)
def test_lines_that_state_no_fact(line: str) -> None:
    assert facts_in_line(line, default_year=2026) == []


def test_member_list_is_a_view_not_a_fact() -> None:
    line = "Mar 14 06:19:12 pve01 corosync[1]:   [QUORUM] Members[2]: 1 2"
    assert facts_in_line(line, default_year=2026) == []
    seen = membership_in_line(line, default_year=2026, lineno=4)
    assert seen is not None
    assert (seen.host, seen.members, seen.lineno) == ("pve01", ("1", "2"), 4)
    assert membership_in_line("Mar 14 06:19:12 pve01 corosync[1]:   [QUORUM] Sync members[2]: 1 2",
                              default_year=2026) is None


def test_reader_drops_repeats_of_one_observation() -> None:
    reader = QuorumFactReader(default_year=2026)
    lines = [
        "Mar 14 06:19:12 pve01 pacemaker-based[1]:  notice: Node pve03 state is now lost",
        "Mar 14 06:19:12 pve01 pacemaker-controld[2]:  notice: Node pve03 state is now lost",
        "Mar 14 06:19:12 pve02 pacemaker-controld[2]:  notice: Node pve03 state is now lost",
        "Mar 14 06:19:30 pve01 pacemaker-controld[2]:  notice: Node pve03 state is now member",
        "Mar 14 06:19:40 pve01 pacemaker-controld[2]:  notice: Node pve03 state is now lost",
    ]
    facts = [f for n, line in enumerate(lines, 1) for f in reader.feed_line(line, n)]
    assert [(f.lineno, f.host, f.kind) for f in facts] == [
        (1, "pve01", "member_left"), (3, "pve02", "member_left"),
        (4, "pve01", "member_joined"), (5, "pve01", "member_left")]


def test_scan_prefilter_is_the_parser_words() -> None:
    """kernel_scan.quorum_hit spells out WORDS as an ``or`` chain (fastest on str)."""
    from labconsole.parse.kernel_scan import quorum_hit

    for word in WORDS:
        assert quorum_hit(f"x {word} y")
    assert not quorum_hit("Mar 14 06:19:12 pve01 kernel: e1000e eno1: NIC Link is Down")


def test_glued_records_are_read_one_by_one() -> None:
    reader = QuorumFactReader(default_year=2026)
    line = ("Mar 14 06:19:12 pve01 corosync[1]:   [KNET  ] link: host: 3 link: 0 is down"
            "Mar 14 06:19:13 pve01 pmxcfs[2]: [status] notice: node lost quorum")
    assert [(f.kind, f.at) for f in reader.feed_line(line, 1)] == [
        ("link_down", datetime(2026, 3, 14, 6, 19, 12)),
        ("quorum_lost", datetime(2026, 3, 14, 6, 19, 13))]


def test_scan_of_the_forms_fixture(fixtures: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every line form in one file through ``labconsole scan --json``: one entry per fact."""
    from labconsole.cli import main

    assert main(["scan", "--json", "--year", "2026",
                 str(fixtures / "corosync" / "forms.log")]) == 0
    (f,) = json.loads(capsys.readouterr().out)["files"]
    assert f["kinds"] == ["corosync_log", "syslog"]
    assert [(e["kind"], e["host"], e["nodes"]) for e in f["quorum_events"]] == [
        ("link_down", "pve01", ["3"]),
        ("member_left", "pve01", ["3"]),
        ("quorum_lost", "pve03", []),  # pmxcfs's words in the same second: the same fact
        ("member_joined", "pve03", ["1", "2"]),
        ("quorum_regained", "pve03", []),  # corosync (UTC stamp)
        ("quorum_regained", "pve03", []),  # pmxcfs (local stamp: not comparable, kept)
        ("member_joined", "pve01", ["3"]),
        ("link_up", None, ["3"]),
        ("member_joined", "pve01", ["pve03"]),
        ("quorum_regained", "pve01", []),
    ]
    assert f["quorum_events"][3]["at"] == "2026-03-14T05:19:40.081236+00:00"  # in UTC
    assert f["quorum_events"][4]["at"] == "2026-03-14T05:19:40+00:00"
    assert (f["hangs"], f["links"], f["errors"]) == ([], [], [])
