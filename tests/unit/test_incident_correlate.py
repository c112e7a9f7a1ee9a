"""Correlation rules on synthetic fact sequences: what joins, what splits, when it ends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labconsole.incident.correlate import Rules, correlate, incident_at
from labconsole.incident.facts import ActionRecord, Fact, FactKind, action_fact
from labconsole.model.hang import HangEpisode

T0 = datetime(2025, 3, 14, 2, 0, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fact(s: float, kind: FactKind, node: str | None = "pve03", device: str | None = None,
         until: float | None = None) -> Fact:
    return Fact(at=at(s), kind=kind, node=node, device=device, text=f"{kind} {node}",
                until=None if until is None else at(until))


def spans(facts: list[Fact], **kw: object) -> list[tuple[float, float, str]]:
    result = correlate(facts, **kw)  # type: ignore[arg-type]
    return [((i.start - T0).total_seconds(), (i.end - T0).total_seconds(), i.status)
            for i in result.incidents]


def test_drop_and_rejoin_is_one_resolved_incident() -> None:
    facts = [fact(0, "vote_left"), fact(60, "vote_joined")]
    assert spans(facts, data_end=at(600)) == [(0, 60, "resolved")]


def test_new_drop_after_full_recovery_and_settle_is_a_new_incident() -> None:
    facts = [fact(0, "vote_left"), fact(60, "vote_joined"), fact(60 + 121, "vote_left"),
             fact(300, "vote_joined")]
    assert spans(facts, data_end=at(1000)) == [(0, 60, "resolved"), (181, 300, "resolved")]


def test_flap_within_settle_is_the_same_incident() -> None:
    facts = [fact(0, "vote_left"), fact(60, "vote_joined"), fact(60 + 119, "vote_left"),
             fact(300, "vote_joined")]
    assert spans(facts, data_end=at(1000)) == [(0, 300, "resolved")]


def test_settle_is_a_rule_parameter() -> None:
    facts = [fact(0, "vote_left"), fact(60, "vote_joined"), fact(100, "vote_left"),
             fact(130, "vote_joined")]
    assert len(spans(facts, rules=Rules(settle=timedelta(seconds=30)), data_end=at(999))) == 2
    assert len(spans(facts, data_end=at(999))) == 1


def test_long_quiet_with_a_node_still_out_does_not_split() -> None:
    """Nine hours out of the votes is one incident, however quiet the logs were."""
    facts = [fact(0, "vote_left"), fact(9 * 3600, "link_down", device="eno1"),
             fact(9 * 3600 + 60, "vote_joined"), fact(9 * 3600 + 61, "link_up", device="eno1")]
    assert spans(facts) == [(0, 9 * 3600 + 61, "recovered")]


def test_still_out_at_end_of_data_is_ongoing() -> None:
    result = correlate([fact(0, "vote_left")], data_end=at(3600))
    (inc,) = result.incidents
    assert inc.status == "ongoing" and inc.outstanding == ("pve03 out of the votes",)


def test_hang_reports_keep_the_incident_open_until_they_stop() -> None:
    """Votes come back while the ring is still stuck: not over until the hangs are quiet."""
    facts = [fact(0, "hang", until=600), fact(10, "vote_left"), fact(40, "vote_joined"),
             fact(700, "vote_left"), fact(760, "vote_joined")]
    assert spans(facts, data_end=at(2000)) == [(0, 760, "resolved")]


def test_device_alert_before_a_drop_joins_it() -> None:
    facts = [fact(0, "device_alert", node=None, device="usw"), fact(200, "vote_left"),
             fact(260, "vote_joined")]
    assert spans(facts, data_end=at(2000)) == [(0, 260, "resolved")]


def test_device_alert_without_back_stops_holding_after_precursor() -> None:
    facts = [fact(0, "device_alert", node=None, device="usw"), fact(301, "vote_left"),
             fact(330, "vote_joined")]
    assert len(spans(facts, data_end=at(2000))) == 2


def test_device_back_lets_the_incident_settle() -> None:
    facts = [fact(0, "device_alert", node=None, device="usw"),
             fact(30, "device_back", node=None, device="usw"), fact(200, "vote_left"),
             fact(230, "vote_joined")]
    assert spans(facts, data_end=at(2000)) == [(0, 30, "resolved"), (200, 230, "resolved")]


def test_recoveries_and_context_never_open_an_incident() -> None:
    facts = [fact(0, "vote_joined"), fact(5, "link_up", device="eno1"),
             fact(9, "client_left", node=None, device="usw"),
             fact(10, "conn_back"), fact(11, "device_back", node=None, device="usw")]
    assert correlate(facts).incidents == []


def _action(s: float, step: str) -> Fact:
    return action_fact(ActionRecord(at=at(s), runbook="rb", step=step, command="true",
                                    result="done", node="pve03"))


def test_actions_join_open_or_just_ended_incident_and_never_extend_it() -> None:
    facts = [fact(0, "vote_left"), _action(30, "fix"), fact(60, "vote_joined"),
             _action(600, "persist"), _action(60 + 1801, "much-later")]
    result = correlate(facts, data_end=at(5000))
    (inc,) = result.incidents
    assert [a.step for a in inc.actions] == ["fix", "persist"]
    assert inc.end == at(60)
    assert [f.action.step for f in result.unattached if f.action] == ["much-later"]


def test_action_after_next_incident_opened_goes_to_that_one() -> None:
    facts = [fact(0, "vote_left"), fact(60, "vote_joined"), fact(400, "hang", until=410),
             _action(420, "fix")]
    result = correlate(facts, data_end=at(900))
    assert [len(i.actions) for i in result.incidents] == [0, 1]


def test_nodes_are_the_nodes_in_trouble() -> None:
    hang = HangEpisode(kind="unit_hang", driver="e1000e", device="eno1", reports=3)
    facts = [Fact(at=at(0), kind="hang", node="pve01", text="h", hang=hang),
             fact(5, "vote_left", node="pve02"),
             fact(6, "device_alert", node=None, device="usw")]
    (inc,) = correlate(facts).incidents
    assert inc.nodes == ("pve01", "pve02")


def test_incident_at_picks_the_covering_or_latest_one() -> None:
    facts = [fact(0, "vote_left"), fact(60, "vote_joined"), fact(400, "vote_left"),
             fact(460, "vote_joined")]
    incs = correlate(facts, data_end=at(900)).incidents
    assert incident_at(incs, at(-1)) is None
    assert incident_at(incs, at(30)) is incs[0]
    assert incident_at(incs, at(300)) is incs[0]
    assert incident_at(incs, at(450)) is incs[1]


def test_incident_id_names_the_start() -> None:
    (inc,) = correlate([fact(0, "vote_left")]).incidents
    assert inc.id == "incident-20250314T020000Z"


def test_late_action_naming_the_incident_as_episode_joins_it() -> None:
    late = ActionRecord(at=at(86400), runbook="rb", step="verify", command="true",
                        result="pass", node="pve03", episode="incident-20250314T020000Z")
    other = ActionRecord(at=at(86400), runbook="rb", step="other", command="true",
                         result="pass", node="pve03", episode="incident-19990101T000000Z")
    result = correlate([fact(0, "vote_left"), fact(60, "vote_joined"), action_fact(late),
                        action_fact(other)])
    assert [a.step for a in result.incidents[0].actions] == ["verify"]
    assert [f.action.step for f in result.unattached if f.action] == ["other"]
    assert result.incidents[0].end == at(60)
