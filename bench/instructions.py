"""Instructions the daemon executes per call: a measure of its work that the VM's noise leaves alone.

CPU time per call on a shared VM moves +-5 % between runs and more across an hour (cold caches
after every idle wake-up, neighbours): too much to see most single changes. Instructions do not
move: ``bench.calls`` runs under valgrind's callgrind, counting only while calls are measured,
and the same code gives the same count within about half a per cent. It is a count of work, not
of time (cache misses and the wake-ups' cost are not in it), at a low rate because the daemon
runs some 25x slower under valgrind; the simulator runs outside it at full speed.

    .venv/bin/python -m bench.instructions [--rate 2 --seconds 20 --agents 50] [--service]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent.parent
CALLS = HERE / "bench" / "calls.py"
_COLLECTED = re.compile(r"Collected\s*:\s*([\d,]+)")


class Count(NamedTuple):
    instructions: int
    calls: int

    @property
    def per_call(self) -> float:
        return self.instructions / max(1, self.calls)


def calls_command(args: argparse.Namespace) -> list[str]:
    """This checkout's ``bench/calls.py`` with the traffic options of ``args``."""
    command = [sys.executable, str(CALLS), "--rate", str(args.rate), "--seconds", str(args.seconds)]
    return [*command, "--agents", str(args.agents), *(["--service"] if args.service else [])]


def run_calls(tree: Path, command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` against the code in ``tree`` (its ``acd`` first on the path, its simulator)."""
    return subprocess.run(
        command,
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def count(tree: Path, args: argparse.Namespace) -> Count:
    """Run ``bench/calls.py`` (this checkout's) against the code in ``tree`` under callgrind."""
    with tempfile.TemporaryDirectory(prefix="acd-cg-") as scratch:
        valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
        valgrind.append(f"--callgrind-out-file={scratch}/callgrind.out")
        done = run_calls(tree, valgrind + calls_command(args), ACD_BENCH_CALLGRIND="1")
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"bench.calls under callgrind failed in {tree}:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    if result["answered"] != result["placed"]:
        raise SystemExit(f"only {result['answered']} of {result['placed']} calls answered: lower --rate")
    return Count(int(found.group(1).replace(",", "")), result["placed"])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=float, default=2.0, help="new calls per second (keep it low)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--service", action="store_true", help="the whole service, as bench.calls")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser)
    args = parser.parse_args()
    result = count(HERE, args)
    mode = "whole service" if args.service else "engine and ARI"
    print(
        f"{mode}: {result.per_call / 1e6:.3f} M instructions per call "
        f"({result.instructions:,} for {result.calls} calls at {args.rate:g}/s)"
    )


if __name__ == "__main__":
    main()
