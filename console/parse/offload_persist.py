"""Is the offload fix (tso, gso, gro off) really persisted in an interfaces file?

A hook line that mentions ``ethtool -K eno1 tso off`` is not yet a fix (issue 19 item 10,
issue 15 item 3). It counts only when it would run and leave the feature off:

* it is in the ``inet`` stanza of the interface that carries the port: the bridge whose
  ``bridge-ports`` lists it, or, with no bridge, the NIC's own stanza (never ``inet6``: a
  host without IPv6 never brings that stanza up); or in the port's own ``inet`` stanza
  (``iface eno1 inet manual`` + ``post-up ethtool -K eno1 ...``, the form most real files
  use): ifupdown2, which Proxmox VE runs, brings a bridge's ports up (their stanzas' hooks
  included) before the bridge itself, so those hooks run first, then the bridge's;
* that interface is brought up (``auto`` / ``allow-auto`` / ``allow-hotplug``);
* the hook is a ``pre-up``/``up``/``post-up`` line, not commented out, and the ``ethtool``
  call in it runs: ``false && ethtool ...``, ``true || ethtool ...``, ``cmd || ethtool ...``
  and anything after ``exit`` do not;
* the feature's *final* state is off: ``... gro off; ethtool -K eno1 gro on`` (or a later
  line turning it on) undoes it.

Hooks anywhere else (another interface's stanza, an inet6 stanza, a commented line) are named
with the reason they do not count here. The runbook's persist step and ``scan`` both decide
with :func:`persistence`. Pure: a model in, typed findings out.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from labconsole.parse.ethtool import long_feature_name
from labconsole.parse.interfaces import InterfacesFile, Stanza

FEATURES = ("tso", "gso", "gro")
_LONG = {long_feature_name(f): f for f in FEATURES}
_UP_WORDS = ("auto", "allow-auto", "allow-hotplug")
_HOOKS = ("pre-up", "up", "post-up")
_ORDER = {"pre-up": 0, "up": 1, "post-up": 1}
_ETHTOOL_SET = frozenset({"-K", "--features", "--offload"})
_IFACE_VARS = frozenset({"$IFACE", "${IFACE}"})
_WRAPPERS = frozenset({"sudo", "exec", "command", "nice", "nohup", "env"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_OPERATOR = re.compile(r"^[;&|()<>]+$")
_TRUE = frozenset({"true", ":"})
_FALSE = frozenset({"false"})
_COMMENTED_HOOK = re.compile(r"^[ \t]*#+[ \t]*(pre-up|up|post-up)[ \t]+(.*\S)[ \t]*$")

HookState = Literal["effective", "ineffective", "elsewhere", "commented"]
CarrierKind = Literal["bridge", "nic"]


@dataclass(frozen=True, slots=True)
class HookFinding:
    """One hook line that sets an offload of the port, and whether it counts."""

    line: int  # 1-based
    stanza: str | None  # "iface vmbr0 inet" (None: a comment outside any stanza)
    keyword: str
    command: str
    state: HookState
    why: str = ""  # for every state but "effective"
    sets: dict[str, bool] = field(default_factory=dict)  # tso/gso/gro -> on, as written

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "stanza": self.stanza, "keyword": self.keyword,
                "command": self.command, "state": self.state, "why": self.why or None,
                "sets": {k: ("on" if v else "off") for k, v in self.sets.items()}}


@dataclass(frozen=True, slots=True)
class OffloadPersistence:
    """Whether ``port``'s tso, gso and gro are turned off for good, and by which lines."""

    port: str
    carrier: str | None  # the interface whose inet stanza must hold the hook
    carrier_kind: CarrierKind | None
    stanza_line: int | None  # 1-based header line of that inet stanza
    brought_up: bool
    off: dict[str, bool]  # feature -> effectively off after every hook that runs
    hooks: tuple[HookFinding, ...] = ()
    problem: str | None = None  # why no hook can count (no inet stanza, never brought up)

    @property
    def effective(self) -> bool:
        return self.problem is None and all(self.off.get(f) for f in FEATURES)

    @property
    def missing(self) -> list[str]:
        return [f for f in FEATURES if not self.off.get(f)]

    def to_json(self) -> dict[str, Any]:
        return {"port": self.port, "carrier": self.carrier, "carrier_kind": self.carrier_kind,
                "stanza_line": self.stanza_line, "brought_up": self.brought_up,
                "effective": self.effective, **{f: bool(self.off.get(f)) for f in FEATURES},
                "problem": self.problem, "hooks": [h.to_json() for h in self.hooks]}


