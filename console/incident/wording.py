"""Words for facts: the one place a ``Fact`` becomes a sentence.

Facts are typed (issue 17 item 3, "facts, not text"): producers record what happened in fields
(the connection's state and reason, the link's state, the driver, the node's view...) and the
readers that show facts to people (the timeline widget, the reports, a cause's evidence lines)
ask this module for the words. Incident logic never reads them.

A fact whose producer still gives a caption (``Fact.text``: CEF, hang episodes, actions, NIC
offload changes and the votes diff of a report) keeps it until that producer moves here too.
A fact worded here gets these words as its ``text`` when it is made (``Fact.__post_init__``),
for readers that still read ``text``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labconsole.incident.facts import Fact


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


def _view_changed(fact: Fact) -> str:
    if fact.view is None:
        return _plain(fact)
    return f"{fact.view.node} sees {fact.view.cluster}"


def _picture_changed(fact: Fact) -> str:
    if fact.picture is None:
        return _plain(fact)
    return f"{fact.device}: {fact.picture.kind}"


def _plain(fact: Fact) -> str:
    """A kind no wording knows yet: what and where, never nothing."""
    return " ".join(p for p in (fact.kind, fact.node, fact.device) if p)


_BY_KIND: dict[str, Callable[[Fact], str]] = {
    "conn_lost": _conn_lost, "conn_never": _conn_never, "conn_back": _conn_back,
    "conn_changed": _conn_changed, "link_down": _link, "link_up": _link, "link_seen": _link,
    "nic_reset": _nic_reset, "view_unknown": _view_unknown, "view_changed": _view_changed,
    "picture_changed": _picture_changed,
}
