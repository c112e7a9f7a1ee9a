"""/etc/network/interfaces as a model that renders back byte for byte, with minimal edits.

Written by hand: the Python libraries for this file (debinterface and the like) rebuild the
file from a parsed model and lose comments, spacing, tabs and line endings; the runbook must
change one line and leave every other byte as the operator wrote it.

The model keeps every physical line verbatim (text plus its own terminator: ``\\n``,
``\\r\\n`` or none on a last line) and, on top, reads them as interfaces(5) does:

* a line ending in ``\\`` continues on the next one (one *logical* line);
* a logical line whose first non-blank character is ``#`` is a comment, a blank one is blank;
* ``iface``, ``mapping``, ``auto``, ``allow-*``, ``source``, ``source-directory``,
  ``no-auto-down``, ``no-scripts`` and ``rename`` start a stanza; any other line is an option
  of the current ``iface``/``mapping`` stanza, whatever its indentation (a line after ``auto``
  or before any stanza has no stanza: it is kept and listed in ``problems``).

Edits (:meth:`InterfacesFile.with_post_up`, :meth:`InterfacesFile.without_option`) return a new
model; they insert or remove whole physical lines and touch nothing else.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from labconsole.parse.ethtool import long_feature_name

__all__ = [
    "InterfacesEditError",
    "InterfacesFile",
    "InterfacesParseError",
    "Line",
    "OffloadHook",
    "Option",
    "Stanza",
    "parse_interfaces",
]


class InterfacesParseError(ValueError):
    """The text has no interfaces(5) stanza at all (only :func:`parse_interfaces` raises it)."""


class InterfacesEditError(ValueError):
    """An edit that cannot be made: unknown stanza, a command that would span lines..."""


_STANZA_WORDS = frozenset(
    {
        "iface",
        "mapping",
        "auto",
        "source",
        "source-directory",
        "no-auto-down",
        "no-scripts",
        "rename",
    }
)
_OPTION_STANZAS = frozenset({"iface", "mapping"})
_HOOK_KEYWORDS = frozenset({"pre-up", "up", "post-up"})
_ETHTOOL_SET = frozenset({"-K", "--features", "--offload"})
_IFACE_VARS = frozenset({"$IFACE", "${IFACE}"})
# Words that run the command after them: ``sudo ethtool -K ...``, ``VAR=1 ethtool ...``.
_WRAPPERS = frozenset({"sudo", "exec", "command", "nice", "nohup", "env"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELL_OPERATOR = re.compile(r"^[;&|()<>]+$")


@dataclass(frozen=True, slots=True)
class Line:
    """One physical line: ``text`` without its terminator, ``end`` the terminator itself."""

    text: str
    end: str


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a stanza (``bridge-ports eno1``); ``first``..``last`` are line indexes."""

    keyword: str
    value: str
    first: int
    last: int
    indent: str

    @property
    def lineno(self) -> int:
        return self.first + 1

    @property
    def key(self) -> str:
        """The keyword with ``_`` read as ``-`` (``bridge_ports`` is ``bridge-ports``)."""
        return self.keyword.replace("_", "-")


@dataclass(frozen=True, slots=True)
class Stanza:
    """``iface NAME [FAMILY METHOD]``, ``mapping``, ``auto a b``, ``source PATH``..."""

    kind: str
    words: tuple[str, ...]
    first: int
    last: int
    options: tuple[Option, ...] = ()

    @property
    def name(self) -> str:
        return self.words[0] if self.words else ""

    @property
    def family(self) -> str | None:
        return self.words[1] if self.kind == "iface" and len(self.words) > 1 else None

    @property
    def method(self) -> str | None:
        return self.words[2] if self.kind == "iface" and len(self.words) > 2 else None

    @property
    def end(self) -> int:
        """Index of the stanza's last option line (or of its header when it has none)."""
        return self.options[-1].last if self.options else self.last

    def values(self, keyword: str) -> list[str]:
        """Values of every option spelled ``keyword`` (``-`` and ``_`` alike)."""
        key = keyword.replace("_", "-")
        return [o.value for o in self.options if o.key == key]


