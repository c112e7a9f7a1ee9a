"""What the demo's first frame waits for (issue 13 item 5): the modules loaded by then.

``labconsole run --demo`` is started in a fresh interpreter as the CLI starts it, headless
(``run_test``), and the loaded modules are listed at the first frame the dashboard draws.
The first frame needs Textual, the state, the replay and the dashboard's widgets; anything
below is loaded later when used (a live config, a key, the incident correlation right after
the first frame). A module that appears here again has made every start slower: import it
where it is used instead. No timing: speed is measured in ``bench/startup_paired.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs in the child: the CLI's own path to the demo app; the app is run headless and the
# modules are listed when the first frame of the dashboard is composed for the terminal.
CHILD = r"""
import asyncio, json, sys
from labconsole.app import LabConsoleApp
from labconsole.commands import replay
from labconsole.screens.dashboard import DashboardScreen

at_first_frame = {}
display = LabConsoleApp._display

def _display(self, screen, renderable):
    if renderable is not None and isinstance(screen, DashboardScreen) and not at_first_frame:
        at_first_frame["modules"] = sorted(sys.modules)
        at_first_frame["votes"] = bool(self.state.votes.clusters)
        at_first_frame["cef"] = bool(self.state.cef)
    display(self, screen, renderable)

async def _headless(app):
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3000):  # bounded: 30 s at the least (a loaded machine)
            if at_first_frame:
                break
            await pilot.pause(0.01)

LabConsoleApp._display = _display
LabConsoleApp.run = lambda self, *a, **k: asyncio.run(_headless(self))
replay.refuse_without_terminal = lambda: False
from labconsole.cli import main
main(sys.argv[1:])
print(json.dumps(at_first_frame))
"""

# Not needed to draw the demo's first frame (each was imported before it once).
NOT_BEFORE_FIRST_FRAME = (
    "asyncssh",                          # live SSH sources
    "proxmoxer",                         # live Proxmox API source
    "labconsole.sources.live",
    "labconsole.runbook.session",        # runbooks: on `b`
    "labconsole.screens.runbook",
    "labconsole.screens.incident_report",  # on `i`
    "labconsole.screens.help",           # on `?`
    "labconsole.screens.node_detail",    # on `d`
    "labconsole.incident.report",
    "labconsole.incident.from_state",
    "labconsole.incident.correlate",     # the incident headers follow the first frame
    "labconsole.incident.live_marks",
    "labconsole.state.api_views",        # with the first Proxmox API event
    "labconsole.sources.file_view",      # a big plain log file, not a recording
    "labconsole.parse.kernel_scan",
    "labconsole.config.load",            # no config: nothing to load or validate
    "labconsole.config.model",
    "labconsole.config.node_names",      # a config's node names: with a config
    "labconsole.parse.content_time",     # the times of a plain log file, not a recording's
    "labconsole.parse.block_sniff",      # scan's sniffers of block formats
    "labconsole.incident.mark",          # the incident headers follow the first frame
    "importlib.resources",
)
# Loaded with the first CEF record (the demo's comes 6 s into the replay, long after the
# first frame): the parser, the record type and its classification.
WITH_THE_FIRST_CEF_RECORD = (
    "labconsole.parse.cef",
    "labconsole.model.cef",
    "labconsole.incident.cef_class",
)


@pytest.fixture(scope="module", params=[["run", "--demo"], []], ids=["run --demo", "no args"])
def first_frame(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """``labconsole`` alone plays the demo when no config is found (an empty config dir)."""
    home: Path = tmp_path_factory.mktemp("no-config")
    env = {k: v for k, v in os.environ.items() if k != "LABCONSOLE_CONFIG"}
    env["XDG_CONFIG_HOME"] = str(home)
    done = subprocess.run([sys.executable, "-c", CHILD, *request.param], capture_output=True,
                          text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stdout[-2000:] + done.stderr[-2000:]
    result: dict[str, object] = json.loads(lines[-1])
    assert result, "the dashboard never drew a frame"
    return result


def test_the_first_frame_loads_only_what_it_shows(first_frame: dict[str, object]) -> None:
    listed = first_frame["modules"]
    assert isinstance(listed, list)
    modules = set(listed)
    assert "labconsole.screens.dashboard" in modules  # the listing is the dashboard's frame
    assert [m for m in NOT_BEFORE_FIRST_FRAME if m in modules] == []
    if not first_frame["cef"]:  # no record applied yet (the first frame came in time)
        assert [m for m in WITH_THE_FIRST_CEF_RECORD if m in modules] == []


def test_the_first_frame_has_the_votes(first_frame: dict[str, object]) -> None:
    """Deferring work must not defer the data: the replay's first votes are applied before
    the dashboard draws its first frame."""
    assert first_frame["votes"] is True
