"""Whether and where a line holds a CEF record: ``CEF:<version>|``.

Every kernel and syslog line the console takes in is tested for it and almost none holds
one, so the test lives apart from the parser (``labconsole.parse.cef``): reading lines does
not import the parser and its record type until a record comes (the demo's first frame does
not wait for them, issue 13 item 5).
"""

from __future__ import annotations

import re

MARKER = re.compile(r"(?<![A-Za-z0-9])CEF:(\d{1,3})\|")


def find_cef(line: str) -> int:
    """Offset of the ``CEF:<version>|`` payload in ``line``, or -1 when there is none."""
    match = MARKER.search(line)
    return match.start() if match else -1