def carrier_of(model: InterfacesFile, port: str, bridge: str | None = None
               ) -> tuple[str | None, CarrierKind | None]:
    """The bridge that lists ``port`` in its ports (or ``bridge`` when given), else the NIC
    itself when it has a stanza of its own."""
    name = bridge or model.bridge_for(port)
    if name is not None:
        return name, "bridge"
    own = model.ifaces(port)
    if own:
        is_bridge = any(s.values("bridge-ports") or s.values("ovs-ports") for s in own)
        return port, "bridge" if is_bridge else "nic"
    return None, None


def inet_stanza(model: InterfacesFile, name: str, port: str) -> Stanza | None:
    """``iface NAME inet ...``: the one listing ``port`` in its ports if several, never an
    inet6 one."""
    found = [s for s in model.ifaces(name) if s.family == "inet"]
    for stanza in found:
        if any(port in v.split() for k in ("bridge-ports", "ovs-ports") for v in stanza.values(k)):
            return stanza
    return found[0] if found else None


def brought_up(model: InterfacesFile, name: str) -> bool:
    return any(s.kind in _UP_WORDS and name in s.words for s in model.stanzas)


def persistence(model: InterfacesFile, port: str, bridge: str | None = None
                ) -> OffloadPersistence:
    carrier, kind = carrier_of(model, port, bridge)
    target = inet_stanza(model, carrier, port) if carrier else None
    up = carrier is not None and brought_up(model, carrier)
    problem = None
    if carrier is None:
        problem = f"no bridge lists {port} in its ports and {port} has no stanza of its own"
    elif target is None:
        problem = f"no 'iface {carrier} inet' stanza (an inet6 stanza is not brought up " \
                  "without IPv6)"
    elif not up:
        problem = f"{carrier} is never brought up (no auto or allow-hotplug line for it)"
    own = _port_stanza(model, port, carrier)
    hooks, off = _findings(model, port, (own, target), problem)
    return OffloadPersistence(port, carrier, kind, target.first + 1 if target else None, up,
                              off, tuple(hooks), problem)


def _port_stanza(model: InterfacesFile, port: str, carrier: str | None) -> Stanza | None:
    """The bridge port's own ``iface PORT inet`` stanza, whose hooks run when the bridge
    brings the port up (None when the port is its own carrier or has no such stanza)."""
    if carrier is None or carrier == port:
        return None
    return next((s for s in model.ifaces(port) if s.family == "inet"), None)


def all_persistence(model: InterfacesFile) -> list[OffloadPersistence]:
    """Every (bridge, port) pair, and every NIC that carries an address with no bridge."""
    out: list[OffloadPersistence] = []
    seen: set[tuple[str, str]] = set()
    bridged: set[str] = set()
    for stanza in model.ifaces():
        for key in ("bridge-ports", "ovs-ports"):
            for value in stanza.values(key):
                for port in value.split():
                    bridged.add(port)
                    if port != "none" and (stanza.name, port) not in seen:
                        seen.add((stanza.name, port))
                        out.append(persistence(model, port, stanza.name))
    for stanza in model.ifaces():
        name = stanza.name
        if (stanza.family == "inet" and stanza.method in ("static", "dhcp")
                and name not in bridged and name != "lo" and (name, name) not in seen
                and not any(s.name == name and (s.values("bridge-ports")
                                                or s.values("ovs-ports"))
                            for s in model.ifaces(name))):
            seen.add((name, name))
            out.append(persistence(model, name))
    covered = {port for _, port in seen}
    for device in _hooked_devices(model):  # hooks for a device no bridge or address carries
        if device not in covered:
            covered.add(device)
            out.append(persistence(model, device))
    return out


