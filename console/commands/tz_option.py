"""``--tz ZONE``: the zone screens and Markdown show times in (headless: no Textual)."""

from __future__ import annotations

import argparse
from datetime import tzinfo

from labconsole.model import timefmt


def _zone(text: str) -> tzinfo:
    try:
        return timefmt.parse_zone(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_tz_option(parser: argparse.ArgumentParser) -> None:
    """``--tz ZONE``: the zone times are shown in (default: UTC, or the config's timezone)."""
    parser.add_argument("--tz", type=_zone, default=None, metavar="ZONE",
                        help="show times in this zone: UTC (default) or an IANA name like "
                             "Europe/Berlin (JSON stays UTC)")


def use_tz(args: argparse.Namespace) -> None:
    """Apply ``--tz`` when given (entry points call this before showing anything)."""
    zone = getattr(args, "tz", None)
    if zone is not None:
        timefmt.set_display_zone(zone)
