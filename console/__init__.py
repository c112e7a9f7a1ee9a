"""labconsole: a terminal operations console for small Proxmox/corosync clusters.

The package root is the domain core (parsers, models, incident logic, sources, CLI). Only
``labconsole.app``, ``labconsole.widgets`` and ``labconsole.screens`` import Textual; an
import-linter contract in pyproject.toml keeps it that way.
"""

__version__ = "0.1.0"
