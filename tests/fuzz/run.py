"""Coverage-guided fuzzing of every parser with atheris (libFuzzer), bounded in time.

    python -m tests.fuzz.run [--seconds N] [--jobs J] [--out DIR] [TARGET ...]

Each target of :mod:`tests.fuzz.targets` runs in its own process for ``N`` seconds, seeded
with the project's synthetic fixtures; a per-input timeout makes a hang a failure, as is any
exception other than the parser's own error. Prints one line per target (inputs executed,
coverage, result) and exits non-zero when any target failed; crashing inputs are saved under
``--out`` (default: a temporary folder) to reproduce with ``--one NAME FILE``.
``make fuzz`` runs it for a minute per target; tests/fuzz/test_fuzz_short.py for two seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

PER_INPUT_TIMEOUT_S = 10  # libFuzzer -timeout: one input running longer is a hang
MAX_LEN = 8192
_UNITS = re.compile(r"stat::number_of_executed_units:\s*(\d+)")
_COVERAGE = re.compile(r"\bcov: (\d+)")


@dataclass
class Result:
    target: str
    seconds: float
    inputs: int
    coverage: int
    ok: bool
    detail: str = ""


def _child(name: str, seconds: float, work: Path, replay: list[str]) -> None:
    """In the fuzzing process: instrument labconsole, then hand over to libFuzzer."""
    import atheris

    with atheris.instrument_imports(include=["labconsole"]):
        from tests.fuzz.targets import TARGETS

    target = TARGETS[name]
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(target.seeds()):
        (corpus / f"seed-{i}").write_bytes(seed[:MAX_LEN])
    args = [sys.argv[0], *replay] if replay else [
        sys.argv[0], str(corpus), f"-max_total_time={max(int(seconds), 1)}",
        f"-timeout={PER_INPUT_TIMEOUT_S}", f"-max_len={MAX_LEN}", "-rss_limit_mb=2048",
        "-print_final_stats=1", f"-artifact_prefix={work}/"]
    atheris.Setup(args, target.run)
    atheris.Fuzz()


def run_target(name: str, seconds: float, out: Path) -> Result:
    work = out / name
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    from tests.fuzz.targets import SCRATCH_ENV

    proc = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.run", "--one", name, "--seconds", str(seconds),
         "--out", str(work)],
        capture_output=True, text=True, errors="replace", timeout=seconds + 120,
        env={**os.environ, SCRATCH_ENV: str(work / "scratch")})
    elapsed = time.monotonic() - started
    log = proc.stderr + proc.stdout
    units = _UNITS.findall(log)
    cov = _COVERAGE.findall(log)
    crashes = sorted(p.name for p in work.iterdir() if p.name.startswith(("crash-",
                                                                          "timeout-")))
    ok = proc.returncode == 0 and not crashes
    detail = "" if ok else (f"exit {proc.returncode}, saved {crashes}: "
                            + "\n".join(log.strip().splitlines()[-25:]))
    return Result(name, round(elapsed, 1), int(units[-1]) if units else 0,
                  int(cov[-1]) if cov else 0, ok, detail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="default: every target")
    parser.add_argument("--seconds", type=float, default=60.0, help="per target")
    parser.add_argument("--jobs", type=int, default=1, help="targets fuzzed at once")
    parser.add_argument("--out", type=Path, default=None, help="corpus and crash folder")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--one", metavar="NAME", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.one:
        out = args.out or Path(tempfile.mkdtemp(prefix="labconsole-fuzz-"))
        _child(args.one, args.seconds, out, [*args.targets, *rest])
        return 0
    from tests.fuzz.targets import TARGETS

    names = args.targets or sorted(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {unknown}; known: {', '.join(sorted(TARGETS))}")
    out = args.out or Path(tempfile.mkdtemp(prefix="labconsole-fuzz-"))
    with ThreadPoolExecutor(max(args.jobs, 1)) as pool:
        results = list(pool.map(lambda n: run_target(n, args.seconds, out), names))
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=1))
    else:
        for r in results:
            status = "ok" if r.ok else "FAILED"
            print(f"{r.target:15} {r.inputs:>9} inputs  cov {r.coverage:>5}  "
                  f"{r.seconds:>6}s  {status}")
            if r.detail:
                print(r.detail)
        print(f"total: {sum(r.inputs for r in results)} inputs, "
              f"{sum(not r.ok for r in results)} failing target(s); folder {out}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