@dataclass(frozen=True, slots=True)
class OffloadHook:
    """A hook line that runs ``ethtool -K DEV ... off`` for an interface."""

    stanza: str
    keyword: str
    command: str
    device: str
    features: dict[str, bool] = field(default_factory=dict)
    lineno: int = 0

    def disables(self, *names: str) -> bool:
        """True when every named feature (short or long name) is turned off by this hook."""
        return all(self.features.get(long_feature_name(n)) is False for n in names)


@dataclass(frozen=True, slots=True)
class _Logical:
    text: str
    first: int
    last: int


@dataclass(frozen=True)
class InterfacesFile:
    lines: tuple[Line, ...]
    stanzas: tuple[Stanza, ...]
    problems: tuple[str, ...] = ()

    # -- reading -------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> InterfacesFile:
        """Model of any text (never raises); ``render()`` gives the text back unchanged."""
        lines = _split_lines(text)
        heads: list[Stanza] = []
        options: list[list[Option]] = []
        problems: list[str] = []
        for logical in _logical_lines(lines):
            stripped = logical.text.strip()
            if not stripped or stripped.startswith("#"):
                continue
            words = stripped.split()
            if words[0] in _STANZA_WORDS or words[0].startswith("allow-"):
                heads.append(Stanza(words[0], tuple(words[1:]), logical.first, logical.last))
                options.append([])
            elif heads and heads[-1].kind in _OPTION_STANZAS:
                options[-1].append(
                    Option(
                        keyword=words[0],
                        value=stripped[len(words[0]) :].strip(),
                        first=logical.first,
                        last=logical.last,
                        indent=_indent(logical.text),
                    )
                )
            else:
                problems.append(f"line {logical.first + 1}: option {words[0]!r} outside a stanza")
        stanzas = [replace(h, options=tuple(o)) for h, o in zip(heads, options, strict=True)]
        return cls(lines=tuple(lines), stanzas=tuple(stanzas), problems=tuple(problems))

    def render(self) -> str:
        return "".join(line.text + line.end for line in self.lines)

    def ifaces(self, name: str | None = None) -> list[Stanza]:
        """``iface`` stanzas, all or those of one interface (inet and inet6 are two)."""
        return [s for s in self.stanzas if s.kind == "iface" and (name is None or s.name == name)]

    def stanza(self, name: str) -> Stanza:
        """The first ``iface NAME`` stanza; :class:`InterfacesEditError` when there is none."""
        found = self.ifaces(name)
        if not found:
            raise InterfacesEditError(f"no 'iface {name}' stanza in the interfaces file")
        return found[0]

    def auto(self) -> list[str]:
        """Interfaces brought up at boot (``auto`` and ``allow-auto``)."""
        return [w for s in self.stanzas if s.kind in ("auto", "allow-auto") for w in s.words]

    def bridge_for(self, iface: str) -> str | None:
        """The bridge whose ``bridge-ports`` (or OVS ``ovs_ports``) lists ``iface``."""
        for stanza in self.ifaces():
            for keyword in ("bridge-ports", "ovs-ports"):
                if any(iface in value.split() for value in stanza.values(keyword)):
                    return stanza.name
        return None

    def find_offload_hooks(self, iface: str) -> list[OffloadHook]:
        """Every ``pre-up``/``up``/``post-up`` line, in any stanza, that turns an offload of
        ``iface`` off with ``ethtool -K|--features|--offload``, also inside ``&&``/``;``
        chains, with or without a path; ``$IFACE`` counts inside ``iface``'s own stanza."""
        hooks = []
        for stanza in self.ifaces():
            for option in stanza.options:
                if option.key not in _HOOK_KEYWORDS:
                    continue
                for device, features in _ethtool_settings(option.value):
                    real = stanza.name if device in _IFACE_VARS else device
                    if real == iface and False in features.values():
                        hooks.append(
                            OffloadHook(
                                stanza.name,
                                option.keyword,
                                option.value,
                                device,
                                features,
                                option.lineno,
                            )
                        )
        return hooks

    def find_offload_hook(self, iface: str) -> OffloadHook | None:
        """The first hook of :meth:`find_offload_hooks`, None when there is none."""
        hooks = self.find_offload_hooks(iface)
        return hooks[0] if hooks else None

    # -- editing -------------------------------------------------------------------------
    def with_post_up(self, stanza: str | Stanza, command: str) -> InterfacesFile:
        """Add ``post-up COMMAND`` after the stanza's last option, indented like its options.

        Idempotent: when the stanza already has an equivalent ``post-up``/``up`` line (same
        words, ``/sbin/ethtool`` = ``ethtool``) the model is returned unchanged.
        """
        return self.with_option(stanza, "post-up", command)

    def with_option(self, stanza: str | Stanza, keyword: str, value: str) -> InterfacesFile:
        target = self._resolve(stanza)
        _check_one_line(keyword, value)
        if any(_same(o, keyword, value) for o in target.options):
            return self
        lines = list(self.lines)
        after = target.end
        indent = target.options[-1].indent if target.options else self._default_indent()
        end = lines[after].end
        if lines[after].text.rstrip("\r").endswith("\\"):
            # A dangling "\" continues into whatever comes next: the new line would become
            # part of that option (and a second add would not see it as the same line).
            raise InterfacesEditError(
                f"the last line of {target.kind} {target.name!r} ends in a line continuation "
                "('\\') with nothing after it")
        if not end:  # after a last line without terminator: give it one, the new line none
            if lines[after].text.endswith("\r"):
                # "\r" + "\n" would read back as a CRLF line and the edit could not be undone
                raise InterfacesEditError("the file ends in a bare carriage return")
            lines[after] = replace(lines[after], end=self._dominant_end())
        lines.insert(after + 1, Line(f"{indent}{keyword} {value.strip()}", end))
        return InterfacesFile.parse("".join(line.text + line.end for line in lines))

    def without_post_up(self, stanza: str | Stanza, command: str) -> InterfacesFile:
        """Remove equivalent ``post-up``/``up`` lines from the stanza: reverses
        :meth:`with_post_up` byte for byte. Unchanged when there is none."""
        return self.without_option(stanza, "post-up", command)

    def without_option(self, stanza: str | Stanza, keyword: str, value: str) -> InterfacesFile:
        target = self._resolve(stanza)
        doomed = [o for o in target.options if _same(o, keyword, value, aliases=False)]
        if not doomed:
            return self
        lines = list(self.lines)
        for option in reversed(doomed):
            last_had_no_end = option.last == len(lines) - 1 and not lines[option.last].end
            del lines[option.first : option.last + 1]
            if last_had_no_end and lines:
                lines[-1] = replace(lines[-1], end="")
        return InterfacesFile.parse("".join(line.text + line.end for line in lines))

    # -- helpers -------------------------------------------------------------------------
    def _resolve(self, stanza: str | Stanza) -> Stanza:
        if isinstance(stanza, str):
            return self.stanza(stanza)
        for candidate in self.stanzas:
            if candidate.first == stanza.first and candidate.words == stanza.words:
                return candidate
        raise InterfacesEditError(f"stanza {stanza.kind} {stanza.name!r} is not in this file")

    def _default_indent(self) -> str:
        """Indent of the file's first option line; a tab, as Proxmox writes, if none."""
        for stanza in self.stanzas:
            for option in stanza.options:
                if option.indent:
                    return option.indent
        return "\t"

    def _dominant_end(self) -> str:
        ends = [line.end for line in self.lines if line.end]
        return max(set(ends), key=ends.count) if ends else "\n"


