"""Words for facts: the one place a ``Fact`` becomes a sentence.

Facts are typed (issue 17 item 3, "facts, not text"): producers record what happened in fields
(the connection's state and reason, the link's state, the driver, the node's view...) and the
readers that show facts to people (the timeline widget, the reports, a cause's evidence lines)
ask this module for the words: a fact reads the same on the screen and in a report. Plain
text: the widgets style it (``widgets/timeline_panel.py``), the reports escape it. Incident
logic never reads it, and facts sort on their fields (``Fact.sort_key``), not on these words.

No producer gives a caption any more; a fact made with one (a test's, ``Fact.text``) keeps it.
Facts do not store their words: readers call ``words`` when they show a fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labconsole.incident.facts import Fact
    from labconsole.model.hang import HangEpisode
    from labconsole.model.offloads import Offloads
    from labconsole.model.vote_view import ClusterPicture, NodeView, Side

# A hang episode's kind as the kernel log pane folds it and the timeline and reports say it.
_HANG_WORDS = {"unit_hang": "hang", "reset": "tx reset"}


def words(fact: Fact) -> str:
    """One line that says what ``fact`` is, from its typed fields."""
    if fact.text:
        return fact.text
    wording = _BY_KIND.get(fact.kind)
    return wording(fact) if wording is not None else _plain(fact)


def _detail(fact: Fact) -> str:
    return f": {fact.reason}" if fact.reason else ""


def _conn_target(fact: Fact) -> str:
    return f"connection {fact.source} to {fact.node or fact.source}"


def _conn_lost(fact: Fact) -> str:
    return f"{_conn_target(fact)} {fact.state}{_detail(fact)}"


def _conn_never(fact: Fact) -> str:
    return f"{_conn_target(fact)} never connected{_detail(fact)}"


def _conn_back(fact: Fact) -> str:
    return f"{_conn_target(fact)} {'made' if fact.first else 'back'}"


def _conn_changed(fact: Fact) -> str:
    return f"{fact.source} {fact.state}{_detail(fact)}"


def _link(fact: Fact) -> str:
    return f"{fact.node} {fact.device} link {fact.state}"


def _nic_reset(fact: Fact) -> str:
    return f"{fact.driver or 'NIC'} {fact.device} reset adapter unexpectedly on {fact.node}"


def _view_unknown(fact: Fact) -> str:
    return f"{fact.node} view unknown: {fact.reason}"


def votes_word(total: int | None, expected: int | None, quorate: bool | None) -> str:
    """``2/3 quorate``, ``1/3 NOT quorate``, ``quorate`` (no counts), ``quorum unknown``."""
    counts = f"{total}/{expected} " if total is not None and expected is not None else ""
    word = {True: "quorate", False: "NOT quorate", None: "quorum unknown"}[quorate]
    return counts + word


def side_text(side: Side) -> str:
    """``{pve01} alone, NOT quorate`` / ``{pve02, pve03} 2/3 quorate``."""
    names = "{" + ", ".join(side.nodes) + "}"
    if side.alone:
        return f"{names} alone, " + ("quorate" if side.quorate else "NOT quorate")
    text = f"{names} {votes_word(side.total_votes, side.expected_votes, side.quorate)}"
    others = [m for m in side.members if m not in side.nodes]
    return text + (f" with {', '.join(others)}" if others else "")


def picture_text(pic: ClusterPicture) -> str:
    """A cluster picture's headline (also what tests compare against the nodes' own
    answers): ``2/3 quorate``, ``SPLIT  {pve01} alone, NOT quorate | {pve02, pve03} ...``."""
    if pic.kind == "split":
        return "SPLIT  " + " | ".join(side_text(s) for s in pic.sides)
    if pic.kind == "agree":
        s = pic.sides[0]
        return votes_word(s.total_votes, s.expected_votes, s.quorate)
    return "unknown" if pic.kind == "unknown" else "waiting"


def hang_words(ep: HangEpisode) -> str:
    """``e1000e eno1 hang x 37, TDH stuck at <f6>``: the episode as it stands."""
    what = _HANG_WORDS.get(ep.kind, "tx timeout")
    text = f"{ep.driver or 'NIC'} {ep.device or '?'} {what} x {ep.reports}"
    tdh = ep.registers.get("TDH")
    if ep.stuck and tdh:
        text += f", TDH stuck at <{tdh.strip('<>')}>"
    elif tdh:
        text += f", TDH <{tdh.strip('<>')}>"
    elif ep.stuck:
        text += ", TX ring stuck"
    return text


def _view_changed(fact: Fact) -> str:
    v = fact.view
    if v is None:
        return _plain(fact)
    word = votes_word(v.total_votes, v.expected_votes, v.quorate)
    sees = "alone" if v.alone else ", ".join(sorted(v.members))
    via = f" (via {v.via})" if v.source == "api" and v.via else ""
    return f"{v.node} sees {v.cluster} {word}: {sees}{via}"


def _picture_changed(fact: Fact) -> str:
    if fact.picture is None:
        return _plain(fact)
    return f"{fact.picture.cluster}: {picture_text(fact.picture)}"


def _hang(fact: Fact) -> str:
    return _plain(fact) if fact.hang is None else hang_words(fact.hang)


def _cef(fact: Fact) -> str:
    rec = fact.cef
    if rec is None:
        return _plain(fact)
    msg = rec.extensions.get("msg", "").strip()
    return f"{fact.device}: {rec.name}" + (f": {msg}" if msg and msg != rec.name else "")


def _action(fact: Fact) -> str:
    a = fact.action
    if a is None:
        return _plain(fact)
    return f"{a.runbook}/{a.step}: {a.command or a.detail} [{a.result}]"


def offload_words(off: Offloads | None) -> str:
    """``tso on gso on gro on``: the offloads a change of is worth a timeline entry."""
    if off is None:
        return "offloads unknown"
    def word(v: bool | None) -> str:
        return "?" if v is None else ("on" if v else "off")
    return f"tso {word(off.tso)} gso {word(off.gso)} gro {word(off.gro)}"


def _nic_changed(fact: Fact) -> str:
    return f"{fact.node} {fact.device} {offload_words(fact.offloads)}"


def votes_summary(view: NodeView | None) -> str:
    """A view's votes as the timeline says them (``2/3``, ``1/3 NOT quorate``)."""
    if view is None:
        return "view unknown"
    votes = (f"{view.total_votes}/{view.expected_votes}" if view.total_votes is not None
             else f"{len(view.members)} members")
    return votes + ("" if view.quorate is not False else " NOT quorate")