def _hooked_devices(model: InterfacesFile) -> list[str]:
    """Devices an ``ethtool -K`` hook line names, commented ones included, in file order."""
    found: list[str] = []
    commands: list[tuple[str, str | None]] = [
        (o.value, s.name) for s in model.ifaces() for o in s.options if o.key in _HOOKS]
    commands += [(m.group(2), None) for line in model.lines
                 if (m := _COMMENTED_HOOK.match(line.text))]
    for command, stanza in commands:
        for _, words in _commands(command):
            device = _device(words, stanza)
            if device and device not in found:
                found.append(device)
    return found


def _device(words: list[str], stanza: str | None) -> str | None:
    start = 0
    while start < len(words) and (words[start] in _WRAPPERS or _ASSIGNMENT.match(words[start])):
        start += 1
    if start == len(words) or posixpath.basename(words[start]) != "ethtool":
        return None
    args = words[start + 1:]
    if len(args) < 2 or args[0] not in _ETHTOOL_SET:
        return None
    return stanza if args[1] in _IFACE_VARS else args[1]


def _findings(model: InterfacesFile, port: str, targets: tuple[Stanza | None, Stanza | None],
              problem: str | None) -> tuple[list[HookFinding], dict[str, bool]]:
    """``targets``: the port's own stanza (its hooks run first) and the carrier's."""
    own, target = targets
    hooks: list[HookFinding] = []
    final: dict[str, bool] = {}
    in_target = []
    for stanza in model.ifaces():
        label = _label(stanza)
        for option in stanza.options:
            if option.key not in _HOOKS:
                continue
            runs = list(_runs(option.value, port, stanza.name))
            if not runs:
                continue
            sets = _merge(s for s, _ in runs)
            if stanza is not target and stanza is not own:
                why = _elsewhere(stanza, target, port)
                hooks.append(HookFinding(option.lineno, label, option.keyword, option.value,
                                         "elsewhere", why, sets))
                continue
            in_target.append((option, label, runs, sets))
    in_target.sort(key=lambda item: (item[1] != _label(own), _ORDER[item[0].key],
                                     item[0].first))
    for option, label, runs, sets in in_target:
        ran = [s for s, ok in runs if ok]
        for settings in ran:
            final.update(settings)
        why = ("" if ran else "the ethtool call never runs: "
               + next(reason for s, reason in _skips(option.value, port, label) if reason))
        if problem:
            why = problem
        hooks.append(HookFinding(option.lineno, label, option.keyword, option.value,
                                 "effective" if ran and not problem else "ineffective",
                                 why, sets))
    hooks.extend(_commented(model, port))
    off = {f: not problem and final.get(f) is False for f in FEATURES}
    for n, h in enumerate(hooks):  # a hook that runs but is undone later says so
        turned_off = {f for settings, ran in _runs(h.command, port, _name(h.stanza))
                      if ran for f, on in settings.items() if not on}
        undone = [f for f in FEATURES if f in turned_off and not off[f]]
        if h.state == "effective" and undone:
            hooks[n] = HookFinding(h.line, h.stanza, h.keyword, h.command, "ineffective",
                                   f"{', '.join(undone)} turned back on later", h.sets)
    hooks.sort(key=lambda h: h.line)
    return hooks, off


def _label(stanza: Stanza | None) -> str | None:
    return None if stanza is None else f"iface {stanza.name} {stanza.family or ''}".strip()


def _name(label: str | None) -> str | None:
    return label.split()[1] if label and len(label.split()) > 1 else None


