"""Scale benchmark: synthetic corpora (benchmarks/synth.py) through `pipeline run --engine apertium`, with 1
and 2 workers and optional batching: wall time, articles/s, peak memory of the run (children included),
Luigi scheduling overhead (a no-change rerun: scheduling + completeness checks only) and its share of the
first run.

python benchmarks/scale_bench.py --articles 1000 10000 --workers 1 2 [--batch-size auto 0 50] [--work DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))
import synth  # noqa: E402
from pipeline.service.run import batch_size  # noqa: E402


def timed_run(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB of the largest process of the run, apertium children included)."""
    started = time.monotonic()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # a fresh process per run, so its RUSAGE_CHILDREN covers this run only
        os.close(rfd)
        proc = subprocess.run(cmd, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if proc.returncode not in (0, 3):
            sys.stderr.write(proc.stderr[-3000:])
        os.write(wfd, str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss).encode())
        os._exit(0 if proc.returncode in (0, 3) else 1)
    os.close(wfd)
    with os.fdopen(rfd) as fh:
        peak_kib = int(fh.read() or 0)
    _, status = os.waitpid(pid, 0)
    wall = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"run failed: {' '.join(cmd)}")
    return wall, peak_kib / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, nargs="+", default=[1000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch-size", nargs="+", default=["auto"],
                    help="documents per Luigi task: 0 = six tasks per document, auto = what `pipeline run` picks")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temporary one, removed after)")
    args = ap.parse_args(argv)
    work = Path(args.work or tempfile.mkdtemp(prefix="scale-bench-"))
    rows = []
    for n in args.articles:
        inputs = work / f"in-{n}"
        if not inputs.exists():
            synth.generate(inputs, n, seed=0)
        for workers in args.workers:
            for batch in args.batch_size:
                out = work / f"out-{n}-w{workers}-b{batch}"
                shutil.rmtree(out, ignore_errors=True)
                cmd = [sys.executable, "-m", "pipeline", "run", "--engine", "apertium", "--input", str(inputs),
                       "--output", str(out), "--workers", str(workers), "--no-progress"]
                if batch == "auto":
                    batch = batch_size(None, workers, n)
                cmd += ["--batch-size", str(batch)]
                first, peak = timed_run(cmd)
                rerun, rerun_peak = timed_run(cmd)
                # the no-change rerun starts no task, so every logged start belongs to the first run
                tasks = sum(1 for f in (out / "logs").glob("tasks-*.jsonl") for _ in open(f))
                row = {"articles": n, "workers": workers, "batch_size": batch, "wall_s": round(first, 1),
                       "articles_per_s": round(n / first, 2), "peak_rss_mib": round(peak, 1),
                       "luigi_tasks": tasks, "noop_rerun_s": round(rerun, 2),
                       "noop_rerun_share": round(rerun / first, 4)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'articles':>8} {'workers':>7} {'batch':>5} {'wall_s':>8} {'art/s':>6} {'peakMiB':>8} {'tasks':>6} "
          f"{'noop_s':>7} {'noop%':>6}")
    for r in rows:
        print(f"{r['articles']:>8} {r['workers']:>7} {r['batch_size']:>5} {r['wall_s']:>8} {r['articles_per_s']:>6} "
              f"{r['peak_rss_mib']:>8} {r['luigi_tasks']:>6} {r['noop_rerun_s']:>7} "
              f"{100 * r['noop_rerun_share']:>5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