def parse_interfaces(text: str) -> InterfacesFile:
    """:meth:`InterfacesFile.parse`, but an error when the text has no stanza at all."""
    model = InterfacesFile.parse(text)
    if not model.stanzas:
        raise InterfacesParseError("no iface/auto/mapping/source stanza: not an interfaces file")
    return model


def _split_lines(text: str) -> list[Line]:
    """Physical lines as ifupdown reads them: split on ``\\n`` only; ``\\r`` before it is part
    of the terminator (CRLF files), any other control character stays in the text."""
    lines = []
    pieces = text.split("\n")
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        if last and not piece:
            break
        if not last and piece.endswith("\r"):
            lines.append(Line(piece[:-1], "\r\n"))
        else:
            lines.append(Line(piece, "" if last else "\n"))
    return lines


def _logical_lines(lines: list[Line]) -> Iterator[_Logical]:
    """Join ``\\``-continued physical lines into one logical line (interfaces(5))."""
    index = 0
    while index < len(lines):
        first, parts = index, []
        while True:
            text = lines[index].text.rstrip()
            if text.endswith("\\") and index + 1 < len(lines):
                parts.append(text[:-1])
                index += 1
                continue
            parts.append(lines[index].text)
            break
        yield _Logical(" ".join(parts), first, index)
        index += 1


