"""``labconsole scan``: recognise each input by content and summarise what it holds.

The JSON shape is the headless contract in DESIGN.md. Inputs are streamed line by line (never
loaded whole) except small block formats (quorum status, ethtool, interfaces, API JSON) that are
recognised from the head of the file and parsed as a whole.
"""

from labconsole.scan.report import FileReport
from labconsole.scan.scanner import scan_input

__all__ = ["FileReport", "scan_input"]
