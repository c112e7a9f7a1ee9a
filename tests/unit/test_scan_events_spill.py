"""``scan --events`` moves final hang episodes out of memory like ``scan --json``
(``labconsole.scan.hang_spill``), with the same output: its hang reports number episodes by a
counter, not by the identity of an episode object that may have been freed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from unittest import mock

import pytest

from bench.loggen import PROFILES, write_log
from labconsole.cli import main
from labconsole.model.hang import HangEpisode
from labconsole.model.kernel_line import KernelLine
from labconsole.parse.hang_detector import EpisodeOpened, EpisodeUpdated
from labconsole.parse.scan_facts import Fact, HangReport, HangReports
from labconsole.scan import hang_spill, parallel
from labconsole.scan.scanner import scan_input

HEAD = "2024-06-03T00:00:{s:02d}+0200 pve03 kernel: e1000e 0000:00:1f.6 eno1: "


def _episode(lineno: int) -> HangEpisode:
    return HangEpisode(kind="unit_hang", driver="e1000e", device="eno1", reports=1,
                       first_lineno=lineno, last_lineno=lineno)


def test_numbers_stay_in_order_when_final_episodes_are_freed() -> None:
    """Many short episodes in a row, each forgotten and freed before the next is made: the
    next one is often allocated where the last one was (the same ``id``), and numbering by
    ``id`` gave it the freed one's number. Each report carries the order it opened in."""
    got: list[Fact] = []
    reports = HangReports(got.append)
    for n in range(1, 2001):
        ep = _episode(n)
        line = KernelLine(raw="", message="Detected Hardware Unit Hang:", lineno=n)
        reports.take(line, [EpisodeOpened(ep)])
        ep.reports, ep.last_lineno = 2, n  # a second report of it on a later line
        reports.take(KernelLine(raw="", message="again", lineno=n), [EpisodeUpdated(ep)])
        reports.forget_final([])  # final: a whole-file scan wrote it out
        del ep, line
    numbers = [f.episode for f in got if isinstance(f, HangReport)]
    assert numbers == [n // 2 for n in range(4000)]


def test_an_open_episode_keeps_its_number_and_a_forgotten_one_reads_unknown() -> None:
    got: list[Fact] = []
    reports = HangReports(got.append)
    first, second = _episode(1), _episode(2)
    reports.take(KernelLine(raw="", message="x", lineno=1), [EpisodeOpened(first)])
    reports.take(KernelLine(raw="", message="x", lineno=2), [EpisodeOpened(second)])
    reports.forget_final([second])
    first.last_lineno = second.last_lineno = 3
    line = KernelLine(raw="", message="x", lineno=3)
    reports.take(line, [EpisodeUpdated(second)])
    reports.take(line, [EpisodeUpdated(first)])  # not possible in a scan: never numbered again
    assert [f.episode for f in got if isinstance(f, HangReport)] == [0, 1, 1, -1]


def _short_episodes(n: int) -> str:
    """``n`` hang episodes of one port, each ended by a link up (so final at once)."""
    out = []
    for i in range(n):
        s = i % 60
        out.append(HEAD.format(s=s) + "Detected Hardware Unit Hang:")
        out += ["  TDH                  <3>", "  TDT                  <1a>",
                "  PCI Status           <10>"]
        out.append(HEAD.format(s=s) + "NIC Link is Up 1000 Mbps Full Duplex")
    return "\n".join(out) + "\n"


def _events(path: Path, capsys: pytest.CaptureFixture[str], keep: int) -> str:
    with (mock.patch.object(hang_spill, "KEEP_IN_MEMORY", keep),
          mock.patch.dict("os.environ", {parallel.PARTS_ENV: "1"})):
        assert main(["scan", "--events", "--year", "2024", str(path)]) == 0
    return capsys.readouterr().out


def test_events_of_short_episodes_written_out_number_each_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """The id-reuse case end to end: 600 one-report episodes, every final one written out at
    once (``KEEP_IN_MEMORY`` 0): report i names episode i, and the output is byte for byte
    the one of a scan that holds every episode."""
    path = tmp_path / "short.log"
    path.write_text(_short_episodes(600))
    spilled = _events(path, capsys, keep=0)
    held = _events(path, capsys, keep=10**9)
    assert spilled == held
    lines = [json.loads(x) for x in spilled.splitlines()]
    assert [x["episode"] for x in lines if x["fact"] == "hang_report"] == list(range(600))
    assert len(lines[-1]["hangs"]) == 600


@pytest.mark.parametrize("profile", [p for p in PROFILES if p != "realdata"] + ["realdata"])
def test_events_output_is_the_same_with_episodes_written_out(
    profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """Every ``bench/loggen.py`` mix (``realdata``'s noise replaced by a made-up line): the
    same bytes whether final episodes are written out at once or all held, and each hang
    report names the episode (device, line range) it was folded into."""
    path = tmp_path / "mix.log"
    with path.open("w") as out:
        write_log(out, PROFILES[profile].fmt, 40_000, seed=3, profile=profile,
                  noise=["pve03 kernel: made-up noise line"])
    spilled = _events(path, capsys, keep=0)
    assert spilled == _events(path, capsys, keep=10**9)
    with mock.patch.dict("os.environ", {parallel.PARTS_ENV: "1"}):
        episodes = list(scan_input(str(path), default_year=2024).hangs)
    reports = [json.loads(x) for x in io.StringIO(spilled) if '"hang_report"' in x]
    for r in reports:
        ep = episodes[r["episode"]]
        assert (ep.device, ep.host) == (r["device"], r["host"])
        assert ep.first_lineno <= r["line"] <= ep.last_lineno
    if profile in ("hang-storm", "busy", "classic"):
        assert len(reports) > len(episodes) > 1


def _export(json_log: str) -> str:
    """``journalctl -o export`` of a ``-o json`` log: ``FIELD=value`` lines, an empty line
    after each entry (no value of the generator's holds a newline)."""
    out = []
    for line in json_log.splitlines():
        entry = json.loads(line)
        out += [f"{k}={v}" for k, v in entry.items()] + [""]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("flag", ["--json", "--events"])
def test_a_journal_export_writes_final_episodes_out_too(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """A journal export is read line by line (not in blocks): it writes final episodes out
    as well (every ``EVERY_LINES`` lines), and the output is the one of a scan holding them."""
    from labconsole.parse import kernel_scan

    source = io.StringIO()
    write_log(source, "json", 6_000, seed=5, profile="hang-storm")
    path = tmp_path / "storm.export"
    path.write_text(_export(source.getvalue()))
    spill_writes: list[int] = []
    real_write = hang_spill.HangSpill._write

    def counted(self: hang_spill.HangSpill, index: int, ep: HangEpisode) -> None:
        spill_writes.append(index)
        real_write(self, index, ep)

    def scan(keep: int) -> str:
        with (mock.patch.object(hang_spill, "KEEP_IN_MEMORY", keep),
              mock.patch.object(kernel_scan, "EVERY_LINES", 500),
              mock.patch.object(hang_spill.HangSpill, "_write", counted)):
            assert main(["scan", flag, "--year", "2024", str(path)]) == 0
        return capsys.readouterr().out

    spilled = scan(keep=0)
    assert spill_writes, "no episode was written out"
    held = scan(keep=10**9)
    assert spilled == held
    files = json.loads(held)["files"] if flag == "--json" else [
        json.loads(held.splitlines()[-1])]
    assert len(files[0]["hangs"]) > 5 and "kernel_log" in files[0]["kinds"]