def _check_one_line(keyword: str, value: str) -> None:
    if not keyword or any(c.isspace() for c in keyword):
        raise InterfacesEditError(f"option keyword {keyword!r} must be one word")
    if not value.strip():
        raise InterfacesEditError(f"{keyword}: empty value")
    if any(c in value for c in "\r\n") or value.rstrip().endswith("\\"):
        raise InterfacesEditError(f"{keyword}: the value must stay on one line")


def _normal_words(value: str) -> list[str]:
    words = value.split()
    if words and "/" in words[0]:
        words[0] = posixpath.basename(words[0])
    return words


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" \t"))]


def _same(option: Option, keyword: str, value: str, *, aliases: bool = True) -> bool:
    """Equivalent option: the same words (``/sbin/ethtool`` = ``ethtool``) under the same
    keyword; with ``aliases``, ``up`` and ``post-up`` (the same hook in ifupdown) match too.
    Removal matches without aliases so it never takes out a line the operator wrote."""
    key = keyword.replace("_", "-")
    names = {"up": "post-up"} if aliases else {}
    if names.get(option.key, option.key) != names.get(key, key):
        return False
    return _normal_words(option.value) == _normal_words(value)


def _shell_words(command: str) -> list[str]:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: a plain split still finds an ethtool call
        return command.split()


def _simple_commands(command: str) -> Iterator[list[str]]:
    current: list[str] = []
    for word in _shell_words(command):
        if _SHELL_OPERATOR.match(word):
            if current:
                yield current
            current = []
        else:
            current.append(word)
    if current:
        yield current


def _ethtool_settings(command: str) -> Iterator[tuple[str, dict[str, bool]]]:
    """(device as written, {long feature name: on}) of each ``ethtool -K`` in a hook line.

    Lenient on purpose: the ``name on|off`` pairs are read until the first word that does
    not fit, so trailing redirections or typos do not hide a hook that is really there.
    """
    for words in _simple_commands(command):
        start = 0
        while start < len(words) and (words[start] in _WRAPPERS or _ASSIGNMENT.match(words[start])):
            start += 1
        if start == len(words) or posixpath.basename(words[start]) != "ethtool":
            continue  # ``echo ethtool -K ...`` runs echo, not ethtool
        args = words[start + 1 :]
        if len(args) < 2 or args[0] not in _ETHTOOL_SET:
            continue
        features: dict[str, bool] = {}
        rest = args[2:]
        for name, state in zip(rest[::2], rest[1::2], strict=False):
            if state not in ("on", "off"):
                break
            features[long_feature_name(name)] = state == "on"
        yield args[1], features
