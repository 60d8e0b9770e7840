"""`pipeline run` of several checkouts alternated on the same articles: wall and CPU medians.

Each run writes a fresh output folder; the checkouts run in turn, ``--runs`` times each, so that the
machine's drift and other load fall on all of them alike (only figures from one loop compare). Every
checkout uses its own ``.venv`` (or this interpreter) with ``PYTHONPATH`` set to it. Articles: a folder of
inputs, e.g. the ones ``benchmarks/news_throughput.py --work DIR`` builds in ``DIR/articles``.

python benchmarks/run_ab.py --input DIR/articles --runs 5 OLD_CHECKOUT NEW_CHECKOUT
Prints one line per run and the medians; compare the corpora with benchmarks/compare_corpus.py on the
output folders it names (same input path).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(tree: Path, inp: Path, out: Path) -> tuple[float, float]:
    python = tree / ".venv" / "bin" / "python"
    python = python if python.exists() else Path(sys.executable)
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run([str(python), "-m", "pipeline", "run", "--input", str(inp), "--output", str(out),
                           "--no-progress"], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                          capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{tree}: pipeline run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trees", nargs="+", type=Path, help="checkouts (e.g. git worktrees) to compare")
    ap.add_argument("--input", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", type=Path, default=None, help="where the output folders go (default: a temp dir)")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="run-ab-"))
    results: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(args.trees))}
    for r in range(args.runs):
        for i, tree in enumerate(args.trees):
            out = work / f"out-{i}"
            wall, cpu = run_once(tree.resolve(), args.input.resolve(), out)
            results[i].append((wall, cpu))
            print(f"run {r} {tree}: {wall:.2f} s wall, {cpu:.2f} CPU s", flush=True)
    for i, tree in enumerate(args.trees):
        walls = [w for w, _ in results[i]]
        cpus = [c for _, c in results[i]]
        print(f"median {tree}: {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} CPU s "
              f"(output of the last run: {work / f'out-{i}'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
