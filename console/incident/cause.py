"""Name the likely cause of an incident, with the evidence for it and what to check next time.

Rules, strongest evidence first (the first that applies is the cause, the others are listed as
contributing strands); each reads the incident's facts, never text:

1. ``stuck_tx_ring``: a NIC hang episode whose TX ring was stuck (TDH frozen across reports):
   the node could not send, whatever else happened ("stuck TX ring on pve03 eno1 (e1000e),
   TDH frozen at <f6> for 37 reports"); with the peers' word when they lost it.
2. ``nic_hang``: a NIC hang or transmit timeout whose ring moved.
3. ``device_offline``: a network device alert (CEF) in the incident: the device took the
   nodes with it.
4. ``network_outage``: every node lost the others at once (each one's trouble within
   ``AT_ONCE`` of the first) with the nodes' own word for it (corosync's knet links down on
   several nodes, every node out of the votes, quorum lost): the network between them, the
   switch. The console's own SSH drops alone are not that (see 8).
5. ``link_down``: a NIC link-down line of the node (not corosync's knet link to a peer).
6. ``node_down``: the node left the votes and its own view stopped answering while the
   console's connection to it stayed up: its corosync is down.
7. ``node_isolated``: only its peers lost the node (out of their quorate views), with no
   link-down line: its link is up but it cannot reach them (a TX stall, a switch port, its
   network stack). Where the data has only corosync's knet link lines about it (a log file),
   that link is named instead (``link_down``).
8. ``management_lost``: connections lost and nobody left the votes: management (SSH) only.
9. ``quorum_lost``: the cluster lost quorum with none of the above.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from labconsole.incident.correlate import Incident
from labconsole.incident.facts import Fact
from labconsole.incident.wording import words
from labconsole.model import timefmt
from labconsole.model.hang import TIMEOUT_KINDS

CauseKind = str  # "stuck_tx_ring" | "nic_hang" | "device_offline" | "link_down" | ...


@dataclass(frozen=True, slots=True)
class Cause:
    kind: CauseKind
    text: str
    evidence: tuple[str, ...] = ()
    contributing: tuple[str, ...] = ()
    next_checks: tuple[str, ...] = ()
    log_lines: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "evidence": list(self.evidence),
                "contributing": list(self.contributing), "next_checks": list(self.next_checks)}


MAX_CEF_LINES = 8
_GONE = re.compile(r"offline|restart|reboot|lost contact|unreachable", re.IGNORECASE)


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _reports(n: int) -> str:
    return f"{n} report" + ("" if n == 1 else "s")


def _hms(f: Fact) -> str:
    return timefmt.clock(f.at)  # in the display zone; uptime where the log has no times


def _reg(hang_fact: Fact, name: str) -> str | None:
    assert hang_fact.hang is not None
    value = hang_fact.hang.registers.get(name)
    return f"<{value.strip('<>')}>" if value else None


def _hang_strand(f: Fact) -> tuple[str, str]:
    """(kind, sentence) of one hang fact."""
    ep = f.hang
    assert ep is not None
    where = f"{f.node} {ep.device or '?'} ({ep.driver or 'unknown driver'})"
    if ep.kind in TIMEOUT_KINDS:  # NETDEV WATCHDOG or the driver's own timeout words
        return "nic_hang", f"transmit queue timeout on {where}, {_reports(ep.reports)}"
    tdh = _reg(f, "TDH")
    if ep.stuck:
        frozen = f", TDH frozen at {tdh}" if tdh else ""
        return "stuck_tx_ring", (f"stuck TX ring on {where}{frozen} for "
                                 f"{_reports(ep.reports)}")
    moving = ", TX ring still moving" if ep.stuck is False else ""
    return "nic_hang", f"NIC transmit hang on {where}, {_reports(ep.reports)}{moving}"


def _who_lost(inc: Incident, all_nodes: set[str]) -> str:
    out = sorted({f.node for f in inc.of_kind("vote_left", "link_down", "conn_lost")
                  if f.node and not is_knet(f)})
    if not out:
        return "no node lost contact"
    if all_nodes and set(out) >= all_nodes:
        return "all nodes lost contact"
    return ", ".join(out) + " lost contact"


def _device_word(f: Fact) -> str:
    name = (f.device or "").upper()
    model = f.cef.extensions.get("UNIFIdeviceModel", "").upper() if f.cef else ""
    said = f"{f.cef.name} {f.cef.extensions.get('msg', '')}".upper() if f.cef else ""
    if name.startswith(("USW", "US-")) or model.startswith(("USW", "US", "USL")) \
            or "SWITCH" in name or "SWITCH" in said:
        return "switch"
    return "network device"


def _device_strand(inc: Incident, all_nodes: set[str]) -> str | None:
    alerts = inc.of_kind("device_alert")
    if not alerts:
        return None
    device = alerts[0].device or "?"
    names = []
    for f in alerts:
        if f.device == device and f.cef is not None and f.cef.name not in names:
            names.append(f.cef.name)
    offline = next((n for n in names if "offline" in n.lower()), None)
    gone = offline or next((n for n in names if _GONE.search(n)), None)
    shown = f"CEF '{offline}'" if offline else ", ".join(f"CEF '{n}'" for n in names)
    state = "offline" if gone else "alert"
    return f"{_device_word(alerts[0])} {device} {state} ({shown}), {_who_lost(inc, all_nodes)}"


def _strands(inc: Incident, all_nodes: set[str]) -> list[tuple[str, str]]:
    strands: list[tuple[str, str]] = []
    hangs = sorted(inc.of_kind("hang"), key=lambda f: (not (f.hang and f.hang.stuck), f.at))
    strands += [_hang_strand(f) for f in hangs]
    resets: dict[tuple[str | None, str | None], list[Fact]] = {}
    for f in inc.of_kind("nic_reset"):
        resets.setdefault((f.node, f.device), []).append(f)
    for (node, dev), found in resets.items():
        strands.append(("nic_reset", f"{dev} on {node} reset by its driver "
                                     f"{_times(len(found))} without a hang report"))
    device = _device_strand(inc, all_nodes)
    if device:
        strands.append(("device_offline", device))
    outage = _outage_strand(inc, all_nodes)
    if outage and not device:
        strands.append(("network_outage", outage))
    flagged = {f.node for f in hangs} | {node for node, _ in resets}
    for f in inc.of_kind("link_down"):
        if not device and not outage and f.node not in flagged and not is_knet(f):
            strands.append(("link_down", f"link down on {f.node} {f.device} (cable, switch port"
                                         " or NIC)"))
            flagged.add(f.node)
    if not device and not outage:
        strands += _node_strands(inc, flagged)
    for f in inc.of_kind("conn_never"):
        if not strands:
            strands.append(("conn_never", f"{words(f)}; the console could not reach it"))
    if not strands and inc.of_kind("quorum_lost"):
        strands.append(("quorum_lost", "cluster lost quorum with no NIC, link or switch "
                                       "evidence"))
    return strands or [("unknown", "trouble seen, cause not evident from the data")]


AT_ONCE = timedelta(seconds=10)


def is_knet(f: Fact) -> bool:
    """corosync's knet link to a peer (``knet0:3``), not a NIC link of the node."""
    return (f.device or "").startswith("knet")


