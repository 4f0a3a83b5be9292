"""Two versions of the daemon measured turn about: is a change's CPU per call real, or noise?

On a VM the same code's CPU per call moves +-5 % from one run to the next and more across an hour,
as much as most single changes do. This checks out ``--base`` (any git ref) in a throwaway
worktree and runs this checkout's ``bench/calls.py`` against the base's code and against the
working tree's, ``--rounds`` times each, alternating (the base first in odd rounds, the working
tree first in even ones, so that a drift of the machine hits both alike). It prints every run,
the medians, and the mean of the paired differences with a 95 % bootstrap interval: a change is
real when the interval leaves out zero.

    .venv/bin/python -m bench.ab --base HEAD~3 --rate 100 --rounds 8 [--service]
    .venv/bin/python -m bench.ab --base HEAD~3 --instructions --rounds 2 [--service]

With ``--instructions`` each run counts the instructions per call under callgrind instead
(``bench.instructions``: at 2 calls/s by default; repeatable within about half a per cent, so a
couple of rounds do).

The base must have what ``bench/calls.py`` imports (``acd.app``, ``acd.service``, ...).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from bench import instructions

HERE = instructions.HERE


class Run(NamedTuple):
    per_call: float
    answered: int
    placed: int
    invite_p50_ms: float


class Difference(NamedTuple):
    mean: float
    low: float
    high: float


def paired_difference(base: Sequence[float], work: Sequence[float], *, seed: int = 1) -> Difference:
    """Mean of ``work[i] - base[i]`` and its 95 % percentile-bootstrap interval (10,000 resamples)."""
    if len(base) != len(work) or not base:
        raise ValueError("need the same, non-zero number of runs on each side")
    diffs = [w - b for b, w in zip(base, work, strict=True)]
    rng = random.Random(seed)
    means = sorted(statistics.fmean(rng.choices(diffs, k=len(diffs))) for _ in range(10_000))
    return Difference(statistics.fmean(diffs), means[249], means[9_749])


@contextlib.contextmanager
def worktree(ref: str) -> Iterator[Path]:
    """``ref`` checked out beside this one, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="acd-ab-") as parent:
        path = Path(parent) / "base"
        subprocess.run(
            ["git", "-C", str(HERE), "worktree", "add", "--detach", "--quiet", str(path), ref], check=True
        )
        try:
            yield path
        finally:
            subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(path)], check=False)


def measure(tree: Path, args: argparse.Namespace) -> Run:
    if args.instructions:
        counted = instructions.count(tree, args)
        return Run(counted.per_call / 1e6, counted.calls, counted.calls, float("nan"))
    done = instructions.run_calls(tree, instructions.calls_command(args))
    if done.returncode != 0:
        raise SystemExit(f"bench.calls failed in {tree}:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    return Run(
        result["daemon_cpu_ms_per_call"],
        result["answered"],
        result["placed"],
        result["invite_latency_ms"]["p50"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", required=True, help="the git ref to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="compare instructions per call under callgrind (millions) instead of CPU time",
    )
    parser.add_argument("--rate", type=float, default=None, help="calls/s (100; 2 with --instructions)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--agents", type=int, default=None, help="(400; 50 with --instructions)")
    parser.add_argument("--service", action="store_true", help="measure the whole service (bench.calls)")
    args = parser.parse_args()
    if args.rate is None:
        args.rate = 2.0 if args.instructions else 100.0
    if args.agents is None:
        args.agents = 50 if args.instructions else 400
    unit = "M instructions" if args.instructions else "ms"
    runs: dict[str, list[Run]] = {"base": [], "work": []}
    with worktree(args.base) as base_tree:
        trees = {"base": base_tree, "work": HERE}
        for round_no in range(1, args.rounds + 1):
            for side in ("base", "work") if round_no % 2 else ("work", "base"):
                run = measure(trees[side], args)
                runs[side].append(run)
                latency = "" if args.instructions else f"  INVITE p50 {run.invite_p50_ms} ms"
                print(
                    f"round {round_no} {side:4}  {run.per_call:6.3f} {unit}/call  "
                    f"answered {run.answered}/{run.placed}{latency}",
                    flush=True,
                )
    base = [r.per_call for r in runs["base"]]
    work = [r.per_call for r in runs["work"]]
    diff = paired_difference(base, work)
    reference = statistics.fmean(base)
    mode = "whole service" if args.service else "engine and ARI"
    print(f"\n{mode}, {args.rate:g} calls/s, {args.rounds} rounds of {args.seconds:g} s")
    medians = f"base {statistics.median(base):.3f} {unit}, work {statistics.median(work):.3f} {unit}"
    print(f"median per call: {medians}")
    print(
        f"work - base: {diff.mean:+.3f} {unit} ({100 * diff.mean / reference:+.1f} %), "
        f"95 % interval {diff.low:+.3f} .. {diff.high:+.3f} {unit}"
        + ("  (no difference shown)" if diff.low <= 0 <= diff.high else "")
    )


if __name__ == "__main__":
    main()