def _vote_left(fact: Fact) -> str:
    if fact.view is None:
        return _plain(fact)
    return (f"{fact.node} left {fact.device} ({votes_summary(fact.view)} seen from "
            f"{fact.view.node})")


def _vote_joined(fact: Fact) -> str:
    return (f"{fact.node} rejoined {fact.device} ({votes_summary(fact.seen)} seen from "
            f"{fact.observer})")


def _quorum(fact: Fact) -> str:
    word = "quorate again" if fact.kind == "quorum_back" else "lost quorum"
    return f"{fact.device} {word} ({votes_summary(fact.seen)} seen from {fact.observer})"


def _plain(fact: Fact) -> str:
    """A kind no wording knows yet: what and where, never nothing."""
    return " ".join(p for p in (fact.kind, fact.node, fact.device) if p)


_BY_KIND: dict[str, Callable[[Fact], str]] = {
    "conn_lost": _conn_lost, "conn_never": _conn_never, "conn_back": _conn_back,
    "conn_changed": _conn_changed, "link_down": _link, "link_up": _link, "link_seen": _link,
    "nic_reset": _nic_reset, "view_unknown": _view_unknown, "view_changed": _view_changed,
    "picture_changed": _picture_changed, "hang": _hang, "device_alert": _cef,
    "device_back": _cef, "client_left": _cef, "cef_note": _cef, "action": _action,
    "nic_changed": _nic_changed, "vote_left": _vote_left, "vote_joined": _vote_joined,
    "quorum_lost": _quorum, "quorum_back": _quorum,
}