def _first_trouble(inc: Incident) -> dict[str, Fact]:
    """Each node's first loss in the incident (connection, vote, knet link)."""
    first: dict[str, Fact] = {}
    for f in inc.of_kind("conn_lost", "vote_left", "link_down"):
        if f.node and (f.kind != "link_down" or is_knet(f)) and f.node not in first:
            first[f.node] = f
    return first


def _outage_strand(inc: Incident, all_nodes: set[str]) -> str | None:
    """Rule 4: every node lost the others at once, in the nodes' own words."""
    nodes = all_nodes or set(inc.nodes)
    first = _first_trouble(inc)
    if len(nodes) < 2 or not nodes <= set(first):
        return None
    start = min(first[n].at for n in nodes)
    if any(first[n].at - start > AT_ONCE for n in nodes):
        return None
    knet = {f.node for f in inc.of_kind("link_down") if is_knet(f)}
    left = {f.node for f in inc.of_kind("vote_left")}
    said = []
    if len(knet) >= 2:
        said.append(f"corosync links down on {_names(knet)}")
    if nodes <= left:
        said.append("every node out of the votes")
    if inc.of_kind("quorum_lost"):
        said.append("quorum lost")
    if not said:
        return None
    return (f"network outage: all nodes ({_names(nodes)}) lost each other at "
            f"{start:%H:%M:%S} ({', '.join(said)}): the switch or the network between them")


