"""Name the likely cause of an incident, with the evidence for it and what to check next time.

Rules, strongest evidence first (the first that applies is the cause, the others are listed as
contributing strands):

1. A NIC hang episode whose TX ring was stuck (TDH frozen across reports): the node could not
   send, whatever else happened. "stuck TX ring on pve03 eno1 (e1000e), TDH frozen at <f6>
   for 37 reports".
2. A NIC hang or transmit timeout whose ring moved: a hang, but not the frozen-ring signature.
3. A network device alert (CEF) in the incident: the device took the nodes with it.
4. A link down with no device alert: cable, switch port or the NIC.
5. A lost connection, a node leaving the votes, or lost quorum with none of the above: the
   symptom is named and the lack of evidence is said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from labconsole.incident.correlate import Incident
from labconsole.incident.facts import Fact
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
        return "stuck_tx_ring", f"stuck TX ring on {where}{frozen} for {_reports(ep.reports)}"
    moving = ", TX ring still moving" if ep.stuck is False else ""
    return "nic_hang", f"NIC transmit hang on {where}, {_reports(ep.reports)}{moving}"


def _who_lost(inc: Incident, all_nodes: set[str]) -> str:
    out = sorted({f.node for f in inc.of_kind("vote_left", "link_down", "conn_lost") if f.node})
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
    flagged = {f.node for f in hangs} | {node for node, _ in resets}
    for f in inc.of_kind("link_down"):
        if not device and f.node not in flagged:
            strands.append(("link_down", f"link down on {f.node} {f.device} (cable, switch port"
                                         " or NIC)"))
    for f in inc.of_kind("conn_lost"):
        if not strands:
            strands.append(("conn_lost", f"{f.text}; no kernel, link or switch evidence"))
    for f in inc.of_kind("conn_never"):
        if not strands:
            strands.append(("conn_never", f"{f.text}; the console could not reach it"))
    for f in inc.of_kind("vote_left"):
        if not strands:
            strands.append(("vote_left", f"{f.node} left the cluster votes with no NIC, link "
                                         "or switch evidence"))
    if not strands and inc.of_kind("quorum_lost"):
        strands.append(("quorum_lost", "cluster lost quorum with no NIC, link or switch "
                                       "evidence"))
    return strands or [("unknown", "trouble seen, cause not evident from the data")]


def evidence(inc: Incident) -> list[str]:
    """One sentence per fact that matters, in time order (hangs folded into one)."""
    out: list[str] = []
    for f in inc.facts:
        if f.kind == "hang" and f.hang is not None:
            out.append(_hang_evidence(f))
        elif f.kind != "action":
            out.append(f"{_hms(f)} {f.text}")
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
    if any(k in kinds for k in ("vote_left", "conn_lost", "quorum_lost")):
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
