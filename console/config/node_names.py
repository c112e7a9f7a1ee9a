"""The config's node names for inputs that are not live (``replay``, ``report``, ``scan``).

Issue 14 item 6: a node is named by the host its log lines carry, as the config names it
(the config's name, its address or an alternate address, or a fully qualified name whose
first label is the config's name: ``pve03.lab.example`` -> ``pve03``); a host the config does
not know keeps its own name. A file whose lines name no host belongs to the config node its
file name names as a word (``pve03-dmesg.log``, ``kern_pve03.txt``), one node only; the
callers mark a name found that way as taken from the file name. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a replay without --config never loads the config model
    from labconsole.config.model import Config


@dataclass(frozen=True, slots=True)
class NodeNames:
    names: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # lower-case host -> config name

    @classmethod
    def from_config(cls, config: Config) -> NodeNames:
        aliases: dict[str, str] = {}
        for node in config.nodes:
            for alias in (node.name, node.address, *node.alternate_addresses):
                aliases.setdefault(alias.lower(), node.name)
        return cls(tuple(node.name for node in config.nodes), aliases)

    def for_host(self, host: str) -> str:
        """The config's name for ``host`` as a log wrote it, else ``host`` itself."""
        key = host.lower()
        if key in self.aliases:
            return self.aliases[key]
        if "." in key and not _is_address(key):
            return self.aliases.get(key.split(".", 1)[0], host)
        return host

    def for_file(self, path: str | PurePath) -> str | None:
        """The one config node the file's name names as a word, else None."""
        name = PurePath(path).name
        found = [n for n in self.names
                 if re.search(rf"(?<![A-Za-z0-9]){re.escape(n)}(?![A-Za-z0-9])", name,
                              re.IGNORECASE)]
        return found[0] if len(found) == 1 else None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def node_names_from(path: Path | None) -> NodeNames | None:
    """The node names of the config at ``path`` (None: no config given). A config that does
    not load raises ValueError with its problems on one line."""
    if path is None:
        return None
    from labconsole.config.errors import ConfigError
    from labconsole.config.load import load_config

    try:
        return NodeNames.from_config(load_config(path))
    except ConfigError as exc:
        raise ValueError("; ".join(str(p) for p in exc.problems)) from None