def _elsewhere(stanza: Stanza, target: Stanza | None, port: str) -> str:
    if stanza.family == "inet6":
        return "in an inet6 stanza (not brought up without IPv6)"
    if target is None:
        return f"in iface {stanza.name}, and no stanza applies the fix for {port}"
    if stanza.name == port:
        return (f"in {port}'s own stanza: not counted, the fix belongs in iface "
                f"{target.name} inet, which brings {port} up")
    return f"not in iface {target.name} inet, the stanza that brings {port} up"


def _merge(settings: Iterator[dict[str, bool]]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for s in settings:
        out.update(s)
    return out


def _commented(model: InterfacesFile, port: str) -> list[HookFinding]:
    out = []
    for index, line in enumerate(model.lines):
        m = _COMMENTED_HOOK.match(line.text)
        if not m:
            continue
        runs = list(_runs(m.group(2), port, None))
        if runs:
            stanza = _stanza_at(model, index)
            out.append(HookFinding(index + 1, stanza, m.group(1), m.group(2), "commented",
                                   "commented out", _merge(s for s, _ in runs)))
    return out


def _stanza_at(model: InterfacesFile, index: int) -> str | None:
    label = None
    for stanza in model.stanzas:
        if stanza.first > index:
            break
        if stanza.kind == "iface":
            label = f"iface {stanza.name} {stanza.family or ''}".strip()
    return label


# -- the shell of one hook line ---------------------------------------------------------------

def _commands(command: str) -> Iterator[tuple[str, list[str]]]:
    """(operator before it, words) of each simple command; ``#`` starts a comment."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:  # unbalanced quotes: the shell would refuse the whole line
        return
    op, current = ";", list[str]()
    for word in words:
        if _OPERATOR.match(word):
            if current:
                yield op, current
            op, current = word, []
        else:
            current.append(word)
    if current:
        yield op, current


def _skips(command: str, port: str, stanza: str | None) -> Iterator[tuple[dict[str, bool], str]]:
    """Each ethtool call on ``port`` with '' when it runs, or why it does not."""
    status: bool | None = True  # True ran ok, False failed, None unknown (taken as ok)
    stopped = ""
    for op, words in _commands(command):
        if stopped:
            settings = _ethtool(words, port, stanza)
            if settings is not None:
                yield settings, stopped
            continue
        runs = (op not in ("&&", "||") or (op == "&&" and status is not False)
                or (op == "||" and status is False))
        cmd = _command_name(words)
        settings = _ethtool(words, port, stanza)
        if not runs:
            if settings is not None:
                yield settings, ("after '&&' behind a command that fails" if op == "&&" else
                                 "after '||': runs only if the command before it fails")
            continue
        if settings is not None:
            yield settings, ""
        if cmd in _TRUE:
            status = True
        elif cmd in _FALSE:
            status = False
        elif cmd == "exit":
            stopped = "after 'exit'"
        else:
            status = None


def _runs(command: str, port: str, stanza: str | None) -> Iterator[tuple[dict[str, bool], bool]]:
    for settings, reason in _skips(command, port, stanza):
        yield settings, not reason


def _command_name(words: list[str]) -> str:
    start = 0
    while start < len(words) and (words[start] in _WRAPPERS or _ASSIGNMENT.match(words[start])):
        start += 1
    return posixpath.basename(words[start]) if start < len(words) else ""


def _ethtool(words: list[str], port: str, stanza: str | None) -> dict[str, bool] | None:
    """tso/gso/gro -> on of an ``ethtool -K PORT ...`` call, None for anything else."""
    if _device(words, stanza) != port:
        return None
    out: dict[str, bool] = {}
    rest = words[words.index(next(w for w in words if w in _ETHTOOL_SET)) + 2:]
    for name, state in zip(rest[::2], rest[1::2], strict=False):
        if state not in ("on", "off"):
            break
        short = _LONG.get(long_feature_name(name))
        if short:
            out[short] = state == "on"
    return out or None
