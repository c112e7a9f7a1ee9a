"""A fact reads the same everywhere: ``incident.wording.words`` is the one source of its words.

The timeline panel (styled), the state's timeline entries, the Markdown and JSON reports say
every fact kind with the same words; ``Fact.sort_key`` orders facts by their typed fields and
never asks for words.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone
from typing import get_args

import pytest

from labconsole.incident import facts as facts_module
from labconsole.incident.facts import ActionRecord, Extraction, Fact, FactKind
from labconsole.incident.report import TIMELINE_KINDS, build_report
from labconsole.incident.report_json import report_json
from labconsole.incident.report_md import cell, prose, render_markdown
from labconsole.incident.wording import words
from labconsole.model.cef import CefEvent
from labconsole.model.hang import HangEpisode
from labconsole.model.offloads import Offloads
from labconsole.model.vote_view import ClusterPicture, NodeView, Side
from labconsole.sanitize import visible_row
from labconsole.state.timeline import TimelineEntry
from labconsole.widgets.timeline_panel import row_text

T0 = datetime(2025, 11, 8, 6, 5, tzinfo=timezone.utc)
VIEW = NodeView(node="pve01", cluster="homelab", at=T0, source="quorumtool", quorate=True,
                members=frozenset({"pve01", "pve02"}), total_votes=2, expected_votes=3)
ALONE = NodeView(node="pve03", cluster="homelab", at=T0, source="api", quorate=False,
                 members=frozenset({"pve03"}), total_votes=1, expected_votes=3, via="pve01")
SPLIT = ClusterPicture(cluster="homelab", kind="split", sides=(
    Side(nodes=("pve01", "pve02"), members=("pve01", "pve02"), quorate=True, total_votes=2,
         expected_votes=3),
    Side(nodes=("pve03",), members=("pve03",), quorate=False, total_votes=1,
         expected_votes=3)))
HANG = HangEpisode(kind="unit_hang", driver="e1000e", device="eno1", host="pve03",
                   first=T0, last=T0 + timedelta(minutes=3), reports=37, stuck=True,
                   registers={"TDH": "<f6>", "TDT": "<2a>"})
CEF = CefEvent(vendor="Ubiquiti", product="UniFi Network", version="9.4.19",
               signature_id="400", name="Device Offline", severity="5",
               extensions={"msg": "USW-Lite-16 went offline."})
ACTION = ActionRecord(at=T0, runbook="e1000e-offloads", step="disable-offloads",
                      command="ethtool -K eno1 tso off gso off gro off", result="done",
                      node="pve03")
OFFLOADS = Offloads(device="eno1", features={"tcp-segmentation-offload": "off",
                                             "generic-segmentation-offload": "off",
                                             "generic-receive-offload": "on"})


def one_of_each() -> list[Fact]:
    """A fact of every kind, a second apart, with the payload its producer gives it."""
    made: dict[str, dict[str, object]] = {
        "device_alert": {"device": "USW-Lite-16", "cef": CEF},
        "device_back": {"device": "USW-Lite-16", "cef": CEF},
        "client_left": {"device": "unifi-gw", "cef": CEF},
        "cef_note": {"device": "UniFi Network", "cef": CEF},
        "link_down": {"node": "pve03", "device": "eno1", "state": "down"},
        "link_up": {"node": "pve03", "device": "eno1", "state": "up"},
        "link_seen": {"node": "pve03", "device": "eno1", "state": "up"},
        "vote_left": {"node": "pve03", "device": "homelab", "view": VIEW},
        "vote_joined": {"node": "pve03", "device": "homelab", "seen": VIEW,
                        "observer": "pve01"},
        "quorum_lost": {"device": "homelab", "seen": ALONE, "observer": "pve03"},
        "quorum_back": {"device": "homelab", "seen": VIEW, "observer": "pve01"},
        "hang": {"node": "pve03", "device": "eno1", "hang": HANG,
                 "until": T0 + timedelta(minutes=3)},
        "nic_reset": {"node": "pve03", "device": "eno1", "driver": "e1000e"},
        "conn_lost": {"node": "pve03", "source": "ssh:pve03", "state": "failed",
                      "reason": "timed out"},
        "conn_back": {"node": "pve03", "source": "ssh:pve03"},
        "conn_never": {"node": "pve03", "source": "ssh:pve03", "reason": "host key"},
        "conn_changed": {"source": "syslog", "state": "connecting"},
        "action": {"node": "pve03", "action": ACTION},
        "view_changed": {"node": "pve03", "view": ALONE},
        "view_unknown": {"node": "pve02", "reason": "corosync not answering"},
        "picture_changed": {"device": "homelab", "picture": SPLIT},
        "nic_changed": {"node": "pve03", "device": "eno1", "offloads": OFFLOADS},
    }
    assert set(made) == set(get_args(FactKind))  # a new kind needs a fact here
    out = []
    for i, (kind, fields) in enumerate(made.items()):
        fields.setdefault("node", None)
        out.append(Fact(at=T0 + timedelta(seconds=i), kind=kind, **fields))  # type: ignore[arg-type]
    return out


FACTS = one_of_each()


@pytest.mark.parametrize("fact", FACTS, ids=[f.kind for f in FACTS])
def test_the_timeline_says_a_fact_in_its_words(fact: Fact) -> None:
    said = words(fact)
    assert said and "None" not in said
    entry = TimelineEntry(at=fact.at, kind="conn", node=fact.node, fact=fact)
    assert entry.text == said
    for node in (None, fact.node or "pve01"):
        assert row_text(entry, node).plain.endswith(visible_row(said))


def test_the_reports_say_every_timeline_fact_in_the_same_words() -> None:
    ex = Extraction(facts=sorted(FACTS, key=Fact.sort_key), nodes={"pve01", "pve02", "pve03"},
                    first=FACTS[0].at, last=FACTS[-1].at)
    report = build_report(ex)
    shown = report.timeline
    assert {f.kind for f in shown} == TIMELINE_KINDS
    md = render_markdown(report).splitlines()
    for f in shown:
        what = cell(prose(words(f)))
        assert any(line.endswith(f"| {what} |") or f"| {what}, until " in line
                   for line in md), (f.kind, what)
    body = json.loads(json.dumps(report_json(report)))
    listed = [f for inc in body["incidents"] for f in inc["facts"]]
    assert len(listed) > 10
    by_time = {f.at.isoformat(): words(f) for f in FACTS}
    assert all(f["text"] == by_time[f["at"]] for f in listed)


def test_a_hang_reads_as_the_log_pane_folds_it_without_the_time() -> None:
    from labconsole.state.kernel_log import episode_summary

    fact = next(f for f in FACTS if f.kind == "hang")
    assert words(fact) == "e1000e eno1 hang x 37, TDH stuck at <f6>"
    assert episode_summary(HANG) == words(fact) + " since 06:05:00"


def test_sort_key_orders_by_fields_and_never_asks_for_words(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Facts of one instant sort the same whatever order they came in, without their words."""
    def no_words(fact: Fact) -> str:
        raise AssertionError("sort_key asked for words")

    monkeypatch.setattr(facts_module, "words", no_words)
    same_time = [Fact(at=T0, kind=f.kind, node=f.node, device=f.device, state=f.state,
                      reason=f.reason, source=f.source, driver=f.driver, hang=f.hang, cef=f.cef,
                      action=f.action, view=f.view, seen=f.seen, picture=f.picture,
                      offloads=f.offloads, observer=f.observer) for f in FACTS]
    twins = [Fact(at=T0, kind="conn_lost", node="pve03", source=s, state="failed")
             for s in ("ssh:pve03", "api:pve03")]
    twins += [Fact(at=T0, kind="action", node="pve03", source="audit",
                   action=ActionRecord(at=T0, runbook="r", step="persist", command=c,
                                       result="ok")) for c in ("b", "a")]
    pool = same_time + twins
    want = sorted(pool, key=Fact.sort_key)
    for order in itertools.islice(itertools.permutations(pool[-6:]), 30):
        assert sorted([*pool[:-6], *order], key=Fact.sort_key) == want
    assert [f.action.command for f in want if f.action and f.action.runbook == "r"] == ["a", "b"]
