"""The command line as a fuzz target: arguments plus file contents (plain, gzip'd, gzip cut
short, garbage), through ``labconsole.cli.main`` as the console script runs it.

Whatever comes in, no traceback may reach stderr: ``main`` returns a status or exits through
argparse (0 for --help, 2 for a usage error), and an input error is one ``labconsole...`` line
per problem with status 2. Everything a command prints to stderr is checked, not only the
status. The commands that start the app or a server (run, replay, serve) are left out: their
input checks run before the app in the same functions, and tests/unit covers them.
Nothing is written outside a temporary folder (``-o`` points into it).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from labconsole.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEEDS = [p.read_bytes()[:4000] for p in sorted([
    *(FIXTURES / "kernel").glob("*.log"), FIXTURES / "kernel" / "journal.json",
    *(FIXTURES / "cef").iterdir(), *(FIXTURES / "config").glob("*.toml"),
    *(FIXTURES / "report").iterdir()]) if p.is_file()]
HOSTILE_LINES = [
    b"CEF:0|Ubiquiti|UniFi|1|1|x|5|rt=99999999999999999999999\n",
    b"CEF:0|Ubiquiti|UniFi|1|1|x|5|rt=253402300800000 end=-1\n",
    b"\x1b]0;TITLE\x07\x1b[2J\r\n",
    b'{"type": "kernel_text", "at": "9999-12-31T23:59:59+14:00"}\n',
    b"[clusters\n", b"\xff\xfe\x00\x00",
]


@st.composite
def contents(draw: st.DrawFn) -> bytes:
    """A seed cut and spliced with hostile lines or random bytes."""
    seed = draw(st.sampled_from(SEEDS))
    start = draw(st.integers(0, len(seed)))
    end = draw(st.integers(start, len(seed)))
    parts = [seed[:start], draw(st.one_of(st.sampled_from(HOSTILE_LINES),
                                          st.binary(max_size=64))), seed[end:]]
    return b"".join(parts)


@st.composite
def packed(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes): plain, gzip'd, gzip cut short, or gzip magic before garbage."""
    data = draw(contents())
    how = draw(st.sampled_from(["plain", "gz", "gz-cut", "gz-garbage", "empty"]))
    if how == "plain":
        return "input.log", data
    if how == "empty":
        return "input.log", b""
    if how == "gz-garbage":
        return "input.log.gz", b"\x1f\x8b" + data
    blob = gzip.compress(data)
    if how == "gz-cut":
        blob = blob[:draw(st.integers(0, max(0, len(blob) - 1)))]
    return "input.gz" if how == "gz-cut" else "input.log.gz", blob


WORDS = ["--json", "--year", "0", "99999", "-1", "x", "--format", "md", "json", "yaml",
         "--no-audit", "--audit", "--config", "-o", "--bogus", "-", "--help", "show", "list",
         "check", "e1000e-tx-hang", "--node", "pve03", "--iface", "eno1$(id)", ""]


@st.composite
def argv(draw: st.DrawFn, path: str, out: str) -> list[str]:
    command = draw(st.sampled_from(["scan", "report", "check", "runbook", "scan", "report"]))
    words = draw(st.lists(st.one_of(st.sampled_from([*WORDS, path, path, out]),
                                    st.text(max_size=8)), max_size=6))
    if command in ("scan", "report") and draw(st.booleans()):
        words.append(path)
    return [command, *words]


def run_cli(args: list[str], stdin: bytes) -> tuple[int, str]:
    """``main(args)`` as the console script runs it: (status, stderr)."""
    err, out = io.StringIO(), io.StringIO()
    fake_stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8",
                                  errors="surrogateescape")
    old_stdin = sys.stdin
    sys.stdin = fake_stdin
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                status = main(args)
            except SystemExit as exc:  # argparse: --help, usage errors
                status = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = old_stdin
    return status, err.getvalue()


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
@example(data=None)  # the fixed cases below run first, whatever hypothesis draws
def test_no_traceback_ever_reaches_stderr(data: st.DataObject | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if data is None:
            cases = [(["scan", "{path}"], ("cut.gz", gzip.compress(SEEDS[0] * 50)[:300])),
                     (["report", "--no-audit", "{path}"], ("cut.gz",
                                                          gzip.compress(SEEDS[0] * 50)[:300])),
                     (["scan", "{path}"], ("cef.log", HOSTILE_LINES[0])),
                     (["scan", "--year", "0", "{path}"], ("k.log", SEEDS[0]))]
        else:
            name, blob = data.draw(packed())
            cases = [(data.draw(argv("{path}", "{out}")), (name, blob))]
        for args, (name, blob) in cases:
            path = Path(tmp) / name
            path.write_bytes(blob)
            real = [a.replace("{path}", str(path)).replace("{out}", str(Path(tmp) / "o.md"))
                    for a in args]
            status, err = run_cli(real, blob)
            assert "Traceback" not in err, (real, err)
            assert status in (0, 2), (real, status, err)
            if status == 2 and real[0] in ("scan", "report"):
                # one "labconsole ...: what" line per problem (check lists its problems on
                # stdout, one per line, by its own contract)
                lines = err.splitlines()
                assert lines and all(line.startswith("labconsole") for line in lines), (
                    real, err)