def _names(nodes: Iterable[str | None]) -> str:
    return ", ".join(sorted(n for n in nodes if n))


def _node_strands(inc: Incident, flagged: set[str | None]) -> list[tuple[str, str]]:
    """Rules 6-8, per node: what the votes, the views and the connections say about it."""
    strands: list[tuple[str, str]] = []
    left = {f.node: f for f in reversed(inc.of_kind("vote_left")) if f.node}
    lost = {f.node: f for f in reversed(inc.of_kind("conn_lost")) if f.node}
    unread = {f.node: f for f in reversed(inc.of_kind("view_unknown")) if f.node}
    viewed = {f.node for f in inc.of_kind("view_changed")}
    knet = [f for f in inc.of_kind("link_down") if is_knet(f)]
    for node in sorted(set(left) - {n for n in flagged if n}):
        f = left[node]
        if f.view is not None and f.view.node == node:  # out by its own word, not its peers'
            strands.append(("quorum_lost", f"{node} not quorate by its own view from "
                                           f"{_hms(f)}: cut off from the majority"))
        elif node in unread and node not in lost:
            strands.append(("node_down", f"corosync on {node} down: it left the votes at "
                                         f"{_hms(f)} and stopped answering "
                                         f"({words(unread[node])}) while the console's "
                                         "connection to it stayed up"))
        elif knet and node not in lost and node not in viewed:
            strands.append(("link_down", f"corosync link down: {words(knet[0])}, then {node} "
                                         f"left the votes at {_hms(f)}"))
        else:
            console = " and so did the console" if node in lost else ""
            strands.append(("node_isolated", f"{node} cut off: its peers lost it at {_hms(f)}"
                                              f"{console}, with no link-down line (its link "
                                              "is up: TX path, switch port or network "
                                              "stack)"))
    if not left and knet:
        strands.append(("link_down", f"corosync link down: {words(knet[0])}"))
    if not left and lost:
        who = "all nodes" if len(lost) >= 3 else _names(set(lost))
        first = min(lost.values(), key=lambda f: f.at)
        strands.append(("management_lost", f"management (SSH) to {who} lost from "
                                           f"{_hms(first)}; the votes stayed (nobody left)"))
    return strands


def evidence(inc: Incident) -> list[str]:
    """One sentence per fact that matters, in time order (hangs folded into one)."""
    out: list[str] = []
    for f in inc.facts:
        if f.kind == "hang" and f.hang is not None:
            out.append(_hang_evidence(f))
        elif f.kind != "action":
            out.append(f"{_hms(f)} {words(f)}")
    return out


# What the reports of each hang kind say (every kind is a TX hang).
_MARKER = {"unit_hang": "Detected Hardware Unit Hang", "watchdog": "transmit queue timed out",
           "tx_timeout": "transmit queue timed out", "reset": "reset for a TX hang"}


def _hang_evidence(f: Fact) -> str:
    ep = f.hang
    assert ep is not None
    marker = _MARKER[ep.kind]
    span = timefmt.span(f.at, f.last)
    every = ""
    if ep.reports > 1 and f.last > f.at:
        every = f", every {(f.last - f.at).total_seconds() / (ep.reports - 1):.0f} s"
    text = f"{span} {ep.reports} x '{marker}' on {f.node} {ep.device}{every}"
    regs = [f"{name} {_reg(f, name)}" for name in ("TDH", "TDT", "next_to_clean",
                                                    "next_to_watch.status") if _reg(f, name)]
    if regs:
        text += "; " + ", ".join(regs)
    if ep.stuck:
        text += "; TDH/next_to_clean did not move between reports (ring stuck)"
    if ep.resets:
        text += f"; {ep.resets} adapter reset(s)"
    return text


def key_lines(inc: Incident) -> list[str]:
    """Verbatim log lines that prove the cause: hang blocks, device alerts, link changes."""
    lines: list[str] = []
    cef = 0
    for f in inc.facts:
        if not f.lines:
            continue
        if f.cef is not None:
            cef += 1
            if cef > MAX_CEF_LINES:
                continue
        lines.extend(f.lines)
    return lines


def next_checks(kinds: list[str], inc: Incident) -> list[str]:
    """What to check next time, per cause strand (commands to run by hand, not run here)."""
    checks: list[str] = []
    for f in inc.of_kind("hang"):
        ep = f.hang
        if ep is None or not ep.device:
            continue
        if ep.driver in ("e1000e", "e1000"):
            checks += [
                f"`ethtool -k {ep.device}` on {f.node}: tcp-segmentation-offload, "
                "generic-segmentation-offload and generic-receive-offload must read off",
                f"the `post-up /sbin/ethtool -K {ep.device} tso off gso off gro off` line is in "
                f"the bridge stanza of {f.node}'s /etc/network/interfaces (survives reboot)",
            ]
        checks.append(f"`journalctl -k | grep -i hang` on {f.node} stays quiet after the fix")
    for f in inc.of_kind("nic_reset"):
        checks.append(f"driver and firmware of {f.device} on {f.node} (`ethtool -i "
                      f"{f.device}`) against known resets of that driver")
    if "device_offline" in kinds:
        checks += ["the switch's uptime and update schedule: a planned restart should not "
                   "surprise the cluster",
                   "a second corosync link (knet) over another switch, so one switch reboot "
                   "costs no votes"]
    if "link_down" in kinds:
        checks.append("the cable and switch port of the node (`ethtool -S` error counters, the "
                      "switch's port log)")
    if "network_outage" in kinds:
        checks += ["the switch's log and uptime around the outage",
                   "a second corosync link (knet) over another switch, so one switch outage "
                   "costs no votes"]
    if "node_isolated" in kinds:
        checks.append("the node's TX path: `ethtool -S` drop and error counters, `tc qdisc` "
                      "and the switch port's counters")
    if "management_lost" in kinds:
        checks.append("sshd on the node (`systemctl status ssh`) and the management path")
    if any(k in kinds for k in ("vote_left", "conn_lost", "quorum_lost", "node_down",
                                "node_isolated")):
        checks.append("`journalctl -u corosync` on the node that left, around the drop")
    if "conn_never" in kinds:
        checks.append("`labconsole check --connect`: host key, SSH login and commands per node")
    checks.append("`pvecm status` shows every node back with its vote, and quorate")
    return list(dict.fromkeys(checks))  # once each, first mention's order


def named_cause(inc: Incident, all_nodes: set[str] | None = None) -> str | None:
    """The cause's one sentence as ``explain`` names it, None when unknown; without the
    evidence and checks (per fact) that only a report needs: the timeline's headers read it
    on every redraw."""
    kind, text = _strands(inc, all_nodes or set())[0]
    return None if kind == "unknown" else text


def explain(inc: Incident, all_nodes: set[str] | None = None) -> Cause:
    """The cause of ``inc`` by the rules above, with evidence, key lines and next checks."""
    strands = _strands(inc, all_nodes or set())
    kinds = [k for k, _ in strands]
    return Cause(kind=strands[0][0], text=strands[0][1], evidence=tuple(evidence(inc)),
                 contributing=tuple(t for _, t in strands[1:]),
                 next_checks=tuple(next_checks(kinds, inc)), log_lines=tuple(key_lines(inc)))
